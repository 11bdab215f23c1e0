// The dashboard's JSON, built from the report's model of a state dir (loop/report/load.ts): the list of
// batches, one batch in detail (tickets as a dependency graph with their state, running workers, the
// oracle, budgets, heals, interventions) and its events from an index on. `schema.ts` describes it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { LoadedState } from '../report/load.ts';
import { ticketTotals } from '../report/model.ts';
import type { StampedEvent, TicketRecord } from '../report/model.ts';
import { sortedTickets } from '../report/text.ts';
import { budgetsOf } from '../schedule/budget.ts';

/** A ticket's state on the graph. */
export type TicketState = 'done' | 'gated' | 'running' | 'retrying' | 'failed' | 'blocked' | 'todo';

/** A state dir's id in URLs: short, stable, and no path in it. */
export function batchId(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 12);
}

export function batchSummary(state: LoadedState): Record<string, unknown> {
  const { model } = state;
  return {
    id: batchId(state.dir), dir: state.dir, name: `${basename(dirname(state.dir))}/${basename(state.dir)}`,
    batch: model.batch ?? null, loop: state.liveness,
    progress: model.counts ? { ...model.counts, running: model.running.size } : null,
    oracle: model.oracle ? { verdict: model.oracle.verdict, satisfied: model.oracle.satisfied, total: model.oracle.total } : null,
    spent_usd: Number(model.spentUsd.toFixed(4)), budget_usd: state.runJson?.budgetUsd ?? null,
    runs: model.runs.length, last_event_at: model.last ?? null,
  };
}

const LocalTickets = z.looseObject({ tickets: z.array(z.looseObject({ key: z.string(), blockedBy: z.array(z.string()).optional() })) });

/**
 * Blockers of every ticket: from the newest `graph` event (`blocked_by`) and each discovered ticket's
 * `blocks`; a log from before `blocked_by` falls back on the local tickets file its run.json names.
 */
export function blockersOf(state: LoadedState): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  const graph = state.events.findLast((e) => e.type === 'graph' && typeof e.blocked_by === 'object' && e.blocked_by !== null);
  if (graph) {
    for (const [key, blockers] of Object.entries(graph.blocked_by as Record<string, unknown>)) edges.set(key, Array.isArray(blockers) ? blockers.map(String) : []);
  } else if (state.runJson?.tracker === 'local' && typeof state.runJson.tickets === 'string') {
    try {
      const file = LocalTickets.safeParse(JSON.parse(readFileSync(state.runJson.tickets, 'utf8')));
      if (file.success) for (const t of file.data.tickets) edges.set(t.key, t.blockedBy ?? []);
    } catch {
      // the tickets file moved: no edges but the discovered ones
    }
  }
  for (const e of state.events) {
    if (e.type !== 'ticket-filed' || !e.ticket || !Array.isArray(e.blocks)) continue;
    if (!edges.has(e.ticket)) edges.set(e.ticket, []);
    for (const blocked of e.blocks.map(String)) edges.set(blocked, [...new Set([...(edges.get(blocked) ?? []), e.ticket])]);
  }
  return edges;
}

function stateOf(ticket: TicketRecord | undefined, key: string, satisfied: Set<string>, blockers: string[], running: boolean, maxPasses: number | undefined): TicketState {
  if (satisfied.has(key) || ticket?.done) return ticket?.gated ? 'gated' : 'done';
  if (ticket?.gated) return 'gated';
  if (running) return 'running';
  const last = ticket?.passes.at(-1);
  if (last) return maxPasses !== undefined && ticket && ticket.passes.length >= maxPasses ? 'failed' : 'retrying';
  if (blockers.some((b) => !satisfied.has(b))) return 'blocked';
  return 'todo';
}

/** Longest chain of blockers below each ticket (0 for one nothing blocks), cycles cut. */
function depths(keys: string[], edges: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (key: string): number => {
    const known = depth.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0;
    visiting.add(key);
    let d = 0;
    for (const b of edges.get(key) ?? []) if (edges.has(b)) d = Math.max(d, visit(b) + 1);
    visiting.delete(key);
    depth.set(key, d);
    return d;
  };
  for (const key of keys) visit(key);
  return depth;
}

