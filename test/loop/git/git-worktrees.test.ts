// Which worktrees have a branch checked out, read from git's admin files (a merge asks under the merge
// lock, to bring their files along): the same answer as `git worktree list`, for the main checkout,
// linked worktrees on branches or detached, ones being removed, and a bare repository; a worktree
// removed without git leaves what `git worktree remove` leaves; one registered without git is what
// `git worktree add --no-checkout --detach` registers, and git does it where the layout would differ, a
// hook would run or the name is taken. Real git.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { addWorktree, checkedOutAt, dropWorktree } from '../../../loop/git/worktrees.ts';
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

/** The admin dir a worktree's `.git` file names. */
const adminOf = (wt: string) => readFileSync(join(wt, '.git'), 'utf8').replace('gitdir: ', '').trim();
/**
 * Git's add writes HEAD's first reflog entry (its `update-ref` child, from the null id); the registration
 * by hand writes none, so HEAD's reflog starts at the first checkout in it, if any.
 */
const madeByGit = (wt: string) => {
  const log = join(adminOf(wt), 'logs', 'HEAD');
  return existsSync(log) && readFileSync(log, 'utf8').startsWith(`${'0'.repeat(40)} `);
};

test('a detached worktree or a new branch at a full id is registered without git, as git registers one', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
  const head = await git(repo, 'rev-parse', 'HEAD');
  const gitRepo = openGit(repo);
  await git(repo, 'worktree', 'add', '-q', '--no-checkout', '--detach', join(dir, 'twin'), head);
  await addWorktree(gitRepo, join(dir, 'wt', 'replay-T-1'), { kind: 'detached', commit: head }, { files: false });
  await addWorktree(gitRepo, join(dir, 'wt', 'T-2'), { kind: 'new-branch', branch: 'nightshift/T-2', at: head });
  for (const wt of ['replay-T-1', 'T-2']) expect(madeByGit(join(dir, 'wt', wt))).toBe(false);
  // the same admin files as git's own (but the reflog), each naming its own worktree
  const twin = adminOf(join(dir, 'twin'));
  const reserved = adminOf(join(dir, 'wt', 'replay-T-1'));
  expect(reserved).toBe(join(repo, '.git', 'worktrees', 'replay-T-1'));
  for (const file of ['commondir', 'HEAD']) expect(readFileSync(join(reserved, file), 'utf8')).toBe(readFileSync(join(twin, file), 'utf8'));
  expect(readFileSync(join(reserved, 'gitdir'), 'utf8')).toBe(`${join(dir, 'wt', 'replay-T-1', '.git')}\n`);
  expect(existsSync(join(reserved, 'locked'))).toBe(false);
  // git sees them: listed, prune keeps them, the new branch's files are there and clean
  await git(repo, 'worktree', 'prune');
  const list = await git(repo, 'worktree', 'list', '--porcelain');
  expect(list).toContain(`worktree ${join(dir, 'wt', 'replay-T-1')}\nHEAD ${head}\ndetached`);
  expect(list).toContain(`worktree ${join(dir, 'wt', 'T-2')}\nHEAD ${head}\nbranch refs/heads/nightshift/T-2`);
  expect(readFileSync(join(dir, 'wt', 'T-2', 'sub', 'b.txt'), 'utf8')).toBe('b\n');
  expect(await git(join(dir, 'wt', 'T-2'), 'status', '--porcelain')).toBe('');
  expect(await checkedOutAt(gitRepo, 'refs/heads/nightshift/T-2')).toEqual([join(dir, 'wt', 'T-2')]);
  // the reserved one takes a checkout, and git removes it as one of its own
  await git(join(dir, 'wt', 'replay-T-1'), 'checkout', '-q', '-f', '--detach', head);
  expect(readFileSync(join(dir, 'wt', 'replay-T-1', 'a.txt'), 'utf8')).toBe('a\n');
  await git(repo, 'worktree', 'remove', '--force', join(dir, 'wt', 'replay-T-1'));
  expect(existsSync(reserved)).toBe(false);
});

