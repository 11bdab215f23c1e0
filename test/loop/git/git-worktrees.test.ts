// Which worktrees have a branch checked out, read from git's admin files (a merge asks under the merge
// lock, to bring their files along): the same answer as `git worktree list`, for the main checkout,
// linked worktrees on branches or detached, ones being removed, and a bare repository; a worktree
// removed without git leaves what `git worktree remove` leaves. Real git.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkedOutAt, dropWorktree } from '../../../loop/git/worktrees.ts';
import { openGit } from '../../../loop/git/git.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

/** What `git worktree list --porcelain` says has `ref` checked out. */
async function listed(repo: string, ref: string): Promise<string[]> {
  const list = await git(repo, 'worktree', 'list', '--porcelain');
  return list.split('\n\n').filter((block) => block.split('\n').includes(`branch ${ref}`)).map((block) => /^worktree (.+)$/m.exec(block)?.[1] ?? '');
}

test('the main checkout and linked worktrees on the branch, not those on other branches or detached', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  await git(repo, 'worktree', 'add', '-q', '-b', 'feature', join(dir, 'wt-feature'));
  await git(repo, 'worktree', 'add', '-q', '--detach', join(dir, 'wt-detached'), 'main');
  const gitRepo = openGit(repo);
  expect(await checkedOutAt(gitRepo, 'refs/heads/main')).toEqual([repo]);
  expect(await checkedOutAt(gitRepo, 'refs/heads/main')).toEqual(await listed(repo, 'refs/heads/main'));
  expect(await checkedOutAt(gitRepo, 'refs/heads/feature')).toEqual([join(dir, 'wt-feature')]);
  expect(await checkedOutAt(gitRepo, 'refs/heads/feature')).toEqual(await listed(repo, 'refs/heads/feature'));
  expect(await checkedOutAt(gitRepo, 'refs/heads/nope')).toEqual([]);
  // the main checkout moves off main and a worktree takes it: the next question sees it (nothing cached but where the files are)
  await git(repo, 'checkout', '-q', '--detach');
  await git(join(dir, 'wt-detached'), 'checkout', '-q', 'main');
  expect(await checkedOutAt(gitRepo, 'refs/heads/main')).toEqual([join(dir, 'wt-detached')]);
  expect(await checkedOutAt(gitRepo, 'refs/heads/main')).toEqual(await listed(repo, 'refs/heads/main'));
  // a worktree whose directory is gone is still listed by git until pruned, and here too
  rmSync(join(dir, 'wt-feature'), { recursive: true, force: true });
  expect(await checkedOutAt(gitRepo, 'refs/heads/feature')).toEqual(await listed(repo, 'refs/heads/feature'));
});

test('a bare repository has no main checkout to sync: only its linked worktrees count', async () => {
  const dir = tempDir();
  const source = await makeRepo(join(dir, 'source'), { 'a.txt': 'a\n' });
  const bare = join(dir, 'bare.git');
  await git(dir, 'clone', '-q', '--bare', source, bare);
  const gitBare = openGit(bare);
  expect(await checkedOutAt(gitBare, 'refs/heads/main')).toEqual([]);
  await git(bare, 'worktree', 'add', '-q', join(dir, 'wt-main'), 'main');
  expect(await checkedOutAt(gitBare, 'refs/heads/main')).toEqual([join(dir, 'wt-main')]);
  expect(await checkedOutAt(gitBare, 'refs/heads/main')).toEqual(await listed(bare, 'refs/heads/main'));
});

test('dropWorktree removes a worktree as git does (files, admin dir, an emptied worktrees/), and leaves to git an admin dir that does not name it', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const gitRepo = openGit(repo);
  const admin = (wt: string) => readFileSync(join(wt, '.git'), 'utf8').replace('gitdir: ', '').trim();
  for (const name of ['one', 'two']) await git(repo, 'worktree', 'add', '-q', '-b', name, join(dir, name));
  writeFileSync(join(dir, 'one', 'untracked.txt'), 'left by a worker\n');
  const adminOne = admin(join(dir, 'one'));
  const adminTwo = admin(join(dir, 'two'));
  // told the other worktree's admin dir: that one is not touched, git removes this one
  await dropWorktree(gitRepo, join(dir, 'one'), adminTwo);
  expect(existsSync(adminTwo)).toBe(true);
  expect(existsSync(join(dir, 'one'))).toBe(false);
  expect(existsSync(adminOne)).toBe(false);
  await dropWorktree(gitRepo, join(dir, 'two'), adminTwo);
  expect(existsSync(join(dir, 'two'))).toBe(false);
  expect(existsSync(join(repo, '.git', 'worktrees'))).toBe(false);
  expect(await git(repo, 'worktree', 'list', '--porcelain')).toBe(`worktree ${repo}\nHEAD ${await git(repo, 'rev-parse', 'HEAD')}\nbranch refs/heads/main`);
  // the branches are free again: checked out elsewhere without --force
  await git(repo, 'worktree', 'add', '-q', join(dir, 'again'), 'two');
  expect(await checkedOutAt(gitRepo, 'refs/heads/two')).toEqual([join(dir, 'again')]);
});
