// The dollar budgets of a batch: the cost the agents reported, summed over every pass of every run of
// this state dir (so a restart after a crash does not forget what was spent). Three caps: the batch's
// (`--budget-usd`), one UTC day's (`budgetUsdPerDay`) and one ticket's (`budgetUsdPerTicket`). Exit 4
// when the batch's or the day's is spent: a pass that already runs may finish, no new pass starts; a
// ticket whose own cap is spent gets no new pass.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerResult, readResult } from '../../oracle/results.ts';
import type { LoadedState } from '../report/load.ts';
import { statePaths } from '../state/state.ts';
import type { LoopEvent, StatePaths } from '../state/state.ts';

/** What was spent, in all, per UTC day (`YYYY-MM-DD`) and per ticket. */
export type Ledger = { total: number; byDay: Map<string, number>; byTicket: Map<string, number> };

export type BudgetLimits = { batchUsd: number | undefined; dayUsd: number | undefined; ticketUsd: number | undefined };

/** One cap and what is spent against it; `scope` is `batch`, `day` or `ticket:<KEY>`. */
export type BudgetUse = { scope: string; spentUsd: number; limitUsd: number };

export type Budget = {
  readonly limitUsd: number | undefined;
  readonly limits: BudgetLimits;
  spentUsd(): number;
  spentToday(): number;
  spentOn(ticket: string): number;
  add(costUsd: number, ticket?: string): void;
  /** Whether a new pass may start (the batch's and today's caps). */
  allowsNewPass(): boolean;
  /** Whether this ticket may get a new pass (its own cap). */
  allowsTicket(ticket: string): boolean;
  /** Every cap that is set, with what is spent against it (tickets: only those with spending). */
  uses(): BudgetUse[];
  describe(): string;
};

const usd = (n: number) => `$${n.toFixed(2)}`;
const utcDay = (at: Date | string) => (typeof at === 'string' ? at : at.toISOString()).slice(0, 10);

export function emptyLedger(): Ledger {
  return { total: 0, byDay: new Map(), byTicket: new Map() };
}

export function openBudget(limitUsd: number | undefined, spentBefore: number | Ledger, options: { dayUsd?: number | undefined; ticketUsd?: number | undefined; now?: () => Date } = {}): Budget {
  const ledger = typeof spentBefore === 'number' ? { ...emptyLedger(), total: spentBefore } : spentBefore;
  const now = options.now ?? (() => new Date());
  const limits: BudgetLimits = { batchUsd: limitUsd, dayUsd: options.dayUsd, ticketUsd: options.ticketUsd };
  const spentToday = () => ledger.byDay.get(utcDay(now())) ?? 0;
  const spentOn = (ticket: string) => ledger.byTicket.get(ticket) ?? 0;
  return {
    limitUsd,
    limits,
    spentUsd: () => ledger.total,
    spentToday,
    spentOn,
    add(costUsd, ticket) {
      if (Number.isFinite(costUsd) && costUsd > 0) record(ledger, costUsd, utcDay(now()), ticket);
    },
    allowsNewPass: () => (limitUsd === undefined || ledger.total < limitUsd) && (limits.dayUsd === undefined || spentToday() < limits.dayUsd),
    allowsTicket: (ticket) => limits.ticketUsd === undefined || spentOn(ticket) < limits.ticketUsd,
    uses() {
      const uses: BudgetUse[] = [];
      if (limitUsd !== undefined) uses.push({ scope: 'batch', spentUsd: ledger.total, limitUsd });
      if (limits.dayUsd !== undefined) uses.push({ scope: 'day', spentUsd: spentToday(), limitUsd: limits.dayUsd });
      const perTicket = limits.ticketUsd;
      if (perTicket !== undefined) for (const [ticket, spent] of ledger.byTicket) uses.push({ scope: `ticket:${ticket}`, spentUsd: spent, limitUsd: perTicket });
      return uses;
    },
    describe: () => [
      `${usd(ledger.total)} of ${limitUsd === undefined ? 'no limit' : usd(limitUsd)}`,
      ...(limits.dayUsd !== undefined ? [`today ${usd(spentToday())} of ${usd(limits.dayUsd)} a day`] : []),
      ...(limits.ticketUsd !== undefined ? [`at most ${usd(limits.ticketUsd)} a ticket`] : []),
    ].join(', '),
  };
}

function record(ledger: Ledger, costUsd: number, day: string, ticket: string | undefined): void {
  ledger.total += costUsd;
  ledger.byDay.set(day, (ledger.byDay.get(day) ?? 0) + costUsd);
  if (ticket !== undefined) ledger.byTicket.set(ticket, (ledger.byTicket.get(ticket) ?? 0) + costUsd);
}

