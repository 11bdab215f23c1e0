// Landing a reviewed change: merge into the target with the trailer (serialized, and skipped when
// the trailer is already there after a crash), post-merge replay of the finish line on a clean
// worktree of the new head, then the receipt and Done, or the revert and the ticket reopened.
import { join } from 'node:path';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { mergeIntoTarget, placeMerge, reapplyOnBranch, revertOnTarget } from '../git/target.ts';
import { renderReceiptComment } from '../../oracle/receipt-write.ts';
import { setupLog } from '../worktree/environment.ts';
import { finishLine, runVerify } from '../worktree/verify.ts';
import type { VerifyOutcome } from '../worktree/verify.ts';
import { shipMove } from './push.ts';
import { landTicketThroughPull, revertThroughPull } from './pr.ts';
import { liveReplay } from './live.ts';
import { mergeAhead, readyMerge } from './ahead.ts';
import type { MergeAhead } from './ahead.ts';
import type { LiveOutcome } from './live.ts';

export type LandOutcome =
  | { kind: 'landed'; mergeCommit: string }
  | { kind: 'merge-conflict'; message: string }
  /** `--land pr`: a required check of the pull request failed (or never finished). */
  | { kind: 'check-failed'; url: string; check: string; output: string }
  /** `--land pr`: the loop stopped while the pull request waited for its checks. */
  | { kind: 'interrupted'; reason: string }
  | { kind: 'replay-failed'; mergeCommit: string; command: string; output: string; reverted: boolean }
  | { kind: 'replay-interrupted'; mergeCommit: string };

export async function landTicket(
  ctx: LoopContext,
  ticket: Ticket,
  pass: number,
  reviewers: Array<{ agent: string; verdict: string }>,
  ahead: MergeAhead = mergeAhead(ctx, ticket),
): Promise<LandOutcome> {
  const target = ctx.options.targetBranch;
  const scratch = ctx.paths.scratch(`replay-${ticket.key}`);
  const replayTree = ahead.takeReplayTree();
  /** Gives the replay's worktree back unused (no merge to replay), without waiting. */
  const dropReplayTree = async () => {
    if (await replayTree) void ctx.worktrees.release(scratch).catch(() => undefined);
  };
  if (ctx.pulls) {
    // `--land pr`: GitHub merges the pull request once its required checks pass; the replay follows as in every mode
    await dropReplayTree();
    const through = await landTicketThroughPull(ctx, ctx.pulls, ticket, pass, reviewers);
    if (through.kind === 'merged') {
      ctx.log.emit({ type: 'merged', ticket: ticket.key, pass, commit: through.commit, previous: through.previous, ...(through.pull ? { pull: through.pull.url } : {}) });
      return replayAndSettle(ctx, ticket, pass, through.commit, reviewers, undefined, through.pull?.url);
    }
    if (through.kind === 'check-failed') return { kind: 'check-failed', url: through.pull.url, check: through.check, output: through.output };
    if (through.kind === 'interrupted') return { kind: 'interrupted', reason: `the loop stopped while ${through.pull.url} waited for its checks` };
    ctx.log.emit({ type: 'merge-conflict', ticket: ticket.key, pass, message: through.message });
    return { kind: 'merge-conflict', message: through.message };
  }
  // The merge commit is made before the lock (`ahead`), on the target as the loop last put it, and made
  // again, still before the lock, on where the target will be when this landing's turn comes (landings
  // queued ahead of it placing theirs); under the lock it is placed if the target is there, else made
  // again there.
  const { earlier, head: branchHead } = ahead;
  const ready = readyMerge(ctx, ticket, ahead);
  // Only the merge holds the lock; the replay runs at the merge commit (the target head the merge made),
  // so other tickets may merge meanwhile. A revert takes the lock again.
  const merged = await ctx.withMergeLock(async (): Promise<LandOutcome> => {
    // no guard check first: the merge's compare-and-swap finds a foreign move, and the guard undoes it below
    const found = await earlier;
    if (found) {
      ctx.log.emit({ type: 'merge-found', ticket: ticket.key, pass, commit: found });
      return { kind: 'landed', mergeCommit: found };
    }
    // compare-and-swap against where the loop last put the target, so a move made meanwhile by anyone
    // else is never merged on top of: the guard undoes it and the merge is tried once more
    const { at, made } = await ready.merge;
    const early = at !== undefined && ctx.targetGuard.expected() === at ? made : undefined;
    if (made !== undefined && early === undefined) ready.missed();
    let merge = early?.kind === 'commit'
      ? await placeMerge(ctx.repo, target, ticket.key, early.commit, at ?? '')
      : early ?? await mergeIntoTarget(ctx.repo, target, ticket.key, ticket.title, ctx.run, ctx.targetGuard.expected(), branchHead);
    if (merge.kind === 'target-moved') {
      await ctx.targetGuard.check('during a merge', [ticket.key]);
      merge = await mergeIntoTarget(ctx.repo, target, ticket.key, ticket.title, ctx.run, ctx.targetGuard.expected(), branchHead);
    }
    if (merge.kind !== 'merged') {
      const message = merge.kind === 'conflict' ? merge.message : `${target} moved during the merge`;
      ctx.log.emit({ type: 'merge-conflict', ticket: ticket.key, pass, message });
      return { kind: 'merge-conflict', message };
    }
    ctx.targetGuard.moved(merge.commit);
    if (ctx.upstream) {
      // `--land push`: the merge counts only once the upstream took it; a rejected push is merged again on its new head
      const shipped = await shipMove(ctx, ctx.upstream, { ticket: ticket.key, pass, kind: 'merge' }, merge.previous, merge.commit, async (at) => {
        const again = await mergeIntoTarget(ctx.repo, target, ticket.key, ticket.title, ctx.run, at, branchHead);
        if (again.kind !== 'merged') return { kind: 'failed', message: again.kind === 'conflict' ? again.message : `${target} moved during the merge` };
        ctx.targetGuard.moved(again.commit);
        return { kind: 'done', commit: again.commit };
      });
      if (shipped.kind === 'failed') {
        ctx.log.emit({ type: 'merge-conflict', ticket: ticket.key, pass, message: shipped.message });
        return { kind: 'merge-conflict', message: shipped.message };
      }
      merge = { kind: 'merged', commit: shipped.commit, previous: shipped.previous };
    }
    ctx.log.emit({ type: 'merged', ticket: ticket.key, pass, commit: merge.commit, previous: merge.previous });
    return { kind: 'landed', mergeCommit: merge.commit };
  }).finally(ready.done).catch(async (error: unknown) => {
    await dropReplayTree();
    throw error;
  });
  if (merged.kind !== 'landed') {
    await dropReplayTree();
    return merged;
  }
  return replayAndSettle(ctx, ticket, pass, merged.mergeCommit, reviewers, replayTree);
}

