// What runs side by side when an agent ends, before the landing: the finish line (in a worktree prepared
// again if the branch changed its lockfiles), the commit count, the merge made ahead, the ratchet and
// the review diff; stopped and awaited together.
import { join } from 'node:path';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { branchOf } from '../git/git.ts';
import { commitsAhead } from '../git/target.ts';
import { mergeAhead } from '../land/ahead.ts';
import type { MergeAhead } from '../land/ahead.ts';
import { reviewDiff } from '../land/review.ts';
import { checkRatchet } from '../land/ratchet.ts';
import type { RatchetFinding } from '../land/ratchet.ts';
import { setupLog } from '../worktree/environment.ts';
import { finishLine, runVerify } from '../worktree/verify.ts';
import type { VerifyOutcome } from '../worktree/verify.ts';

/**
 * The finish line in the worker's worktree. A worker that changed a lockfile changed what the worktree
 * needs: it is prepared again, in place (never stored), and a set-up that then fails is the change's
 * failure, reported as the finish line's.
 */
export async function verifyPrepared(ctx: LoopContext, key: string, worktree: string, dir: string, envKey: string | undefined, commands: string[], signal: AbortSignal): Promise<VerifyOutcome> {
  if (envKey !== undefined && ctx.environment.keyOf(worktree) !== envKey) {
    const again = await ctx.environment.prepare(worktree, { trusted: false, logFile: setupLog(dir), ticket: key, where: 'verify' });
    if (again.kind === 'failed') return { kind: 'failed', command: `set-up: ${again.command}`, exit: again.exit, output: again.output, digest: '' };
  }
  return runVerify({ commands, cwd: worktree, env: ctx.env, logFile: join(dir, 'verify.log'), timeoutMs: ctx.options.workerMinutes * 60_000, signal });
}

type EarlyChecks = {
  line: ReturnType<typeof finishLine>;
  ahead: Promise<number>;
  verify: Promise<VerifyOutcome> | undefined;
  ratchet: Promise<RatchetFinding[]>;
  diff: Promise<string>;
  /** The merge prepared when the agent ended (land.ts mergeAhead): its commit made, not placed, and the replay's worktree. */
  merge: MergeAhead;
  /** Kills the verify if it still runs, waits for everything started, and gives back the replay worktree no landing took. */
  stop(): Promise<void>;
};

export function startChecks(ctx: LoopContext, ticket: Ticket, worktree: string, dir: string, envKey: string | undefined): EarlyChecks {
  const { key } = ticket;
  const target = ctx.options.targetBranch;
  const stopper = new AbortController();
  const line = finishLine(ticket.description, key, worktree);
  const verify = line.commands.length > 0
    ? verifyPrepared(ctx, ticket.key, worktree, dir, envKey, line.commands, AbortSignal.any([ctx.signal, stopper.signal]))
    : undefined;
  const ahead = commitsAhead(ctx.repo, target, key, ctx.targetGuard.rev());
  const merge = mergeAhead(ctx, ticket);
  // the ratchet judges the head the merge is made of
  const rev = ctx.targetGuard.rev();
  const ratchet = merge.head.then((head) => checkRatchet(ctx.repo, target, branchOf(key), rev, head));
  const diff = reviewDiff(ctx, key);
  const started: Array<Promise<unknown>> = [ahead, ratchet, diff, merge.made, ...(verify ? [verify] : [])];
  for (const promise of started) void promise.catch(() => undefined); // awaited where used, or by stop()
  return {
    line, ahead, verify, ratchet, diff, merge,
    async stop() {
      stopper.abort();
      await Promise.allSettled(started);
      await merge.abandon();
    },
  };
}
