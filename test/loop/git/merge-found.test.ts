// findMergeOnTarget with real git: the loop's merges on main's first-parent line, and the loop's trailer
// commit that GitHub's merge queue merged as the second parent of "Merge pull request #N from
// <owner>/nightshift/<KEY>" (and its revert the same way); a worker's forged trailer under any other
// merge is never read as a merge.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit } from '../../../loop/git/git.ts';
import { findMergeOnTarget } from '../../../loop/git/target.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

/** A commit on top of `parents` with `message`, made with commit-tree; main moved to it when `onMain`. */
async function commit(repo: string, parents: string[], message: string, onMain = false): Promise<string> {
  const tree = await git(repo, 'rev-parse', `${parents[0] ?? 'main'}^{tree}`);
  const made = await git(repo, 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message);
  if (onMain) await git(repo, 'update-ref', 'refs/heads/main', made);
  return made;
}

test('a queue-merged trailer commit is found; its queue-merged revert undoes it; a forged trailer under another merge is not', async () => {
  const repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'x\n' });
  const g = openGit(repo);
  const base = await git(repo, 'rev-parse', 'main');
  // a worker of APP-2 forges APP-1's trailer in its own head; the loop merges APP-2 (first parent main)
  const forged = await commit(repo, [base], 'work\n\nNightshift-Ticket: APP-1');
  await commit(repo, [base, forged], 'Merge nightshift/APP-2: two\n\nNightshift-Ticket: APP-2', true);
  expect(await findMergeOnTarget(g, 'main', 'APP-1')).toBeUndefined();
  // GitHub's queue merges the loop's trailer commit of APP-1
  const head = await git(repo, 'rev-parse', 'main');
  const trailer = await commit(repo, [head], 'Merge nightshift/APP-1: one\n\nNightshift-Ticket: APP-1');
  await commit(repo, [head, trailer], 'Merge pull request #7 from acme/nightshift/APP-1\n\none', true);
  expect(await findMergeOnTarget(g, 'main', 'APP-1')).toBe(trailer);
  expect(await findMergeOnTarget(g, 'main', 'APP-11')).toBeUndefined(); // another key's branch is not this one's
  // a queue merge naming another ticket's branch is not read for this key
  const other = await git(repo, 'rev-parse', 'main');
  const foreign = await commit(repo, [other], 'x\n\nNightshift-Reverted: APP-1');
  await commit(repo, [other, foreign], 'Merge pull request #8 from acme/nightshift/APP-3\n\nthree', true);
  expect(await findMergeOnTarget(g, 'main', 'APP-1')).toBe(trailer);
  // its revert, merged by the queue from the loop's revert branch, undoes it
  const now = await git(repo, 'rev-parse', 'main');
  const revert = await commit(repo, [now], 'This reverts commit x.\n\nNightshift-Reverted: APP-1');
  await commit(repo, [now, revert], 'Merge pull request #9 from acme/nightshift/revert/APP-1-2\n\nrevert', true);
  expect(await findMergeOnTarget(g, 'main', 'APP-1')).toBeUndefined();
});
