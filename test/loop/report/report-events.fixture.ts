// A recorded batch for the report and status tests: two runs of the loop over four tickets with a
// failed finish line, a rejected review, a replay that failed and was reverted, a discovered ticket,
// a heal accepted and one rejected by the tripwire, an intervention request and a person's touch.
// The events are the loop's own event shapes (loop/run/run.ts, pass.ts, land.ts, review.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_1 = '20261121T010000-aaaaaa';
export const RUN_2 = '20261121T020000-bbbbbb';
const T0 = Date.parse('2026-11-21T01:00:00.000Z');
const REVIEWERS = ['command:/usr/bin/node /opt/reviewer.mjs --as alpha', 'command:/usr/bin/node /opt/reviewer.mjs --as beta'];
const AGENT = 'command:/usr/bin/node /opt/agent.mjs';

type Event = { type: string; ticket?: string; [field: string]: unknown };

function pass(ticket: string, n: number, outcome: string, reason: string, cost: number, extra: Event[]): Event[] {
  return [
    { type: 'pass-start', ticket, pass: n, of: 4 },
    { type: 'agent-start', ticket, pass: n, agent: AGENT },
    { type: 'agent-end', ticket, pass: n, outcome: 'finished', exit_code: 0, duration_ms: 61_000 },
    ...extra.map((e) => ({ ticket, pass: n, ...e })),
    { type: 'pass-end', ticket, pass: n, outcome, reason, cost_usd: cost },
  ];
}

const review = (verdict: string, which = 0, findings: unknown[] = []): Event => ({ type: 'review', reviewer: REVIEWERS[which], verdict, findings, cost_usd: 0.05 });
const landed = (commit: string): Event[] => [
  { type: 'verify', result: 'passed' }, review('approve', 0), review('approve', 1),
  { type: 'merged', commit, previous: '0'.repeat(40) }, { type: 'replay-start', commit }, { type: 'replay', result: 'passed', digest: 'x' },
  { type: 'ticket-done', commit },
];

