// Reused worktrees (loop/worktree/worktree-pool.ts) with real git in temp repos: a reused worktree is what a
// fresh `git worktree add` gives (files, index, HEAD, nothing untracked or ignored left), whatever was
// changed in it, and a replay worktree reused at a new commit has exactly that commit's tree.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openWorktreePool } from '../../../loop/worktree/worktree-pool.ts';
import { git } from '../../helpers/repo.ts';
import { expectLikeFreshAdd, setup, tree } from '../../helpers/worktree-pool.ts';

test('a reused worktree is identical to a fresh add: changes, untracked and ignored files are gone', async () => {
  const { repo, pool, first, second, wt, poolPath } = await setup();
  expect(await pool.acquire(wt('T-1'), { kind: 'new-branch', branch: 'nightshift/T-1', at: first })).toEqual({ kind: 'added', reason: 'no pooled worktree is free' });
  const path = wt('T-1');
  // what a worker leaves behind: untracked and ignored files, a nested repo, a staged change, a deleted
  // file, a tracked directory swapped for a symlink, and a file changed in place with its times put back
  writeFileSync(join(path, 'untracked.txt'), 'u\n');
  writeFileSync(join(path, 'debug.log'), 'ignored\n');
  mkdirSync(join(path, 'build'));
  writeFileSync(join(path, 'build', 'out.js'), 'ignored\n');
  mkdirSync(join(path, 'nested'));
  await git(join(path, 'nested'), 'init', '-q');
  writeFileSync(join(path, 'gone.txt'), 'staged\n');
  await git(path, 'add', 'gone.txt');
  rmSync(join(path, 'src', 'b.txt'));
  const outside = join(path, '..', '..', 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'c.txt'), 'evil\n');
  rmSync(join(path, 'src', 'deep'), { recursive: true });
  symlinkSync(outside, join(path, 'src', 'deep'));
  const times = statSync(join(path, 'a.txt'));
  writeFileSync(join(path, 'a.txt'), 'ALPHA\n'); // same size
  utimesSync(join(path, 'a.txt'), times.atime, times.mtime);
  await pool.release(path);
  expect(existsSync(path)).toBe(false);
  expect(existsSync(poolPath(0))).toBe(true);

  expect(await pool.acquire(wt('T-2'), { kind: 'new-branch', branch: 'nightshift/T-2', at: second })).toEqual({ kind: 'reused' });
  expect(existsSync(poolPath(0))).toBe(false);
  await expectLikeFreshAdd(repo, wt('T-2'), second, 'nightshift/T-2');
  expect(readFileSync(join(outside, 'c.txt'), 'utf8')).toBe('evil\n'); // the symlink was removed, not followed
  expect(lstatSync(join(wt('T-2'), 'src', 'deep')).isDirectory()).toBe(true);

  await pool.release(wt('T-2'));
  expect(await pool.acquire(wt('T-1'), { kind: 'branch', branch: 'nightshift/T-1' })).toEqual({ kind: 'reused' });
  await expectLikeFreshAdd(repo, wt('T-1'), first, 'nightshift/T-1');
  expect(readFileSync(join(wt('T-1'), 'a.txt'), 'utf8')).toBe('alpha\n');
  await pool.close();
});

/** The ctime seconds the index recorded for `file`, and the file's own. */
async function ctimes(path: string, file: string): Promise<[number, number]> {
  const recorded = Number(/ctime: (\d+):/.exec(await git(path, 'ls-files', '--debug', '--', file))?.[1]);
  return [recorded, Math.floor(statSync(join(path, file)).ctimeMs / 1000)];
}

test('a worktree with fewer files than the pool\'s minimum is removed at release, not pooled', async () => {
  const { repo, repoGit, first, wt, dir } = await setup();
  const pool = openWorktreePool({ repo: repoGit, dir: join(dir, 'state', 'small'), minFiles: 1_000 });
  await pool.acquire(wt('T-1'), { kind: 'new-branch', branch: 'nightshift/T-1', at: first });
  await pool.release(wt('T-1'));
  expect(existsSync(wt('T-1'))).toBe(false);
  expect(await pool.acquire(wt('T-2'), { kind: 'new-branch', branch: 'nightshift/T-2', at: first })).toEqual({ kind: 'added', reason: 'no pooled worktree is free' });
  await pool.release(wt('T-2'));
  await pool.close();
  expect((await git(repo, 'worktree', 'list')).trim().split('\n')).toHaveLength(1);
});

