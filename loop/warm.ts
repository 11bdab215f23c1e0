// While every agent slot is busy, the worktree of the ticket that will start next is prepared ahead
// (worktree add, or catching its branch up with the target), so a freed slot starts its agent without
// waiting on git: in the 200-ticket bench that preparation was most of the ~70 ms from a pass's start
// to its agent's. A prepared worktree is the pass's once taken; one never taken is given back at the end.
import type { Ticket } from '../trackers/types.ts';
import type { LoopContext } from './context.ts';
import { prepareWorktree } from './git.ts';

export type Prepared = { conflict: boolean };

export type Warm = {
  /** Prepares `next`'s worktree unless it is prepared already or another still-ready one waits. */
  offer(next: Ticket | undefined, isReady: (key: string) => boolean): void;
  /** `key`'s prepared worktree (undefined when its preparation failed), if one was started. */
  take(key: string): Promise<Prepared | undefined> | undefined;
  /** Gives back every prepared worktree no pass took. */
  close(): Promise<void>;
};

export function openWarm(ctx: LoopContext): Warm {
  const prepared = new Map<string, Promise<Prepared | undefined>>();
  return {
    offer(next, isReady) {
      if (!next || prepared.has(next.key) || ctx.signal.aborted) return;
      if ([...prepared.keys()].some(isReady)) return;
      const target = ctx.options.targetBranch;
      // a failure here is no failure of the pass: it prepares the worktree itself
      prepared.set(next.key, prepareWorktree(ctx.repo, target, next.key, ctx.paths.worktree(next.key), ctx.targetGuard.rev(), ctx.worktrees.acquire)
        .catch(() => undefined));
    },
    take(key) {
      const ready = prepared.get(key);
      prepared.delete(key);
      return ready;
    },
    async close() {
      const left = [...prepared];
      prepared.clear();
      for (const [key, ready] of left) {
        await ready;
        await ctx.worktrees.release(ctx.paths.worktree(key)).catch(() => undefined);
      }
    },
  };
}
