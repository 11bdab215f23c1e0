// Git lock files left behind by a killed git: a stale ref lock (older than STALE_LOCK_MS) is removed and
// the command goes on, the removal reported; the index lock of the repository's own checkout is never
// removed (a person's `git commit` holds it while their editor is open), so that command fails.
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { STALE_LOCK_MS, onStaleGitLock, openGit } from '../../../loop/git/git.ts';
import { mergeIntoTarget } from '../../../loop/git/target.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

function leaveLock(path: string, ageMs: number): void {
  writeFileSync(path, '');
  const then = (Date.now() - ageMs) / 1_000;
  utimesSync(path, then, then);
}

test('a stale lock on the target ref is removed and the merge lands', async () => {
  const repo = await makeRepo(tempDir(), { 'a.txt': 'a\n' });
  await git(repo, 'checkout', '-q', '-b', 'nightshift/L-1');
  writeFileSync(join(repo, 'b.txt'), 'b\n');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'work');
  await git(repo, 'checkout', '-q', 'main');
  const lock = join(repo, '.git', 'refs', 'heads', 'main.lock');
  leaveLock(lock, STALE_LOCK_MS * 4);
  const removed: string[] = [];
  onStaleGitLock((path) => removed.push(path));
  try {
    const outcome = await mergeIntoTarget(openGit(repo), 'main', 'L-1', 'work', 'run-1');
    expect(outcome.kind).toBe('merged');
  } finally {
    onStaleGitLock(undefined);
  }
  expect(removed).toEqual([lock]);
  expect(existsSync(lock)).toBe(false);
  expect(await git(repo, 'log', '-1', '--format=%(trailers:key=Nightshift-Ticket,valueonly)', 'main')).toBe('L-1');
});

test("the checkout's own index lock is left alone and the command fails with git's message", { timeout: 30_000 }, async () => {
  const repo = await makeRepo(tempDir(), { 'a.txt': 'a\n' });
  const lock = join(repo, '.git', 'index.lock');
  leaveLock(lock, STALE_LOCK_MS * 4);
  await expect(openGit(repo).raw(['read-tree', 'HEAD'])).rejects.toThrow(/index\.lock/);
  expect(existsSync(lock)).toBe(true);
});