export function batchDetail(state: LoadedState, now = Date.now()): Record<string, unknown> {
  const { model } = state;
  const edges = blockersOf(state);
  const oracle = new Map((state.oracleTickets ?? []).map((t) => [t.key, t]));
  const satisfied = new Set([...model.tickets.values()].filter((t) => t.done).map((t) => t.key));
  for (const t of state.oracleTickets ?? []) if (t.satisfied) satisfied.add(t.key);
  const keys = sortedTickets([...new Set([...edges.keys(), ...model.tickets.keys(), ...oracle.keys()])].map((key) => model.tickets.get(key) ?? { key, passes: [], done: undefined, gated: undefined, filed: undefined })).map((t) => t.key);
  const depth = depths(keys, edges);
  const maxPasses = typeof state.runJson?.maxPasses === 'number' ? state.runJson.maxPasses : undefined;
  const end = state.liveness === 'running' ? new Date(now).toISOString() : model.last;
  const tickets = keys.map((key) => {
    const ticket = model.tickets.get(key);
    const blockers = edges.get(key) ?? [];
    const totals = ticket ? ticketTotals(ticket, end) : { costUsd: 0, durationMs: 0 };
    const last = ticket?.passes.at(-1);
    const verdict = oracle.get(key);
    return {
      key, state: stateOf(ticket, key, satisfied, blockers, model.running.has(key), maxPasses), blocked_by: blockers, depth: depth.get(key) ?? 0,
      passes: ticket?.passes.length ?? 0, cost_usd: Number(totals.costUsd.toFixed(4)), duration_ms: totals.durationMs,
      last_outcome: last ? (last.end ? last.outcome ?? 'interrupted' : 'running') : null, discovered: ticket?.filed !== undefined,
      gated: ticket?.gated ?? null, oracle: verdict ? { satisfied: verdict.satisfied, reason: verdict.reason } : null,
    };
  });
  const run = model.runs.at(-1);
  return {
    ...batchSummary(state),
    run: run ? { id: run.id, started: run.start, ended: run.end ?? null, exit_code: run.exitCode ?? null, reason: run.reason ?? null } : null,
    workers: model.workers ?? null, agent: model.agent ?? null, reviewers: model.reviewers,
    oracle: model.oracle ? { ts: model.oracle.ts, verdict: model.oracle.verdict, satisfied: model.oracle.satisfied, total: model.oracle.total, problem: model.oracle.problem ?? null } : null,
    budgets: budgetsOf(state, new Date(now)),
    tickets,
    running: [...model.running.values()].map((p) => ({ ticket: p.ticket, pass: p.pass, agent: p.agent ?? null, started: p.start, elapsed_ms: Math.max(0, now - Date.parse(p.start)), last_event: p.last.text, last_event_at: p.last.ts })),
    heals: model.heals.map((x) => ({ started: x.start, ended: x.end ?? null, reason: x.reason, classification: x.classification ?? null, tripwire: x.tripwire ?? null, summary: x.summary ?? null, reasons: x.reasons, files: x.files })),
    interventions: model.interventions.map((i) => ({ ts: i.ts, type: i.type, kind: i.kind, ticket: i.ticket ?? null, note: i.note })),
    runs_detail: model.runs.map((r) => ({ id: r.id, started: r.start, ended: r.end ?? null, exit_code: r.exitCode ?? null, reason: r.reason ?? null })),
    notifications_failed: state.events.filter((e) => e.type === 'notify-failed').length,
    event_count: state.events.length,
  };
}

/** Events from index `since` on (the index of an event is its place in the log, from 0). */
export function eventsSince(events: readonly StampedEvent[], since: number, limit = 1_000): { since: number; next: number; events: Array<StampedEvent & { index: number }> } {
  const from = Math.max(0, Math.min(since, events.length));
  const slice = events.slice(from, from + limit).map((e, i) => ({ ...e, index: from + i }));
  return { since: from, next: from + slice.length, events: slice };
}

export function eventsPath(dir: string): string {
  return join(dir, 'events.jsonl');
}