/** The events in order; each is stamped a minute after the previous one. */
export function recordedEvents(): Array<Event & { ts: string; run: string }> {
  const run1: Event[] = [
    { type: 'run-start', batch: 'ENG-1..ENG-3', label: 'nightshift-0badcafe', workers: 2, agent: AGENT, reviewers: REVIEWERS, state: '(fixture)', reaped: [] },
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 0, total: 3 },
    { type: 'schedule', counts: { satisfied: 0, gated: 0, running: 0, ready: 2, blocked: 1, exhausted: 0, canceled: 0 }, started: ['ENG-1', 'ENG-2'], spent_usd: 0 },
    ...pass('ENG-1', 1, 'verify-failed', 'the finish line failed at `npm test`:\n1 failing', 0.4, [{ type: 'verify', result: 'failed', command: 'npm test', output: '1 failing' }]),
    ...pass('ENG-2', 1, 'landed', 'merged as 2222222222aa; replay passed; done', 0.6, landed('2222222222aa2222222222aa2222222222aa2222')),
    { type: 'ticket-filed', ticket: 'ENG-4', from: 'ENG-2', pass: 1, title: 'Wire the new flag into the CLI', blocks: ['ENG-3'] },
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 1, total: 4 },
    { type: 'schedule', counts: { satisfied: 1, gated: 0, running: 0, ready: 2, blocked: 1, exhausted: 0, canceled: 0 }, started: ['ENG-1', 'ENG-4'], spent_usd: 1.0 },
    ...pass('ENG-1', 2, 'review-rejected', 'the reviewers asked for changes:\nalpha: missing test', 0.5, [
      { type: 'verify', result: 'passed' }, review('changes', 0, [{ severity: 'high', message: 'missing test' }]), review('approve', 1),
    ]),
    ...pass('ENG-4', 1, 'replay-failed', 'merged, but the replay on the target failed at `npm test`, so the merge was reverted:\nboom', 0.3, [
      { type: 'verify', result: 'passed' }, review('approve', 0), review('approve', 1), { type: 'merged', commit: '4444444444bb4444444444bb4444444444bb4444' },
      { type: 'replay-start', commit: '4444444444bb' }, { type: 'replay', result: 'failed', command: 'npm test', output: 'boom' },
      { type: 'reverted', merge: '4444444444bb4444444444bb4444444444bb4444', commit: '5555555555cc5555555555cc5555555555cc5555' },
    ]),
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 1, total: 4 },
    { type: 'schedule', counts: { satisfied: 1, gated: 0, running: 0, ready: 0, blocked: 1, exhausted: 2, canceled: 0 }, started: [], spent_usd: 1.8 },
    { type: 'run-end', exit_code: 1, reason: 'stopped short of done: nothing is ready and nothing runs (2 out of passes, 1 blocked, 0 canceled)' },
  ];
  const between: Event[] = [
    { type: 'heal-start', reason: 'stopped short of done: nothing is ready and nothing runs' },
    { type: 'heal-end', classification: 'gap', summary: 'the worker prompt omitted the result file path', tripwire: 'accepted', tripwire_reasons: [], commit: '6666666666dd6666666666dd6666666666dd6666' },
    { type: 'intervention-request', kind: 'work', ticket: 'ENG-3', reason: 'the staging API key is missing' },
  ];
  const run2: Event[] = [
    { type: 'run-start', batch: 'ENG-1..ENG-3', label: 'nightshift-0badcafe', workers: 2, agent: AGENT, reviewers: REVIEWERS, state: '(fixture)', reaped: [] },
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 1, total: 4 },
    { type: 'schedule', counts: { satisfied: 1, gated: 0, running: 0, ready: 2, blocked: 1, exhausted: 0, canceled: 0 }, started: ['ENG-1', 'ENG-4'], spent_usd: 1.8 },
    ...pass('ENG-1', 3, 'landed', 'merged as 1111111111ee; replay passed; done', 0.7, landed('1111111111ee1111111111ee1111111111ee1111')),
    ...pass('ENG-4', 2, 'landed', 'merged as 7777777777ff; replay passed; done', 0.2, landed('7777777777ff7777777777ff7777777777ff7777')),
    { type: 'heal-start', reason: 'ENG-3: the same check failed three passes in a row' },
    { type: 'heal-end', classification: 'gap', summary: 'relax the done rule', tripwire: 'rejected', tripwire_reasons: ['touches oracle/verdict.ts', 'ORACLE.lock hash mismatch'] },
    { type: 'intervention', kind: 'harness', note: 'raised the worker time limit' },
    { type: 'oracle', exit_code: 1, verdict: 'not-done', satisfied: 3, total: 4 },
    { type: 'run-end', exit_code: 3, reason: '1 ticket(s) need a human' },
  ];
  const stamp = (events: Event[], run: string, from: number) => events.map((e, i) => ({ ts: new Date(T0 + (from + i) * 60_000).toISOString(), run, ...e }));
  return [...stamp(run1, RUN_1, 0), ...stamp(between, RUN_1, run1.length), ...stamp(run2, RUN_2, run1.length + between.length + 2)];
}

/** Writes the recorded batch as a finished state dir and returns its path. */
export function writeRecordedStateDir(parent = mkdtempSync(join(tmpdir(), 'nightshift-report-'))): string {
  const dir = join(parent, 'state');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.jsonl'), recordedEvents().map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ run: RUN_2, pid: 2 ** 22 + 12345, batch: 'ENG-1..ENG-3', budgetUsd: 25 }));
  writeFileSync(join(dir, 'loop.pid'), String(2 ** 22 + 12345));
  writeFileSync(join(dir, 'oracle.last.json'), `${JSON.stringify({ verdict: 'not-done', exit_code: 1, tickets: [
    { key: 'ENG-1', satisfied: true, via: 'receipt', reason: 'merged 1111111111 on main, replay passed' },
    { key: 'ENG-2', satisfied: true, via: 'receipt', reason: 'merged 2222222222 on main, replay passed' },
    { key: 'ENG-3', satisfied: false, via: null, reason: 'todo, no receipt' },
    { key: 'ENG-4', satisfied: true, via: 'receipt', reason: 'merged 7777777777 on main, replay passed' },
  ] })}\n`);
  return dir;
}
