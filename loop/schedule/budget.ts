// The dollar budget of a batch: the cost the agents reported, summed over every pass of every run of
// this state dir (so a restart after a crash does not forget what was spent). Exit 4 when it is spent:
// a pass that already runs may finish, no new pass starts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerResult, readResult } from '../../oracle/results.ts';
import type { LoopEvent, StatePaths } from '../state/state.ts';

export type Budget = {
  readonly limitUsd: number | undefined;
  spentUsd(): number;
  add(costUsd: number): void;
  /** Whether a new pass may start. */
  allowsNewPass(): boolean;
  describe(): string;
};

export function openBudget(limitUsd: number | undefined, spentBefore: number): Budget {
  let spent = spentBefore;
  return {
    limitUsd,
    spentUsd: () => spent,
    add(costUsd) {
      if (Number.isFinite(costUsd) && costUsd > 0) spent += costUsd;
    },
    allowsNewPass: () => limitUsd === undefined || spent < limitUsd,
    describe: () => `$${spent.toFixed(2)} of ${limitUsd === undefined ? 'no limit' : `$${limitUsd.toFixed(2)}`}`,
  };
}

/**
 * What earlier runs spent: each finished pass's `pass-end` cost (worker, reviewers, blocked-check) and
 * each heal's `heal-end` cost. A pass cut short by a crash has no `pass-end`; its worker's result file
 * and its reviews' and blocked-check's events still tell.
 */
export function spentInHistory(events: ReadonlyArray<LoopEvent>, paths: StatePaths): number {
  const ended = new Set<string>();
  let spent = 0;
  for (const e of events) {
    // a heal runs between loop processes (heal/supervisor.ts): its agent's cost is in its heal-end
    if (e.type === 'heal-end' && typeof e.cost_usd === 'number') spent += e.cost_usd;
    if (e.type !== 'pass-end' || !e.ticket) continue;
    ended.add(`${e.ticket}#${String(e.pass)}`);
    if (typeof e.cost_usd === 'number') spent += e.cost_usd;
  }
  const cutShort = new Set<string>();
  for (const e of events) {
    if (!e.ticket || ended.has(`${e.ticket}#${String(e.pass)}`)) continue;
    if ((e.type === 'review' || e.type === 'blocked-check') && typeof e.cost_usd === 'number') spent += e.cost_usd;
    if (e.type === 'agent-start') cutShort.add(`${e.ticket}#${String(e.pass)}`);
  }
  for (const id of cutShort) {
    const [key = '', pass = '0'] = id.split('#');
    spent += workerCost(paths, key, Number(pass));
  }
  return spent;
}

/** The cost a worker reported in its result file (0 when there is none), known as soon as its agent ends. */
export function workerCost(paths: StatePaths, key: string, pass: number): number {
  const file = join(paths.passDir(key, pass), 'result.json');
  if (!existsSync(file)) return 0;
  const result = readResult(file, WorkerResult);
  return result.kind === 'ok' ? result.value.cost_usd : 0;
}
