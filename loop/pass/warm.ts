// While the agent slots are busy, the passes that will start next are prepared ahead: the lookup of
// a merge already on the target, the worktree (added, or its branch caught up with the target) and
// the snapshot of everything outside it. A freed slot then starts its agent at once. In the 200-ticket
// bench that preparation took 45 ms p50 of every pass's slot (the snapshot most of it, 37-45 ms),
// about 4% of the makespan. Prepared are the next ready tickets and the dependents a landing in
// progress is about to unblock. A head start is its pass's once taken; one never taken is given back
// at the end.
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { prepareWorktree } from '../git/worktrees.ts';
import { liveMergeOnTarget } from '../land/ahead.ts';
import { snapshotAtLoopHead } from './snapshot.ts';
import type { OutsideSnapshot } from '../safety/outside.ts';

/**
 * How old a prepared snapshot may be when its agent starts. A pass is blamed for every change outside
 * its worktree between its snapshot and its end, so an older one would blame this pass for more of
 * another agent's doing: past this age the pass takes its own.
 */
export const SNAPSHOT_MAX_AGE_MS = 3_000;
/**
 * How often a prepared pass still waiting for its slot takes its snapshot again, so that it is recent
 * when the slot comes: in the 200-ticket bench about a tenth of the passes waited longer than
 * SNAPSHOT_MAX_AGE_MS and took a snapshot in their slot, 54 ms p50 of it.
 */
export const SNAPSHOT_REFRESH_MS = 2_000;

export type HeadStart = {
  /** The ticket's merge, found on the target (a crash came between the merge and the receipt). */
  merged?: string;
  /** The worktree, prepared (absent when a merge was found). */
  worktree?: { conflict: boolean };
  /** The outside snapshot, taken once the worktree was ready: when (ms), and how many foreign target moves the guard had undone by then. */
  outside?: { snapshot: OutsideSnapshot; at: number; undone: number };
};

export type Warm = {
  /**
   * Prepares `candidates` (in the order they would start) that are not prepared yet, one after another,
   * while fewer than `limit` prepared ones are still wanted (`isWanted`: ready, or about to be).
   */
  offer(candidates: readonly Ticket[], isWanted: (key: string) => boolean, limit: number): void;
  /** `key`'s head start (undefined when its preparation failed), if one was started. */
  take(key: string): Promise<HeadStart | undefined> | undefined;
  /** Gives back every prepared worktree no pass took. */
  close(): Promise<void>;
};

/** Whether a head start's snapshot may stand for one taken now. */
export function snapshotStillGood(outside: HeadStart['outside'], undoneNow: number, now = Date.now()): outside is NonNullable<HeadStart['outside']> {
  return outside !== undefined && outside.undone === undoneNow && now - outside.at <= SNAPSHOT_MAX_AGE_MS;
}

/** `refreshMs`: how often a waiting head start's snapshot is taken again; `onRefresh`: told after each (tests). */
export function openWarm(ctx: LoopContext, options: { refreshMs?: number; onRefresh?: (key: string, at: number) => void } = {}): Warm {
  const prepared = new Map<string, Promise<HeadStart | undefined>>();
  /** The preparation of each key not taken yet (a later one of the same key is another). */
  const waiting = new Map<string, object>();
  const takeSnapshot = async (key: string): Promise<HeadStart['outside']> => {
    const undone = ctx.targetGuard.undone().length;
    const snapshot = await snapshotAtLoopHead(ctx, 'before a pass', [key]).catch(() => undefined);
    return snapshot ? { snapshot, at: Date.now(), undone } : undefined;
  };
  /** Takes the snapshot of a head start again, every refreshMs, while its pass has not taken it. */
  const keepRecent = (key: string, token: object, head: HeadStart) => {
    const timer = setTimeout(() => {
      if (waiting.get(key) !== token || ctx.signal.aborted) return;
      void takeSnapshot(key).then((outside) => {
        if (waiting.get(key) !== token) return;
        if (outside) {
          head.outside = outside;
          options.onRefresh?.(key, outside.at);
        }
        keepRecent(key, token, head);
      });
    }, options.refreshMs ?? SNAPSHOT_REFRESH_MS);
    timer.unref();
  };
  const prepare = async (ticket: Ticket): Promise<HeadStart | undefined> => {
    const { key } = ticket;
    const target = ctx.options.targetBranch;
    const token = {};
    waiting.set(key, token);
    try {
      // nothing of this ticket runs until its pass takes the head start, so neither answer goes stale
      const merged = await liveMergeOnTarget(ctx, ticket);
      if (merged) return { merged };
      const worktree = await prepareWorktree(ctx.repo, target, key, ctx.paths.worktree(key), ctx.targetGuard.rev(), ctx.worktrees.acquire);
      // taken once the worktree is ready (it lists the ticket's branch), and again while the pass waits
      // no snapshot where the sandbox keeps agents out of the repository (loop/sandbox/open.ts)
      if (ctx.sandboxConfinesRepo) return { worktree };
      const outside = await takeSnapshot(key);
      const head: HeadStart = { worktree, ...(outside ? { outside } : {}) };
      keepRecent(key, token, head);
      return head;
    } catch {
      // a failure here is no failure of the pass: it prepares what it lacks itself
      return undefined;
    }
  };
  return {
    offer(candidates, isWanted, limit) {
      if (ctx.signal.aborted) return;
      let wanted = [...prepared.keys()].filter(isWanted).length;
      for (const next of candidates) {
        if (wanted >= limit) return;
        if (prepared.has(next.key)) continue;
        prepared.set(next.key, prepare(next));
        wanted++;
      }
    },
    take(key) {
      const ready = prepared.get(key);
      prepared.delete(key);
      waiting.delete(key);
      return ready;
    },
    async close() {
      const left = [...prepared];
      prepared.clear();
      waiting.clear();
      for (const [key, ready] of left) {
        // a preparation that failed half way may have left its worktree: it goes too
        if (!(await ready)?.merged) await ctx.worktrees.release(ctx.paths.worktree(key)).catch(() => undefined);
      }
    },
  };
}
