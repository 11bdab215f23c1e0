// The operator's picture of a batch, folded from the event log: tickets and their passes (start, end,
// agent, reviews, merge, replay, revert, cost), the scheduler's counts, the oracle's last verdict, money
// spent, discovered tickets, heals and interventions. The live view, `status` and `report` all read it.
import { shortSpec } from './format.ts';
import { queueNote, type QueuePass } from './queue-pass.ts';
import type { LoopEvent } from '../state/state.ts';
export type StampedEvent = LoopEvent & { ts: string; run?: string };
export type ReviewRecord = { reviewer: string; verdict: string; findings: number };

/** One worker pass on one ticket, from `pass-start` to `pass-end` (or the end of its run). */
export type PassRecord = {
  ticket: string;
  pass: number;
  of: number | undefined;
  run: string;
  start: string;
  end: string | undefined;
  agent: string | undefined;
  outcome: string | undefined;
  reason: string | undefined;
  costUsd: number;
  reviews: ReviewRecord[];
  verify: string | undefined;
  merged: string | undefined;
  replay: string | undefined;
  reverted: boolean;
  pull?: string | undefined; // `--land pr`: the pass's pull request
  /** The pass's most recent event, as a short phrase, for the live view. */
  last: { ts: string; text: string };
} & QueuePass;

export type TicketRecord = { key: string; passes: PassRecord[]; done: string | undefined; gated: string | undefined; filed: DiscoveredRecord | undefined };
export type DiscoveredRecord = { ts: string; key: string; from: string; title: string };
/**
 * Read from `heal-start` {heal, reason} and `heal-end` {heal, classification: gap|wall, summary,
 * tripwire: accepted|rejected (or verdict), tripwire_reasons (or reasons), files, commit, ref}.
 */
export type HealRecord = {
  id: string | undefined; start: string; end: string | undefined; reason: string; classification: string | undefined; summary: string | undefined;
  tripwire: string | undefined; reasons: string[]; files: string[]; commit: string | undefined; ref: string | undefined;
};

function newHeal(e: StampedEvent): HealRecord {
  return { id: str(e.heal), start: e.ts, end: undefined, reason: str(e.reason) ?? '', classification: undefined, summary: undefined, tripwire: undefined, reasons: [], files: [], commit: undefined, ref: undefined };
}
/**
 * A request for a person (`intervention-request` event: {kind, reason, ticket?}) or a person's touch
 * (`intervention` event: {kind, note, ticket?}); the state dir's interventions.jsonl, when there, wins.
 */
export type InterventionRecord = { ts: string; run: string; type: 'request' | 'touch'; kind: string; note: string; ticket: string | undefined };
/**
 * The supervisor's confirmation of a run that said done: `confirm` {loop_exit, oracle_exit, agreed}, then
 * `audit` {round, head, passed[], failed[{ticket, command, exit}], reopened[]} (or {round, problem}).
 */
export type AuditRecord = {
  ts: string; round: number; head: string | undefined; passed: string[]; failed: Array<{ ticket: string; command: string; exit: string }>;
  reopened: string[]; problem: string | undefined;
};
export type ConfirmRecord = { ts: string; loopExit: number | undefined; oracleExit: number | undefined; agreed: boolean };
export type RunRecord = { id: string; start: string; end: string | undefined; exitCode: number | undefined; reason: string | undefined };
export type Counts = { done: number; running: number; ready: number; blocked: number; gated: number; exhausted: number; canceled: number; total: number };
export type OracleRecord = { ts: string; verdict: string; satisfied: number; total: number; problem: string | undefined };

export type BatchModel = {
  batch: string | undefined;
  label: string | undefined;
  workers: number | undefined;
  agent: string | undefined;
  reviewers: string[];
  /** Set when agents ran without the OS sandbox (`--sandbox off`): the warning to show. */
  sandboxOff: string | undefined;
  state: string | undefined;
  runs: RunRecord[];
  tickets: Map<string, TicketRecord>;
  /** Passes that started and have not ended, by ticket. */
  running: Map<string, PassRecord>;
  counts: Counts | undefined;
  oracle: OracleRecord | undefined;
  /** What the batch spent: the larger of its passes' costs summed and the loop's own figure (spentFrom). */
  spentUsd: number;
  /** The two figures spentUsd is the larger of: pass-end costs summed, and the last `spent_usd` the loop logged. */
  spentFrom: { passes: number; logged: number };
  discovered: DiscoveredRecord[];
  heals: HealRecord[];
  interventions: InterventionRecord[];
  confirms: ConfirmRecord[];
  audits: AuditRecord[];
  first: string | undefined;
  last: string | undefined;
};

export function emptyModel(): BatchModel {
  return {
    batch: undefined, label: undefined, workers: undefined, agent: undefined, reviewers: [], sandboxOff: undefined, state: undefined,
    runs: [], tickets: new Map(), running: new Map(), counts: undefined, oracle: undefined, spentUsd: 0, spentFrom: { passes: 0, logged: 0 },
    discovered: [], heals: [], interventions: [], confirms: [], audits: [], first: undefined, last: undefined,
  };
}