/**
 * Runs the finish line on a clean worktree at the merge commit; writes the receipt or reverts.
 * `prepared`: whether a worktree made for this replay waits at its path (landTicket), to be moved to the merge commit.
 */
export async function replayAndSettle(
  ctx: LoopContext,
  ticket: Ticket,
  pass: number,
  mergeCommit: string,
  reviewers: Array<{ agent: string; verdict: string }>,
  prepared?: Promise<boolean>,
  /** `--land pr`: the merged pull request, named in the receipt. */
  pull?: string,
): Promise<LandOutcome> {
  const target = ctx.options.targetBranch;
  const head = mergeCommit;
  const scratch = ctx.paths.scratch(`replay-${ticket.key}`);
  const moved = prepared !== undefined && await prepared && await ctx.worktrees.retarget(scratch, head).then(() => true, () => false);
  if (!moved) await ctx.worktrees.acquire(scratch, { kind: 'detached', commit: head });
  ctx.log.emit({ type: 'replay-start', ticket: ticket.key, pass, commit: head });
  // a clean worktree of the merged head, prepared like any other (its install may be stored: it is the target's head)
  const replayRun = async (): Promise<VerifyOutcome> => {
    const env = await ctx.environment.prepare(scratch, { trusted: true, logFile: setupLog(ctx.paths.passDir(ticket.key, pass)), ticket: ticket.key, pass, where: 'replay' });
    if (env.kind === 'failed') return { kind: 'failed', command: `set-up: ${env.command}`, exit: env.exit, output: env.output, digest: '' };
    return runVerify({
      commands: finishLine(ticket.description, ticket.key, scratch).commands,
      cwd: scratch,
      env: ctx.env,
      logFile: join(ctx.paths.passDir(ticket.key, pass), 'replay.log'),
      kind: 'replay',
      timeoutMs: ctx.options.workerMinutes * 60_000,
      signal: ctx.signal,
    });
  };
  // a passed replay is followed, in the same worktree, by the deploy and the live replay (loop/land/live.ts)
  const { replay, live } = await replayRun().then(async (outcome): Promise<{ replay: VerifyOutcome; live: LiveOutcome }> => {
    if (outcome.kind !== 'passed') return { replay: outcome, live: { kind: 'none' } };
    ctx.log.emit({ type: 'replay', ticket: ticket.key, pass, result: 'passed', digest: outcome.digest });
    return { replay: outcome, live: await liveReplay(ctx, ticket, pass, scratch, mergeCommit) };
  }).finally(() => {
    // given back without waiting: the pool finishes it before that path is handed out again
    void ctx.worktrees.release(scratch).catch(() => undefined);
  });
  if ((replay.kind !== 'passed' || live.kind === 'failed' || live.kind === 'interrupted') && ctx.signal.aborted) {
    // the loop is stopping: a killed replay proves nothing; the next start finds the merge and replays it
    ctx.log.emit({ type: 'replay', ticket: ticket.key, pass, result: 'interrupted' });
    return { kind: 'replay-interrupted', mergeCommit };
  }
  if (replay.kind === 'passed' && (live.kind === 'none' || live.kind === 'passed')) {
    const receipt = renderReceiptComment({ ticket: ticket.key, mergeCommit, targetBranch: target, replayDigest: replay.digest, reviewers, run: ctx.run });
    const notes = [...(live.kind === 'passed' ? [`Live replay: passed${live.attempts > 1 ? ` on try ${live.attempts}` : ''}${ctx.options.deploy ? ' after the deploy' : ''}.`] : []), ...(pull ? [`Pull request: ${pull}`] : [])];
    await ctx.tracker.comment(ticket.key, notes.length > 0 ? `${receipt}\n\n${notes.join('\n')}` : receipt);
    await ctx.tracker.moveTicket(ticket.key, 'done');
    ctx.log.emit({ type: 'ticket-done', ticket: ticket.key, pass, commit: mergeCommit });
    return { kind: 'landed', mergeCommit };
  }
  const failed = live.kind === 'failed' ? live : replay.kind === 'failed' ? replay : undefined;
  const command = failed ? failed.command : '(no verify commands)';
  const output = failed ? failed.output : 'the ticket has no ```verify block';
  if (replay.kind !== 'passed') ctx.log.emit({ type: 'replay', ticket: ticket.key, pass, result: 'failed', command, output });
  const reverted = ctx.pulls ? await revertPull(ctx, ticket, pass, mergeCommit) : await ctx.withMergeLock(async () => {
    await ctx.targetGuard.check('before a revert', [ticket.key]);
    const revert = (at: string) => revertOnTarget(ctx.repo, target, mergeCommit, ticket.key, ctx.paths.scratch(`revert-${ticket.key}`), at);
    const before = ctx.targetGuard.expected();
    let outcome = await revert(before);
    if (outcome.kind === 'reverted') ctx.targetGuard.moved(outcome.commit);
    if (outcome.kind === 'reverted' && ctx.upstream) {
      // `--land push`: the revert ships the same way as the merge did
      const shipped = await shipMove(ctx, ctx.upstream, { ticket: ticket.key, pass, kind: 'revert' }, before, outcome.commit, async (at) => {
        const again = await revert(at);
        if (again.kind !== 'reverted') return { kind: 'failed', message: again.message };
        ctx.targetGuard.moved(again.commit);
        return { kind: 'done', commit: again.commit };
      });
      outcome = shipped.kind === 'pushed' ? { kind: 'reverted', commit: shipped.commit } : { kind: 'failed', message: shipped.message };
    }
    ctx.log.emit({ type: 'reverted', ticket: ticket.key, pass, merge: mergeCommit, ...(outcome.kind === 'reverted' ? { commit: outcome.commit } : { problem: outcome.message }) });
    if (outcome.kind === 'reverted') {
      await reapplyOnBranch(ctx.repo, target, ticket.key, outcome.commit, ctx.paths.scratch(`reapply-${ticket.key}`)).catch((error: unknown) => {
        ctx.log.emit({ type: 'reapply-failed', ticket: ticket.key, pass, problem: (error as Error).message });
      });
    }
    return outcome;
  });
  await ctx.tracker.moveTicket(ticket.key, 'in_progress');
  await ctx.tracker.comment(ticket.key, `nightshift: the merge ${mergeCommit.slice(0, 12)} of ${ticket.key} was ${reverted.kind === 'reverted' ? 'reverted' : 'NOT reverted (revert failed)'} because its ${live.kind === 'failed' ? 'live replay (after landing)' : `replay on ${target}`} failed.\n\nCommand: ${command}\n\n\`\`\`\n${output}\n\`\`\``);
  return { kind: 'replay-failed', mergeCommit, command, output, reverted: reverted.kind === 'reverted' };
}

/** `--land pr`: the revert lands through a pull request of its own; the ticket's work goes back on its branch. */
async function revertPull(ctx: LoopContext, ticket: Ticket, pass: number, mergeCommit: string): Promise<{ kind: 'reverted'; commit: string } | { kind: 'failed'; message: string }> {
  const outcome = ctx.pulls ? await revertThroughPull(ctx, ctx.pulls, ticket, pass, mergeCommit) : { kind: 'failed' as const, message: 'no forge' };
  ctx.log.emit({ type: 'reverted', ticket: ticket.key, pass, merge: mergeCommit, ...(outcome.kind === 'reverted' ? { commit: outcome.commit } : { problem: outcome.message }) });
  if (outcome.kind !== 'reverted') return outcome;
  await ctx.withMergeLock(() => reapplyOnBranch(ctx.repo, ctx.options.targetBranch, ticket.key, outcome.revert, ctx.paths.scratch(`reapply-${ticket.key}`))).catch((error: unknown) => {
    ctx.log.emit({ type: 'reapply-failed', ticket: ticket.key, pass, problem: (error as Error).message });
  });
  return { kind: 'reverted', commit: outcome.commit };
}
