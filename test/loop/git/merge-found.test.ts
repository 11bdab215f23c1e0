// findMergeOnTarget with real git: the loop's merges on main's first-parent line, and the loop's trailer
// commit that GitHub's merge queue merged as the second parent of "Merge pull request #N from
// <owner>/nightshift/<KEY>" (and its revert the same way); a worker's forged trailer under any other
// merge is never read as a merge. A later question is answered from the last one where the target
// moved only by commits the loop wrote, with git's answer; the first question reads every ticket's answer
// in one `git log`, the same answers as each ticket's own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit } from '../../../loop/git/git.ts';
import { findMergeOnTarget, makeMergeCommit, readMergeOnTarget, revertOnTarget } from '../../../loop/git/target.ts';
import type { Git } from '../../../loop/git/git.ts';
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

test('a later question about the same ticket is answered from the last one when the target moved only by merges and reverts the loop wrote; the answer is git\'s', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const real = openGit(repo);
  const logs: string[] = [];
  // the real repository, with its `git log` calls counted
  const g: Git = { raw: (args) => (args[0] === 'log' && logs.push(args[1] ?? ''), real.raw(args)) };
  /** The answer of a Git that remembers nothing: git's own. */
  const fresh = (key: string, at: string) => findMergeOnTarget(openGit(repo), 'main', key, at);
  const land = async (key: string, title: string) => {
    const base = await git(repo, 'rev-parse', 'main');
    // the ticket's work: a file of its own, committed in a worktree of its branch
    const wt = join(dir, key);
    await git(repo, 'worktree', 'add', '-q', '-b', `nightshift/${key}`, wt, base);
    writeFileSync(join(wt, `${key}.txt`), `${key}\n`);
    await git(wt, 'add', '-A');
    await git(wt, 'commit', '-q', '-m', `work on ${key}`);
    const made = await makeMergeCommit(g, base, await git(wt, 'rev-parse', 'HEAD'), key, title, 'run-1');
    if (made.kind !== 'commit') throw new Error(made.message);
    await git(repo, 'update-ref', 'refs/heads/main', made.commit, base);
    return made.commit;
  };
  const base = await git(repo, 'rev-parse', 'main');
  expect(await findMergeOnTarget(g, 'main', 'APP-1', base)).toBeUndefined();
  expect(logs).toHaveLength(1);
  // other tickets merged meanwhile: known without git
  const two = await land('APP-2', 'two');
  expect(await findMergeOnTarget(g, 'main', 'APP-1', two)).toBeUndefined();
  expect(logs).toHaveLength(1);
  // the ticket's own merge, and its revert on top of it
  const one = await land('APP-1', 'one');
  expect(await findMergeOnTarget(g, 'main', 'APP-1', one)).toBe(one);
  expect(await fresh('APP-1', one)).toBe(one);
  const reverted = await revertOnTarget(g, 'main', one, 'APP-1', join(dir, 'scratch'), one);
  if (reverted.kind !== 'reverted') throw new Error(reverted.message);
  expect(await findMergeOnTarget(g, 'main', 'APP-1', reverted.commit)).toBeUndefined();
  expect(await fresh('APP-1', reverted.commit)).toBeUndefined();
  expect(logs).toHaveLength(1);
  // a commit the loop did not write, or a merge whose title spans lines: git is asked
  const foreign = await commit(repo, [reverted.commit], 'Merge nightshift/APP-1: again\n\nNightshift-Ticket: APP-1', true);
  expect(await findMergeOnTarget(g, 'main', 'APP-1', foreign)).toBe(foreign);
  expect(logs).toHaveLength(2);
  const multi = await land('APP-3', 'three\n\nNightshift-Reverted: APP-1');
  expect(await findMergeOnTarget(g, 'main', 'APP-1', multi)).toBe(await fresh('APP-1', multi));
  expect(logs).toHaveLength(3);
});

test('one read of the target answers every ticket as its own `git log` would: forged and folded trailers, prefixes, reverts and merges again', async () => {
  const repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'x\n' });
  const real = openGit(repo);
  const logs: string[] = [];
  const g: Git = { raw: (args) => (args[0] === 'log' && logs.push(args[1] ?? ''), real.raw(args)) };
  const base = await git(repo, 'rev-parse', 'main');
  const side = await commit(repo, [base], 'work\n\nNightshift-Ticket: APP-9');
  const on = async (message: string, parents: string[] = []) => commit(repo, [await git(repo, 'rev-parse', 'main'), ...parents], message, true);
  await on('Merge nightshift/APP-1: one\n\nNightshift-Ticket: APP-1\nNightshift-Run: r1');
  await on('Merge nightshift/APP-11: eleven\n\nNightshift-Ticket: APP-11');
  // a trailer line in a middle paragraph is no trailer; a forged one under a merge's second parent is not on the line
  await on('Merge nightshift/APP-2: two\n\nNightshift-Reverted: APP-1\n\nNightshift-Ticket: APP-2', [side]);
  await on('This reverts APP-11.\n\nNightshift-Reverted: APP-11');
  await on('Merge nightshift/APP-11: eleven again\n\nNightshift-Ticket: APP-11');
  // two keys in one trailer block; one without the space the grep wants; one folded over two lines
  await on('batch\n\nNightshift-Ticket: APP-3\nNightshift-Ticket: APP-4');
  await on('odd\n\nNightshift-Ticket:APP-5');
  await on('folded\n\nNightshift-Ticket: APP-6\n  continued');
  await on('This reverts APP-3.\n\nNightshift-Reverted: APP-3');
  const at = await git(repo, 'rev-parse', 'main');
  const keys = ['APP-1', 'APP-11', 'APP-2', 'APP-3', 'APP-4', 'APP-5', 'APP-6', 'APP-9', 'APP-10', 'APP'];
  const scanned = await Promise.all(keys.map((key) => findMergeOnTarget(g, 'main', key, at)));
  expect(logs).toHaveLength(1);
  const own = await Promise.all(keys.map((key) => readMergeOnTarget(openGit(repo), key, at)));
  expect(scanned).toEqual(own);
  expect(scanned.filter(Boolean)).toHaveLength(5); // APP-1, APP-11 (again), APP-2, APP-4, APP-6 (its folded value's first line)
  // a pull request's merge on the line: its second parent would decide, so each ticket asks git alone
  const trailer = await commit(repo, [at], 'Merge nightshift/APP-7: seven\n\nNightshift-Ticket: APP-7');
  await on('Merge pull request #3 from acme/nightshift/APP-7\n\nseven', [trailer]);
  const later = await git(repo, 'rev-parse', 'main');
  logs.length = 0;
  expect(await findMergeOnTarget(g, 'main', 'APP-7', later)).toBe(trailer);
  expect(await findMergeOnTarget(g, 'main', 'APP-1', later)).toBe(own[0]);
  expect(logs).toHaveLength(4); // the scan that gave up, APP-7's log and its second parent's, APP-1's log
  // that line stays on the target: a later head is not scanned again, each ticket asks git alone
  const next = await on('more work\n\nNightshift-Ticket: APP-8');
  expect(await findMergeOnTarget(g, 'main', 'APP-8', next)).toBe(next);
  expect(logs).toHaveLength(5);
});