test('a file changed in place with its mtime restored, within the second git recorded it, is rewritten', async () => {
  const { repo, pool, first, wt } = await setup();
  await pool.acquire(wt('T-1'), { kind: 'detached', commit: first });
  const path = wt('T-1');
  const file = join(path, 'a.txt');
  // git compares ctime to the second: a change made in the second the index recorded the file (the
  // index refreshed, then the file rewritten and its mtime set back) passes git's own check. A step
  // that crossed a second boundary is tried again, so the case below is always the one that fools git.
  const old = new Date('2020-01-01T00:00:00Z');
  for (let tries = 0; ; tries++) {
    writeFileSync(file, 'alpha\n');
    utimesSync(file, old, old);
    await git(path, 'update-index', '--refresh');
    writeFileSync(file, 'ALPHA\n');
    utimesSync(file, old, old);
    const [recorded, actual] = await ctimes(path, 'a.txt');
    if (recorded === actual) break;
    if (tries >= 5) throw new Error('could not change the file within one second');
  }
  // git as built here (without USE_NSEC) is fooled now: `git status` shows nothing. A git that compares
  // ctime to the nanosecond would see the change itself; the pool must restore the file either way
  await pool.release(path);
  expect(await pool.acquire(wt('T-2'), { kind: 'detached', commit: first })).toEqual({ kind: 'reused' });
  expect(readFileSync(join(wt('T-2'), 'a.txt'), 'utf8')).toBe('alpha\n');
  await expectLikeFreshAdd(repo, wt('T-2'), first, undefined);
  await pool.close();
});

test('an untracked .gitattributes left in a pooled worktree does not change how the next checkout writes files', async () => {
  const { repo, pool, first, second, wt, poolPath } = await setup();
  await pool.acquire(wt('replay-A'), { kind: 'detached', commit: first });
  await pool.release(wt('replay-A'));
  writeFileSync(join(poolPath(0), '.gitattributes'), '* text eol=crlf\n');
  expect(await pool.acquire(wt('replay-B'), { kind: 'detached', commit: second })).toEqual({ kind: 'reused' });
  expect(readFileSync(join(wt('replay-B'), 'a.txt'), 'utf8')).toBe('alpha two\n');
  await expectLikeFreshAdd(repo, wt('replay-B'), second, undefined);
  await pool.close();
});

test('an index rewritten to claim the next commit\'s objects for untouched files does not keep the old files', async () => {
  const { repo, pool, first, second, wt, poolPath } = await setup();
  await pool.acquire(wt('replay-A'), { kind: 'detached', commit: first });
  const admin = readFileSync(join(wt('replay-A'), '.git'), 'utf8').replace('gitdir: ', '').trim();
  await pool.release(wt('replay-A'));
  // the index entry of a.txt (stat data untouched, so git trusts it) now names a.txt's object in the
  // next commit: a checkout of that commit would find nothing to write
  const index = readFileSync(join(admin, 'index'));
  const was = Buffer.from(await git(repo, 'rev-parse', `${first}:a.txt`), 'hex');
  const offset = index.indexOf(was);
  expect(offset).toBeGreaterThan(0);
  Buffer.from(await git(repo, 'rev-parse', `${second}:a.txt`), 'hex').copy(index, offset);
  createHash('sha1').update(index.subarray(0, index.length - 20)).digest().copy(index, index.length - 20);
  writeFileSync(join(admin, 'index'), index);
  const later = new Date(Date.now() + 10_000); // an index newer than the file: git takes its stat data on trust
  utimesSync(join(admin, 'index'), later, later);
  expect(await git(poolPath(0), 'status', '--porcelain')).toMatch(/^M {2}a\.txt$/); // staged, not changed on disk
  expect(await pool.acquire(wt('replay-B'), { kind: 'detached', commit: second })).toEqual({ kind: 'reused' });
  expect(readFileSync(join(wt('replay-B'), 'a.txt'), 'utf8')).toBe('alpha two\n');
  await expectLikeFreshAdd(repo, wt('replay-B'), second, undefined);
  await pool.close();
});

test('a replay worktree reused at a new commit has exactly that commit\'s tree', async () => {
  const { repo, pool, first, second, wt } = await setup();
  await pool.acquire(wt('replay-A'), { kind: 'detached', commit: first });
  writeFileSync(join(wt('replay-A'), 'coverage.log'), 'left by a verify command\n');
  await pool.release(wt('replay-A'));
  expect(await pool.acquire(wt('replay-B'), { kind: 'detached', commit: second })).toEqual({ kind: 'reused' });
  const files = (await git(repo, 'ls-tree', '-r', '--name-only', second)).split('\n').sort();
  expect(Object.keys(tree(wt('replay-B'))).sort()).toEqual(files);
  for (const file of files) expect(readFileSync(join(wt('replay-B'), file), 'utf8')).toBe(await git(repo, 'show', `${second}:${file}`) + '\n');
  await expectLikeFreshAdd(repo, wt('replay-B'), second, undefined);
  await pool.close();
});

/** Each way a pooled worktree may have been tampered with: applied to the one waiting at `pooled`. */