/** What earlier runs spent, in all (see `ledgerOf`). */
export function spentInHistory(events: ReadonlyArray<LoopEvent>, paths: StatePaths): number {
  return ledgerOf(events, paths).total;
}

/**
 * What earlier runs spent, in all, per UTC day and per ticket: each finished pass's `pass-end` cost
 * (worker, reviewers, blocked-check) and each heal's `heal-end` cost (a day's, no ticket's). A pass cut
 * short by a crash has no `pass-end`; its worker's result file and its reviews' and blocked-check's
 * events still tell (counted on the day of its last such event).
 */
export function ledgerOf(events: ReadonlyArray<LoopEvent>, paths: StatePaths): Ledger {
  const ledger = emptyLedger();
  const ended = new Set<string>();
  const dayOf = (e: LoopEvent) => (typeof e.ts === 'string' ? utcDay(e.ts) : utcDay(new Date()));
  for (const e of events) {
    // a heal runs between loop processes (heal/supervisor.ts): its agent's cost is in its heal-end
    if (e.type === 'heal-end' && typeof e.cost_usd === 'number' && e.cost_usd > 0) record(ledger, e.cost_usd, dayOf(e), undefined);
    if (e.type !== 'pass-end' || !e.ticket) continue;
    ended.add(`${e.ticket}#${String(e.pass)}`);
    if (typeof e.cost_usd === 'number' && e.cost_usd > 0) record(ledger, e.cost_usd, dayOf(e), e.ticket);
  }
  const cutShort = new Map<string, string>();
  for (const e of events) {
    if (!e.ticket || ended.has(`${e.ticket}#${String(e.pass)}`)) continue;
    if ((e.type === 'review' || e.type === 'blocked-check') && typeof e.cost_usd === 'number' && e.cost_usd > 0) record(ledger, e.cost_usd, dayOf(e), e.ticket);
    if (e.type === 'agent-start') cutShort.set(`${e.ticket}#${String(e.pass)}`, dayOf(e));
  }
  for (const [id, day] of cutShort) {
    const [key = '', pass = '0'] = id.split('#');
    const cost = workerCost(paths, key, Number(pass));
    if (cost > 0) record(ledger, cost, day, key);
  }
  return ledger;
}

/** The cost a worker reported in its result file (0 when there is none), known as soon as its agent ends. */
export function workerCost(paths: StatePaths, key: string, pass: number): number {
  const file = join(paths.passDir(key, pass), 'result.json');
  if (!existsSync(file)) return 0;
  const result = readResult(file, WorkerResult);
  return result.kind === 'ok' ? result.value.cost_usd : 0;
}

/** The three caps, each with what is spent against it: the batch's, today's (UTC) and the costliest ticket's. */
export type BudgetsView = {
  batch: { limit_usd: number | null; spent_usd: number };
  day: { limit_usd: number | null; spent_usd: number; day: string };
  ticket: { limit_usd: number | null; max_spent_usd: number; ticket: string | null };
};

/** `day`: today (UTC) while the loop runs, else the day of the batch's last event. */
export function budgetsOf(state: LoadedState, now = new Date()): BudgetsView {
  const ledger = ledgerOf(state.events, statePaths(state.dir));
  const day = (state.liveness === 'running' || !state.model.last ? now.toISOString() : state.model.last).slice(0, 10);
  const costliest = [...ledger.byTicket].sort((a, b) => b[1] - a[1])[0];
  const round = (n: number) => Number(n.toFixed(4));
  return {
    batch: { limit_usd: state.runJson?.budgetUsd ?? null, spent_usd: round(ledger.total) },
    day: { limit_usd: state.runJson?.budgetUsdPerDay ?? null, spent_usd: round(ledger.byDay.get(day) ?? 0), day },
    ticket: { limit_usd: state.runJson?.budgetUsdPerTicket ?? null, max_spent_usd: round(costliest?.[1] ?? 0), ticket: costliest?.[0] ?? null },
  };
}

export function describeBudgets(b: BudgetsView): string {
  const of = (limit: number | null) => (limit === null ? 'no cap' : usd(limit));
  return [
    `batch ${usd(b.batch.spent_usd)} of ${of(b.batch.limit_usd)}`,
    `${b.day.day} ${usd(b.day.spent_usd)} of ${of(b.day.limit_usd)} a day`,
    `per ticket ${b.ticket.ticket ? `${usd(b.ticket.max_spent_usd)} (${b.ticket.ticket})` : usd(0)} of ${of(b.ticket.limit_usd)}`,
  ].join(' · ');
}
