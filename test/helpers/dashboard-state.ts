// A generated state dir for the dashboard's tests and bench: a batch of N tickets in layers of blockers
// (each ticket of a layer waits on one or two of the layer before), most of them landed, some failed
// and retried, a few running, one gated, a heal accepted and one rejected, an intervention request.
// The events are the loop's own event shapes (loop/run/run.ts, pass.ts, land.ts, review.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Event = { type: string; ticket?: string; [field: string]: unknown };
export const DASHBOARD_RUN = '20261204T010000-dddddd';
const AGENT = 'command:/usr/bin/node /opt/agent.mjs';
const REVIEWERS = ['command:/usr/bin/node /opt/reviewer.mjs --as alpha', 'command:/usr/bin/node /opt/reviewer.mjs --as beta'];

/** The keys ENG-1..ENG-n with their blockers. */
export function layeredBatch(n: number): Array<{ key: string; blockedBy: string[] }> {
  const layer = Math.max(1, Math.ceil(n / 8));
  return Array.from({ length: n }, (_, i) => {
    const key = `ENG-${i + 1}`;
    if (i < layer) return { key, blockedBy: [] };
    const before = i - layer;
    return { key, blockedBy: [...new Set([`ENG-${before + 1}`, `ENG-${Math.max(1, before - (i % 3))}`])] };
  });
}

/**
 * Writes events.jsonl, run.json and loop.pid (`pid`: a live process makes the batch "running") into
 * `dir`. The last `running` tickets have a pass under way; everything before them landed.
 */
export function writeDashboardStateDir(dir: string, options: { tickets: number; running: number; pid: number; start?: number }): { events: number; keys: string[] } {
  mkdirSync(dir, { recursive: true });
  const batch = layeredBatch(options.tickets);
  const landedCount = options.tickets - options.running - 1;
  const t0 = options.start ?? Date.now() - 3_600_000;
  const events: Event[] = [
    { type: 'run-start', batch: `ENG-1..ENG-${options.tickets}`, label: 'nightshift-dash', workers: Math.max(1, options.running), agent: AGENT, reviewers: REVIEWERS, state: dir, reaped: [] },
    { type: 'graph', tickets: options.tickets, outside_done: [], spent_usd: 0, blocked_by: Object.fromEntries(batch.map((t) => [t.key, t.blockedBy])) },
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 0, total: options.tickets },
  ];
  let spent = 0;
  batch.forEach((t, i) => {
    if (i >= landedCount) return;
    if (i % 7 === 3) {
      events.push({ type: 'pass-start', ticket: t.key, pass: 1, of: 4 }, { type: 'agent-start', ticket: t.key, pass: 1, agent: AGENT },
        { type: 'verify', ticket: t.key, pass: 1, result: 'failed', command: 'npm test' }, { type: 'pass-end', ticket: t.key, pass: 1, outcome: 'verify-failed', reason: 'the finish line failed at `npm test`', cost_usd: 0.2 });
      spent += 0.2;
    }
    const n = i % 7 === 3 ? 2 : 1;
    events.push(
      { type: 'pass-start', ticket: t.key, pass: n, of: 4 }, { type: 'agent-start', ticket: t.key, pass: n, agent: AGENT },
      { type: 'verify', ticket: t.key, pass: n, result: 'passed' },
      { type: 'review', ticket: t.key, pass: n, reviewer: REVIEWERS[0], verdict: 'approve', findings: [], cost_usd: 0.02 },
      { type: 'review', ticket: t.key, pass: n, reviewer: REVIEWERS[1], verdict: 'approve', findings: [], cost_usd: 0.02 },
      { type: 'merged', ticket: t.key, pass: n, commit: (i + 1).toString(16).padStart(40, 'a') }, { type: 'replay', ticket: t.key, pass: n, result: 'passed' },
      { type: 'ticket-done', ticket: t.key, pass: n }, { type: 'pass-end', ticket: t.key, pass: n, outcome: 'landed', reason: 'landed', cost_usd: 0.3 },
    );
    spent += 0.3;
    if (i % 25 === 24) events.push({ type: 'schedule', counts: { satisfied: i + 1, gated: 0, running: options.running, ready: 0, blocked: options.tickets - i - 1, exhausted: 0, canceled: 0 }, started: [], spent_usd: spent });
  });
  const gated = batch[landedCount];
  if (gated) {
    events.push({ type: 'pass-start', ticket: gated.key, pass: 1, of: 4 }, { type: 'ticket-gated', ticket: gated.key, pass: 1, reason: 'needs a production credential' },
      { type: 'intervention-request', ticket: gated.key, kind: 'work', reason: 'needs a production credential' }, { type: 'pass-end', ticket: gated.key, pass: 1, outcome: 'gated', reason: 'gated', cost_usd: 0.1 });
  }
  events.push({ type: 'heal-start', heal: 'h1', reason: 'stopped short of done' }, { type: 'heal-end', heal: 'h1', classification: 'gap', summary: 'retry a flaky fetch', tripwire: 'accepted', files: ['loop/pass/pass.ts'] });
  events.push({ type: 'heal-start', heal: 'h2', reason: 'stopped short of done' }, { type: 'heal-end', heal: 'h2', classification: 'gap', summary: 'loosen the oracle', tripwire: 'rejected', tripwire_reasons: ['touches oracle/verdict.ts'] });
  for (const t of batch.slice(landedCount + 1)) {
    events.push({ type: 'pass-start', ticket: t.key, pass: 1, of: 4 }, { type: 'agent-start', ticket: t.key, pass: 1, agent: AGENT });
  }
  events.push({ type: 'schedule', counts: { satisfied: landedCount, gated: 1, running: options.running, ready: 0, blocked: 0, exhausted: 0, canceled: 0 }, started: [], spent_usd: spent });
  // the stamps go up to a minute ago, so a running pass's elapsed time is positive
  const step = Math.max(1, Math.floor((Date.now() - 60_000 - t0) / events.length));
  const lines = events.map((e, i) => JSON.stringify({ ts: new Date(t0 + i * step).toISOString(), run: DASHBOARD_RUN, ...e }));
  writeFileSync(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ run: DASHBOARD_RUN, pid: options.pid, batch: `ENG-1..ENG-${options.tickets}`, budgetUsd: 100, budgetUsdPerDay: 40, budgetUsdPerTicket: 2, maxPasses: 4, started: new Date(t0).toISOString() }));
  writeFileSync(join(dir, 'loop.pid'), String(options.pid));
  return { events: lines.length, keys: batch.map((t) => t.key) };
}
