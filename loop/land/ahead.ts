// A ticket's merge prepared before the merge lock: whether it is on the target already (a crash
// between a merge and its receipt), its merge commit made on the target as the loop last put it when
// the agent ended, made again on where the target will be when its turn under the lock comes, and the
// replay's worktree. Nothing is moved here: the target only under the merge lock, in land.ts.
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { branchOf, isAncestor, revParse } from '../git/git.ts';
import { findMergeOnTarget, makeMergeCommit } from '../git/target.ts';
import { findReceipt } from '../../oracle/receipt.ts';

/**
 * A merge prepared ahead (pass.ts starts it when the agent ends): whether the ticket's merge is on the
 * target already, the branch head, its merge commit on `base`, and the replay's worktree. Nothing is
 * moved: the target only under the merge lock, in landTicket.
 */
export type MergeAhead = {
  base: string;
  earlier: Promise<string | undefined>;
  head: Promise<string | undefined>;
  made: Promise<Awaited<ReturnType<typeof makeMergeCommit>> | undefined>;
  /** The replay's worktree, made at `base` (false: it could not be); landTicket takes it over. */
  takeReplayTree(): Promise<boolean>;
  /** Gives the replay's worktree back, without waiting, unless landTicket took it. */
  abandon(): Promise<void>;
};

/**
 * The ticket's merge on the target that still counts: `findMergeOnTarget`'s, unless a failed final audit
 * (a comment after the ticket's last receipt) ran on a head that contains it. Such a merge was judged
 * and found broken on a later head: the ticket needs a new pass and a new merge, not that one resumed.
 */
export async function liveMergeOnTarget(ctx: LoopContext, ticket: Ticket): Promise<string | undefined> {
  const found = await findMergeOnTarget(ctx.repo, ctx.options.targetBranch, ticket.key, ctx.targetGuard.rev());
  const lookup = findReceipt(ticket.comments);
  if (!found || lookup.kind !== 'superseded') return found;
  if (lookup.commit === undefined) return undefined;
  const audited = await isAncestor(ctx.repo, found, lookup.commit);
  return audited ? undefined : found;
}

/** Starts preparing the ticket's merge on the target as the loop last put it. */
export function mergeAhead(ctx: LoopContext, ticket: Ticket): MergeAhead {
  const base = ctx.targetGuard.expected();
  // Whether the ticket's merge is on the target already (a crash between a merge and its receipt): only
  // this pass could put it there from now on. It reads where the loop put the target, not the ref, which
  // a worker may have moved.
  const earlier = liveMergeOnTarget(ctx, ticket);
  const head = revParse(ctx.repo, `refs/heads/${branchOf(ticket.key)}`);
  const made = head.then((sha) => (sha && base ? makeMergeCommit(ctx.repo, base, sha, ticket.key, ticket.title, ctx.run) : undefined));
  // awaited under the merge lock, or never (the pass failed first)
  for (const promise of [earlier, head, made]) void promise.catch(() => undefined);
  // The replay's worktree is registered now too, at the target's head as the loop last put it, and its
  // files are written at the merge commit made ahead as soon as there is one, beside the verify and the
  // reviews rather than after the merge: a merge placed as made finds them written, one made again
  // moves them by the files that differ. Nothing runs in it but the loop's checkouts before the replay.
  // (`--land pr` gives it back unused: GitHub makes the merge.)
  const scratch = ctx.paths.scratch(`replay-${ticket.key}`);
  const reserved = ctx.worktrees.reserve(scratch, ctx.targetGuard.rev()).then(() => true, () => false);
  const replayTree = ctx.pulls ? reserved : reserved.then(async (ok) => {
    const early = ok ? await made.catch(() => undefined) : undefined;
    if (early?.kind === 'commit') await ctx.worktrees.retarget(scratch, early.commit).catch(() => undefined);
    return ok;
  });
  let taken = false;
  return {
    base, earlier, head, made,
    takeReplayTree() {
      taken = true;
      return replayTree;
    },
    async abandon() {
      if (!taken && await replayTree) void ctx.worktrees.release(scratch).catch(() => undefined);
    },
  };
}

type Made = Awaited<ReturnType<typeof makeMergeCommit>>;
/**
 * The landings queued for the merge lock (or in it), where the target will be once they are through,
 * and whether a prediction missed since the queue was last empty.
 */
type Queue = { pending: number; tail: Promise<string | undefined>; missed: boolean };
const queues = new WeakMap<LoopContext['withMergeLock'], Queue>();

/**
 * The ticket's merge made on where the target will be when its turn under the merge lock comes: the
 * target as the loop last put it when no landing is queued ahead, else the merge commit the last one
 * queued will place (or its base, where it places none). The merge made ahead on `base` serves when
 * that is still `base`. Made while the landings ahead hold the lock, so a queue of landings makes its
 * merges beside one another and each holds the lock only to place its own (a merge made again under the
 * lock, three git processes, is left for the landings the prediction missed: a revert or a restore of
 * the target queued between, a push that landed on another head). Once one missed, the landings queued
 * behind it were made on a head that never came: those that queue later, until the queue is empty, make
 * no merge beyond the one made ahead. `missed` when the landing's turn found the target elsewhere than
 * predicted; `done` once its locked section has run.
 */
export function readyMerge(ctx: LoopContext, ticket: Ticket, ahead: MergeAhead): { merge: Promise<{ at: string | undefined; made: Made | undefined }>; missed: () => void; done: () => void } {
  let queue = queues.get(ctx.withMergeLock);
  if (!queue) {
    queue = { pending: 0, tail: Promise.resolve(undefined), missed: false };
    queues.set(ctx.withMergeLock, queue);
  }
  const own = queue;
  if (own.pending === 0) own.missed = false;
  const after = own.pending === 0 ? Promise.resolve(ctx.targetGuard.expected()) : own.missed ? Promise.resolve(ahead.base) : own.tail;
  own.pending++;
  const merge = (async () => {
    const [found, at, head] = await Promise.all([ahead.earlier, after, ahead.head]);
    if (found || !at || !head) return { at, made: undefined };
    if (at === ahead.base) return { at, made: await ahead.made };
    return { at, made: await makeMergeCommit(ctx.repo, at, head, ticket.key, ticket.title, ctx.run) };
  })().catch(() => ({ at: undefined, made: undefined }));
  own.tail = merge.then(({ at, made }) => (made?.kind === 'commit' ? made.commit : at));
  let counted = false;
  return {
    merge,
    missed: () => {
      own.missed = true;
    },
    done: () => {
      if (!counted) own.pending--;
      counted = true;
    },
  };
}