test('a taken admin dir name is left to git (it numbers a new one, or takes over a stale registration of the path)', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const head = await git(repo, 'rev-parse', 'HEAD');
  // someone's own worktree already holds the name `T-3` (another directory of that name)
  await git(repo, 'worktree', 'add', '-q', '--detach', join(dir, 'mine', 'T-3'), head);
  await addWorktree(openGit(repo), join(dir, 'wt', 'T-3'), { kind: 'new-branch', branch: 'nightshift/T-3', at: head });
  expect(madeByGit(join(dir, 'wt', 'T-3'))).toBe(true);
  expect(adminOf(join(dir, 'wt', 'T-3'))).toBe(join(repo, '.git', 'worktrees', 'T-31'));
  expect(adminOf(join(dir, 'mine', 'T-3'))).toBe(join(repo, '.git', 'worktrees', 'T-3'));
  expect(await git(join(dir, 'mine', 'T-3'), 'status', '--porcelain')).toBe('');
  expect(await checkedOutAt(openGit(repo), 'refs/heads/nightshift/T-3')).toEqual([join(dir, 'wt', 'T-3')]);
  // a registration of a path whose files are gone (a crash between the two): git takes it over, no second one
  rmSync(join(dir, 'wt', 'T-3'), { recursive: true, force: true });
  await addWorktree(openGit(repo), join(dir, 'wt', 'T-3'), { kind: 'detached', commit: head }, { files: false });
  const listed = (await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((line) => line === `worktree ${join(dir, 'wt', 'T-3')}`);
  expect(listed).toHaveLength(1);
});

test('git registers the worktree where a hook would run: a reference-transaction hook, a hooks path in the user\'s config', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const head = await git(repo, 'rev-parse', 'HEAD');
  writeFileSync(join(repo, '.git', 'hooks', 'reference-transaction'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await addWorktree(openGit(repo), join(dir, 'wt', 'T-5'), { kind: 'detached', commit: head });
  expect(madeByGit(join(dir, 'wt', 'T-5'))).toBe(true);
  rmSync(join(repo, '.git', 'hooks', 'reference-transaction'));
  const global = join(dir, 'gitconfig');
  writeFileSync(global, `[core]\n\thooksPath = ${join(dir, 'hooks')}\n`);
  const before = process.env.GIT_CONFIG_GLOBAL;
  process.env.GIT_CONFIG_GLOBAL = global;
  try {
    await addWorktree(openGit(repo), join(dir, 'wt', 'T-6'), { kind: 'detached', commit: head });
    expect(madeByGit(join(dir, 'wt', 'T-6'))).toBe(true);
  } finally {
    if (before === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = before;
  }
  await addWorktree(openGit(repo), join(dir, 'wt', 'T-7'), { kind: 'detached', commit: head });
  expect(madeByGit(join(dir, 'wt', 'T-7'))).toBe(false);
});

test('git registers the worktree where its layout would differ: per-worktree config, a name it would change, a head that is no full id', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const head = await git(repo, 'rev-parse', 'HEAD');
  const gitRepo = openGit(repo);
  await addWorktree(gitRepo, join(dir, 'wt', 'odd name'), { kind: 'detached', commit: head });
  expect(madeByGit(join(dir, 'wt', 'odd name'))).toBe(true);
  await addWorktree(gitRepo, join(dir, 'wt', 'by-ref'), { kind: 'detached', commit: 'main' });
  expect(madeByGit(join(dir, 'wt', 'by-ref'))).toBe(true);
  await git(repo, 'config', 'extensions.worktreeConfig', 'true');
  await addWorktree(gitRepo, join(dir, 'wt', 'T-4'), { kind: 'new-branch', branch: 'nightshift/T-4', at: head });
  expect(madeByGit(join(dir, 'wt', 'T-4'))).toBe(true);
  expect(await git(join(dir, 'wt', 'T-4'), 'status', '--porcelain')).toBe('');
});
