// The outer loop of DESIGN.md: while the oracle says not done, start a fresh worker per ready ticket
// (up to --workers), react to every worker end, and stop with the exit code of the outcome.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../trackers/errors.ts';
import type { ExitCodeValue } from '../trackers/errors.ts';
import { openTracker } from '../trackers/open.ts';
import type { Ticket } from '../trackers/types.ts';
import { openAgent } from './agents/open.ts';
import type { LoopContext } from './context.ts';
import { fileDiscovered } from './discovered.ts';
import { openGit } from './git.ts';
import { askOracle } from './oracle-client.ts';
import type { OracleAnswer } from './oracle-client.ts';
import type { RunOptions } from './options.ts';
import { describeOutcome, journalPass, runPass } from './pass.ts';
import { countStatuses, pickReady } from './scheduler.ts';
import type { SchedulerView } from './scheduler.ts';
import { acquireRunLock, defaultStateDir, openEventLog, readEvents, statePaths } from './state.ts';
import type { LoopEvent } from './state.ts';

export type RunDeps = {
  env: NodeJS.ProcessEnv;
  onEvent: (event: LoopEvent & { ts: string; run: string }) => void;
  signal?: AbortSignal;
};

export type RunSummary = { exitCode: ExitCodeValue; reason: string; stateDir: string; run: string };

export async function runBatch(options: RunOptions, deps: RunDeps): Promise<RunSummary> {
  const stateDir = options.state ?? defaultStateDir(options.repo, options.batch.label, deps.env);
  const paths = statePaths(stateDir);
  const run = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
  const tracker = await openTracker({ kind: options.tracker, tickets: options.tickets }, deps.env);
  const agent = openAgent(options.agent, options.cwd);
  const reviewers = options.review.map((spec) => openAgent(spec, options.cwd));
  const repo = openGit(options.repo);
  const lock = await acquireRunLock(paths);
  const log = openEventLog(paths.events, run, [deps.onEvent]);
  const controller = new AbortController();
  deps.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let mergeChain: Promise<unknown> = Promise.resolve();
  const ctx: LoopContext = {
    options, tracker, repo, paths, log, run, agent, reviewers, env: deps.env, signal: controller.signal,
    withMergeLock: <T>(fn: () => Promise<T>) => {
      const next = mergeChain.then(fn, fn);
      mergeChain = next.catch(() => undefined);
      return next;
    },
  };
  writeFileSync(join(stateDir, 'run.json'), `${JSON.stringify({ run, pid: process.pid, batch: options.batch.spec, label: options.batch.label, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch, agent: options.agent, review: options.review, workers: options.workers, maxPasses: options.maxPasses, budgetUsd: options.budgetUsd, started: new Date().toISOString() }, null, 2)}\n`);
  log.emit({ type: 'run-start', batch: options.batch.spec, label: options.batch.label, workers: options.workers, agent: agent.spec, reviewers: reviewers.map((r) => r.spec), state: stateDir, reaped: lock.reaped });
  try {
    const summary = await loop(ctx);
    log.emit({ type: 'run-end', exit_code: summary.exitCode, reason: summary.reason });
    return { ...summary, stateDir, run };
  } finally {
    controller.abort();
    await lock.release().catch(() => undefined);
  }
}

