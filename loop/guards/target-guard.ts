// Only the loop moves the target branch. The guard knows where the loop last put it; a move by anyone
// else (a worker's `git branch -f main`, a push into the repo) is undone as a compare-and-swap, kept on
// a `refs/nightshift/foreign/*` ref so nothing is lost, and recorded.
import { isAncestor, revParse } from '../git/git.ts';
import type { Git } from '../git/git.ts';
import type { EventLog } from '../state/state.ts';

export type TargetGuard = {
  /** Where the loop last put the target: merges and reverts compare-and-swap against this. */
  expected(): string;
  /** The revision to read the target at: where the loop last put it (the ref itself if it had none yet). */
  rev(): string;
  /** The loop itself moved the target (a merge or a revert): this is the head to expect from now on. */
  moved(to: string): void;
  /** Every foreign head the guard has undone, oldest first (a pass whose branch holds one made it). */
  undone(): readonly string[];
  /**
   * Whether the loop itself explains the target's move from `older` to `newer`: both heads it put there,
   * in that order, or `older` a foreign head it undid and `newer` one of its own.
   */
  loopMoved(older: string, newer: string): boolean;
  /**
   * The target read without the merge lock: true when it is where the loop last put it. A merge under
   * way (the ref moved, the guard not told yet) reads false, as a foreign move does: then `check` decides,
   * under the lock. True is never wrong: only a head the loop set equals `expected()`.
   */
  untouched(): Promise<boolean>;
  /** Compares the target with what the loop expects; a foreign move is undone and recorded. */
  check(when: string, tickets: readonly string[]): Promise<{ kind: 'ok' } | { kind: 'restored'; foreign: string }>;
};

export async function openTargetGuard(repo: Git, target: string, log: EventLog): Promise<TargetGuard> {
  const ref = `refs/heads/${target}`;
  const head = async () => (await revParse(repo, ref)) ?? '';
  let expected = await head();
  const foreignHeads: string[] = [];
  // the heads the loop put the target at, in order (each move's commit has the one before as a parent)
  const own = new Map<string, number>(expected ? [[expected, 0]] : []);
  return {
    expected: () => expected,
    rev: () => expected || ref,
    undone: () => foreignHeads,
    loopMoved(older, newer) {
      const from = own.get(older);
      const to = own.get(newer);
      return to !== undefined && (from === undefined ? foreignHeads.includes(older) : from <= to);
    },
    async untouched() {
      const found = await head();
      return found !== '' && found === expected;
    },
    moved(to) {
      expected = to;
      if (!own.has(to)) own.set(to, own.size);
    },
    async check(when, tickets) {
      const found = await head();
      if (found === expected) return { kind: 'ok' };
      if (found) foreignHeads.push(found);
      const keep = `refs/nightshift/foreign/${Date.now()}`;
      if (found) await repo.raw(['update-ref', keep, found]);
      if (expected) {
        await repo.raw(['update-ref', '-m', 'nightshift: undo a foreign move of the target', ref, expected, found]);
      }
      log.emit({ type: 'foreign-target-move', when, tickets: [...tickets], expected, found, kept: found ? keep : undefined });
      return { kind: 'restored', foreign: found };
    },
  };
}

/**
 * The ticket branches (short names, `nightshift/*`) that made a commit: those that hold it, unless the
 * loop's head does too (a rewind to a commit the target already had is no branch's work). None for
 * what is not a commit (a tag at a tree, say).
 */
export async function branchesThatMade(repo: Git, commit: string, loopHead: string): Promise<string[]> {
  if (!commit || await isAncestor(repo, commit, loopHead)) return [];
  const holding = await repo.raw(['for-each-ref', '--contains', commit, '--format=%(refname:strip=2)', 'refs/heads/nightshift/']).catch(() => '');
  return holding.split('\n').filter(Boolean);
}
