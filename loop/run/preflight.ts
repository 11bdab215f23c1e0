// The preflight: before any agent starts, the batch's distinct finish lines run once on the target head
// in a prepared worktree, as many at once as the run has workers. A set-up that fails, or a command that
// cannot start (the shell finds no such program), stops the run with exit 2 and says what to do, before a
// cent is spent. A finish line that runs and fails is the baseline (the work is not done yet): reported,
// not a problem.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { UsageError } from '../../trackers/errors.ts';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { cannotStart } from '../worktree/environment.ts';
import { runVerify, verifyCommands } from '../worktree/verify.ts';
import type { VerifyOutcome } from '../worktree/verify.ts';

/** A finish line whose command the shell could not start (a program not found), not one that ran and failed. */
function unstartable(outcome: VerifyOutcome): boolean {
  return outcome.kind === 'failed' && cannotStart(outcome.exit, outcome.output);
}

function firstLines(text: string, count = 12): string {
  return text.trim().split('\n').slice(0, count).map((l) => `    ${l}`).join('\n');
}

const WHAT_TO_DO = 'What to do: make the command available to the repo (add it to its dependencies, so the set-up installs it), or give the set-up that does (--setup CMD, or "setup" in nightshift.config.json). --no-preflight skips this check.';

/** Runs the preflight on the open tickets of `tickets`; throws a UsageError (exit 2) on an environment failure. */
export async function runPreflight(ctx: LoopContext, tickets: readonly Ticket[]): Promise<void> {
  const environment = ctx.environment;
  const lines = new Map<string, string[]>();
  for (const t of tickets) {
    if (t.state === 'done' || t.state === 'canceled') continue;
    const commands = verifyCommands(t.description);
    if (commands.length > 0) lines.set(JSON.stringify(commands), commands);
  }
  const started = Date.now();
  const rev = ctx.targetGuard.rev();
  const target = ctx.options.targetBranch;
  const dir = ctx.paths.scratch('preflight');
  const logDir = ctx.paths.passDir('preflight', 0);
  mkdirSync(logDir, { recursive: true });
  await ctx.worktrees.acquire(dir, { kind: 'detached', commit: rev });
  try {
    const prepared = await environment.prepare(dir, { trusted: true, logFile: join(logDir, 'setup.log'), where: 'preflight' });
    if (prepared.kind === 'failed') {
      ctx.log.emit({ type: 'preflight', result: 'setup-failed', command: prepared.command, exit: prepared.exit, duration_ms: Date.now() - started });
      throw new UsageError('preflight', `preflight: the set-up \`${prepared.command}\` failed (${prepared.exit}) on ${target} at ${rev.slice(0, 12)}:\n${firstLines(prepared.output)}\nThe full output: ${join(logDir, 'setup.log')}\nWhat to do: fix the set-up so it works on a clean checkout of ${target} (--setup CMD, or "setup" in nightshift.config.json; "setup": [] or --no-setup turns it off). No agent was started.`);
    }
    // the distinct finish lines in lanes (as many as --workers), each in turn in the one prepared worktree;
    // a line that cannot start stops the lanes taking more, and is run again alone before it stops the run
    // (another line running beside it, such as one that reinstalls the tools, cannot make it look missing)
    const list = [...lines.values()];
    const outcomes: Array<VerifyOutcome | undefined> = [];
    const run = (i: number, commands: string[]) => runVerify({ commands, cwd: dir, env: ctx.env, logFile: join(logDir, `finish-line-${i + 1}.log`), timeoutMs: ctx.options.workerMinutes * 60_000, signal: ctx.signal, kind: 'preflight' });
    const lanes = Math.max(1, Math.min(ctx.options.workers, list.length));
    const limit = pLimit(lanes);
    let stopped = false;
    await Promise.all(list.map((commands, i) => limit(async () => {
      if (stopped || ctx.signal?.aborted) return;
      const outcome = await run(i, commands);
      outcomes[i] = outcome;
      if (unstartable(outcome)) stopped = true;
    })));
    const results: Array<{ command: string; result: 'passed' | 'failed' | 'cannot-start'; exit?: string }> = [];
    for (const [i, commands] of list.entries()) {
      // a line the lanes left (one before it looked unable to start) runs now, one at a time
      let outcome = outcomes[i] ?? await run(i, commands);
      if (lanes > 1 && unstartable(outcome)) outcome = await run(i, commands);
      const ran = outcome.kind === 'failed' ? commands.slice(0, commands.indexOf(outcome.command) + 1) : commands;
      for (const command of outcome.kind === 'failed' ? ran.slice(0, -1) : ran) if (!results.some((r) => r.command === command)) results.push({ command, result: 'passed' });
      if (outcome.kind === 'failed' && unstartable(outcome)) {
        results.push({ command: outcome.command, result: 'cannot-start', exit: outcome.exit });
        ctx.log.emit({ type: 'preflight', result: 'cannot-start', commit: rev, results, command: outcome.command, exit: outcome.exit, output: outcome.output.slice(-2_000), duration_ms: Date.now() - started });
        throw new UsageError('preflight', `preflight: the finish line \`${outcome.command}\` cannot start on ${target} at ${rev.slice(0, 12)} (${outcome.exit}):\n${firstLines(outcome.output)}\n${WHAT_TO_DO} No agent was started.`);
      }
      for (const command of ran) environment.started.add(command);
      if (outcome.kind === 'failed' && !results.some((r) => r.command === outcome.command)) results.push({ command: outcome.command, result: 'failed', exit: outcome.exit });
    }
    ctx.log.emit({ type: 'preflight', result: 'ok', commit: rev, results, duration_ms: Date.now() - started });
  } finally {
    await ctx.worktrees.release(dir).catch(() => undefined);
  }
}
