// The snapshot of everything outside a pass's worktree (loop/safety/outside.ts), taken only where the
// target is at a head the loop itself put there. A worker that moves the target (possible only with
// `--sandbox off`) leaves more than the ref changed until the guard undoes the move: the main checkout's
// index still matches the old head, so its status reads as changed files. A snapshot taken then would
// charge that to whichever pass compared it with one taken after the undo, not to the agent that moved
// it. So a snapshot that finds a foreign head has the guard undo the move (the pass that made it answers
// for it at its own end, loop/pass/pass.ts), and is taken again.
import type { LoopContext } from '../context.ts';
import { snapshotOutside } from '../safety/outside.ts';
import type { OutsideSnapshot } from '../safety/outside.ts';

/** How many times a snapshot is taken again after an undo before it is kept as it is (an agent moving the target in a loop). */
const TRIES = 3;

type SnapshotContext = Pick<LoopContext, 'repo' | 'targetGuard' | 'withMergeLock' | 'readBesideMerges'> & { options: Pick<LoopContext['options'], 'targetBranch'> };

/** Whether `snapshot` shows the target where the loop last put it (or the target has no head yet). */
export function atLoopHead(ctx: SnapshotContext, snapshot: OutsideSnapshot): boolean {
  const expected = ctx.targetGuard.expected();
  return expected === '' || snapshot.refs[`refs/heads/${ctx.options.targetBranch}`] === expected;
}

/** The outside snapshot at a head of the loop's; `when` and `tickets` name the guard's undo, if one is needed. */
export async function snapshotAtLoopHead(ctx: SnapshotContext, when: string, tickets: readonly string[]): Promise<OutsideSnapshot> {
  for (let tries = 1; ; tries++) {
    const snapshot = await ctx.readBesideMerges(() => snapshotOutside(ctx.repo));
    if (tries === TRIES || atLoopHead(ctx, snapshot)) return snapshot;
    // a merge may have moved the target since the read: then the check finds nothing to undo
    await ctx.withMergeLock(() => ctx.targetGuard.check(when, tickets));
  }
}