async function loop(ctx: LoopContext): Promise<{ exitCode: ExitCodeValue; reason: string }> {
  const { options, log } = ctx;
  const history = readEvents(ctx.paths.events);
  const passesUsed = new Map<string, number>();
  const lastNote = new Map<string, string>();
  let spent = 0;
  for (const event of history) {
    if (event.type === 'agent-start' && event.ticket) passesUsed.set(event.ticket, (passesUsed.get(event.ticket) ?? 0) + 1);
    if (event.type === 'pass-end' && event.ticket && typeof event.reason === 'string') lastNote.set(event.ticket, event.reason);
    if (typeof event.cost_usd === 'number') spent += event.cost_usd;
  }
  let discoveredCount = history.filter((e) => e.type === 'ticket-filed').length;
  const running = new Map<string, Promise<void>>();
  let oracleProblems = 0;

  const oracleLog = join(ctx.paths.root, 'oracle.last.json');
  const ask = async (): Promise<OracleAnswer> => {
    const answer = await askOracle({ batch: options.batch.spec, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch }, oracleLog, ctx.env);
    log.emit({ type: 'oracle', exit_code: answer.exitCode, verdict: answer.verdict, satisfied: answer.tickets.filter((t) => t.satisfied).length, total: answer.tickets.length, ...(answer.problem ? { problem: answer.problem } : {}) });
    return answer;
  };

  for (;;) {
    if (ctx.signal.aborted) {
      await Promise.allSettled(running.values());
      return { exitCode: ExitCode.notDone, reason: 'interrupted' };
    }
    const answer = await ask();
    if (answer.exitCode === 0 && running.size === 0) {
      const gated = answer.tickets.filter((t) => t.via === 'human-gated').length;
      return gated > 0
        ? { exitCode: ExitCode.needsHuman, reason: `${gated} ticket(s) need a human` }
        : { exitCode: ExitCode.done, reason: 'the oracle says done' };
    }
    if (answer.exitCode === 2) {
      oracleProblems++;
      if (running.size === 0 && oracleProblems >= 3) return { exitCode: ExitCode.usage, reason: `the oracle cannot tell: ${answer.problem ?? 'unknown'}` };
      if (running.size === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** oracleProblems));
        continue;
      }
    } else {
      oracleProblems = 0;
    }
    const read = await ctx.tracker.readBatch(options.batch);
    const view: SchedulerView = {
      tickets: read.tickets,
      satisfied: new Set(answer.tickets.filter((t) => t.satisfied).map((t) => t.key)),
      running: new Set(running.keys()),
      passesUsed: (key) => passesUsed.get(key) ?? 0,
      maxPasses: options.maxPasses,
    };
    const budgetLeft = options.budgetUsd === undefined || spent < options.budgetUsd;
    const picked = budgetLeft ? pickReady(view, options.workers - running.size) : [];
    log.emit({ type: 'schedule', counts: countStatuses(view), started: picked.map((t) => t.key), spent_usd: spent });
    for (const ticket of picked) {
      const pass = (passesUsed.get(ticket.key) ?? 0) + 1;
      passesUsed.set(ticket.key, pass);
      const task = work(ticket, pass).finally(() => running.delete(ticket.key));
      running.set(ticket.key, task);
    }
    if (running.size === 0) {
      if (!budgetLeft) return { exitCode: ExitCode.budgetSpent, reason: `the budget of $${options.budgetUsd} is spent ($${spent.toFixed(2)})` };
      const counts = countStatuses(view);
      return { exitCode: ExitCode.notDone, reason: `stopped short of done: nothing is ready and nothing runs (${counts.exhausted} out of passes, ${counts.blocked} blocked, ${counts.canceled} canceled)` };
    }
    await Promise.race(running.values());
  }

  async function work(ticket: Ticket, pass: number): Promise<void> {
    log.emit({ type: 'pass-start', ticket: ticket.key, pass, of: options.maxPasses });
    if (ticket.state === 'todo') await ctx.tracker.moveTicket(ticket.key, 'in_progress');
    try {
      const result = await runPass(ctx, ticket, pass, lastNote.get(ticket.key) ?? '');
      spent += result.costUsd;
      const reason = describeOutcome(result.outcome);
      lastNote.set(ticket.key, reason);
      journalPass(ctx, ticket.key, pass, result.outcome);
      log.emit({ type: 'pass-end', ticket: ticket.key, pass, outcome: result.outcome.kind, reason, cost_usd: result.costUsd });
      if (result.discovered.length > 0) {
        discoveredCount += await fileDiscovered(ctx, ticket, pass, result.discovered, options.maxDiscovered - discoveredCount);
      }
    } catch (error) {
      const reason = `internal error: ${(error as Error).stack ?? String(error)}`;
      lastNote.set(ticket.key, reason);
      log.emit({ type: 'pass-end', ticket: ticket.key, pass, outcome: 'internal-error', reason });
    }
  }
}