export function foldEvents(events: Iterable<StampedEvent>): BatchModel {
  const model = emptyModel();
  for (const event of events) applyEvent(model, event);
  return model;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function ticketOf(model: BatchModel, key: string): TicketRecord {
  let ticket = model.tickets.get(key);
  if (!ticket) {
    ticket = { key, passes: [], done: undefined, gated: undefined, filed: undefined };
    model.tickets.set(key, ticket);
  }
  return ticket;
}

/** Ends every open pass of an earlier run (the loop was killed or restarted mid-pass). */
export function closeOpenPasses(model: BatchModel, at: string): void {
  for (const pass of model.running.values()) {
    pass.end = at;
    pass.outcome ??= 'interrupted';
    pass.reason ??= 'the loop stopped during this pass';
  }
  model.running.clear();
}

/** The money once: the larger of the passes' costs summed and the loop's own logged sum. */
const settleSpent = (model: BatchModel): void => { model.spentUsd = Math.max(model.spentFrom.passes, model.spentFrom.logged); };

export function applyEvent(model: BatchModel, e: StampedEvent): void {
  model.first ??= e.ts;
  model.last = e.ts;
  const run = e.run ?? '';
  const pass = e.ticket ? model.running.get(e.ticket) : undefined;
  const note = (text: string | undefined) => {
    if (pass && text) pass.last = { ts: e.ts, text };
  };
  switch (e.type) {
    case 'run-start': {
      closeOpenPasses(model, model.last);
      model.batch = str(e.batch) ?? model.batch;
      model.label = str(e.label) ?? model.label;
      model.workers = num(e.workers) ?? model.workers;
      model.agent = str(e.agent) ?? model.agent;
      model.reviewers = Array.isArray(e.reviewers) ? e.reviewers.map(String) : model.reviewers;
      model.state = str(e.state) ?? model.state;
      model.sandboxOff = undefined;
      model.runs.push({ id: run, start: e.ts, end: undefined, exitCode: undefined, reason: undefined });
      return;
    }
    case 'sandbox-off': {
      model.sandboxOff = str(e.detail) ?? 'agents ran without the OS sandbox';
      return;
    }
    case 'run-end': {
      const record = model.runs.findLast((r) => r.id === run) ?? model.runs.at(-1);
      if (record) Object.assign(record, { end: e.ts, exitCode: num(e.exit_code), reason: str(e.reason) });
      closeOpenPasses(model, e.ts);
      return;
    }
    case 'oracle': {
      model.oracle = { ts: e.ts, verdict: str(e.verdict) ?? '?', satisfied: num(e.satisfied) ?? 0, total: num(e.total) ?? 0, problem: str(e.problem) };
      // the oracle speaks after the last schedule too: its count of satisfied tickets is the newest
      const c = model.counts;
      if (c && e.exit_code !== 2) c.done = Math.max(0, model.oracle.satisfied - c.gated);
      return;
    }
    case 'schedule': {
      const c = (e.counts ?? {}) as Record<string, unknown>;
      const started = Array.isArray(e.started) ? e.started.length : 0;
      const counts = { done: num(c.satisfied) ?? 0, running: (num(c.running) ?? 0) + started, ready: Math.max(0, (num(c.ready) ?? 0) - started), blocked: num(c.blocked) ?? 0, gated: num(c.gated) ?? 0, exhausted: num(c.exhausted) ?? 0, canceled: num(c.canceled) ?? 0 };
      model.counts = { ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
      // the loop's own sum (the batch's, every run's) also counts passes a crash cut short (they have
      // no pass-end); it is the same money as the passes' costs, so the larger of the two, never both
      model.spentFrom.logged = Math.max(model.spentFrom.logged, num(e.spent_usd) ?? 0);
      settleSpent(model);
      return;
    }
    case 'pass-start': {
      if (!e.ticket) return;
      const record: PassRecord = {
        ticket: e.ticket, pass: num(e.pass) ?? 0, of: num(e.of), run, start: e.ts, end: undefined, agent: undefined,
        outcome: undefined, reason: undefined, costUsd: 0, reviews: [], verify: undefined, merged: undefined,
        replay: undefined, reverted: false, last: { ts: e.ts, text: 'starting' },
      };
      ticketOf(model, e.ticket).passes.push(record);
      model.running.set(e.ticket, record);
      return;
    }
    case 'pass-end': {
      if (!e.ticket || !pass) return;
      pass.end = e.ts;
      pass.outcome = str(e.outcome);
      pass.reason = str(e.reason);
      pass.costUsd = num(e.cost_usd) ?? pass.costUsd;
      model.spentFrom.passes += pass.costUsd;
      settleSpent(model);
      model.running.delete(e.ticket);
      return;
    }
    case 'agent-start':
      if (pass) pass.agent = shortSpec(str(e.agent) ?? '');
      return note('agent working');
    case 'agent-end': return note(`agent ${str(e.outcome) ?? '?'}`);
    case 'verify':
      if (pass) pass.verify = str(e.result);
      return note(`finish line ${str(e.result) ?? '?'}`);
    case 'review-start': return note(`review by ${shortSpec(str(e.reviewer) ?? '?')}`);
    case 'review': {
      const review = { reviewer: shortSpec(str(e.reviewer) ?? '?'), verdict: str(e.verdict) ?? '?', findings: Array.isArray(e.findings) ? e.findings.length : 0 };
      pass?.reviews.push(review);
      return note(`${review.reviewer}: ${review.verdict}`);
    }
    case 'review-invalid': return note(`review by ${shortSpec(str(e.reviewer) ?? '?')} invalid`);
    case 'merged':
    case 'merge-found':
      if (pass) pass.merged = str(e.commit);
      return note(`merged ${(str(e.commit) ?? '').slice(0, 8)}`);
    case 'merge-conflict': return note('merge conflict');
    case 'pr-opened': if (pass) pass.pull = str(e.url); return note(`pull request ${e.updated ? 'updated' : 'opened'}`);
    case 'checks': return note(`required checks ${str(e.result) ?? '?'}`);
    case 'replay-start': return note('replaying on target');
    case 'replay':
      if (pass) pass.replay = str(e.result);
      return note(`replay ${str(e.result) ?? '?'}`);
    case 'reverted':
      if (pass) pass.reverted = true;
      return note('merge reverted');
    case 'ticket-done':
      if (e.ticket) ticketOf(model, e.ticket).done = e.ts;
      return note('done');
    case 'ticket-gated':
      if (e.ticket) ticketOf(model, e.ticket).gated = str(e.reason) ?? 'gated';
      return note('gated for a person');
    case 'blocked-check-start': return note('checking the blocked claim');
    case 'ticket-filed': {
      if (!e.ticket) return;
      const filed = { ts: e.ts, key: e.ticket, from: str(e.from) ?? '?', title: str(e.title) ?? '' };
      model.discovered.push(filed);
      ticketOf(model, e.ticket).filed = filed;
      return;
    }
    case 'heal-start':
      model.heals.push(newHeal(e));
      return;
    case 'heal-end': {
      const id = str(e.heal);
      let heal = model.heals.findLast((h) => !h.end && (id === undefined || h.id === undefined || h.id === id));
      if (!heal) {
        heal = newHeal(e);
        model.heals.push(heal);
      }
      const verdict = str(e.tripwire) ?? (str(e.verdict) !== 'wall' ? str(e.verdict) : undefined);
      const reasons = Array.isArray(e.tripwire_reasons) ? e.tripwire_reasons : Array.isArray(e.reasons) ? e.reasons : [];
      Object.assign(heal, {
        end: e.ts, classification: str(e.classification), summary: str(e.summary), tripwire: verdict, commit: str(e.commit),
        ref: str(e.ref), reasons: reasons.map(String), files: Array.isArray(e.files) ? e.files.map(String) : [],
      });
      return;
    }
    case 'confirm':
      model.confirms.push({ ts: e.ts, loopExit: num(e.loop_exit), oracleExit: num(e.oracle_exit), agreed: e.agreed === true });
      return;
    case 'audit': {
      const failed = Array.isArray(e.failed) ? e.failed.flatMap((f: unknown) => (typeof f === 'object' && f !== null ? [f as Record<string, unknown>] : [])) : [];
      model.audits.push({
        ts: e.ts, round: num(e.round) ?? model.audits.length + 1, head: str(e.head),
        passed: Array.isArray(e.passed) ? e.passed.map(String) : [],
        failed: failed.map((f) => ({ ticket: String(f.ticket ?? '?'), command: String(f.command ?? '?'), exit: String(f.exit ?? '?') })),
        reopened: Array.isArray(e.reopened) ? e.reopened.map(String) : [], problem: str(e.problem),
      });
      return;
    }
    case 'intervention':
    case 'intervention-request':
      model.interventions.push({ ts: e.ts, run, type: e.type === 'intervention' ? 'touch' : 'request', kind: str(e.kind) ?? '?', note: str(e.note) ?? str(e.reason) ?? '', ticket: e.ticket });
      return;
    default: return note(queueNote(pass, e)); // --executor queue: which worker, where it resumed from
  }
}

/** Sum of a ticket's pass costs and the wall time its passes took. */
export function ticketTotals(ticket: TicketRecord, now: string | undefined): { costUsd: number; durationMs: number } {
  let costUsd = 0;
  let durationMs = 0;
  for (const pass of ticket.passes) {
    costUsd += pass.costUsd;
    const end = pass.end ?? now;
    if (end) durationMs += Math.max(0, Date.parse(end) - Date.parse(pass.start));
  }
  return { costUsd, durationMs };
}

export function interventionsByKind(model: BatchModel): { work: number; harness: number } {
  return {
    work: model.interventions.filter((i) => i.kind === 'work').length,
    harness: model.interventions.filter((i) => i.kind === 'harness').length,
  };
}
