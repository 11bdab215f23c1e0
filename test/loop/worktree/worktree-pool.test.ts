// Reused worktrees (loop/worktree/worktree-pool.ts) with real git in temp repos: a reused worktree is what a
// fresh `git worktree add` gives (files, index, HEAD, nothing untracked or ignored left), a pooled
// worktree that may have been tampered with is discarded for a fresh add, release frees the branch,
// close leaves only the main checkout, and the pass's catch-up merge behaves as with fresh adds.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test } from 'vitest';
import { openGit, prepareWorktree } from '../../../loop/git/git.ts';
import type { Checkout } from '../../../loop/git/git.ts';
import { openWorktreePool } from '../../../loop/worktree/worktree-pool.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

async function setup() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), {
    '.gitignore': '*.log\nbuild/\n', 'a.txt': 'alpha\n', 'src/b.txt': 'bravo\n', 'src/deep/c.txt': 'charlie\n', 'gone.txt': 'gone\n',
  });
  const first = await git(repo, 'rev-parse', 'main');
  // a second commit that changes, adds and removes files
  writeFileSync(join(repo, 'a.txt'), 'alpha two\n');
  writeFileSync(join(repo, 'new.txt'), 'new\n');
  rmSync(join(repo, 'gone.txt'));
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'second');
  const second = await git(repo, 'rev-parse', 'main');
  const repoGit = openGit(repo);
  const pooled = join(dir, 'state', 'worktrees');
  const pool = openWorktreePool({ repo: repoGit, dir: pooled, minFiles: 0 });
  const wt = (name: string) => join(dir, 'state', 'worktrees', name);
  return { dir, repo, repoGit, pool, first, second, wt, poolPath: (n: number) => join(pooled, `.pool-${n}`) };
}

/** Every file under `root` (but .git) with its content, or `->target` for a symlink. */
function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (path === join(root, '.git')) continue;
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = entry.isSymbolicLink() ? '->symlink' : readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}

/** The worktree as a fresh add of the same checkout gives it: files, status and HEAD compared. */
async function expectLikeFreshAdd(repo: string, path: string, commit: string, branch: string | undefined) {
  const fresh = join(path, '..', `fresh-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await git(repo, 'worktree', 'add', '-q', '--detach', fresh, commit);
  expect(tree(path)).toEqual(tree(fresh));
  await git(repo, 'worktree', 'remove', '--force', fresh);
  expect(await git(path, 'status', '--porcelain', '--ignored')).toBe('');
  expect(await git(path, 'rev-parse', 'HEAD')).toBe(commit);
  expect(await git(path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(branch ?? 'HEAD');
}

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
const TAMPERS: Array<[string, (pooled: string, admin: string) => Promise<void>, RegExp]> = [
  ['a .git file pointing elsewhere', async (pooled, admin) => writeFileSync(join(pooled, '.git'), `gitdir: ${admin}-other\n`), /its \.git file is not the one git wrote/],
  ['a .git file rewritten with the same target', async (pooled) => writeFileSync(join(pooled, '.git'), `${readFileSync(join(pooled, '.git'), 'utf8').trim()} \n`), /its \.git file is not the one git wrote/],
  ['a .git symlink', async (pooled) => {
    writeFileSync(join(pooled, '..', 'link'), readFileSync(join(pooled, '.git')));
    rmSync(join(pooled, '.git'));
    symlinkSync(join(pooled, '..', 'link'), join(pooled, '.git'));
  }, /its \.git file is not the one git wrote/],
  ['a commondir pointing at another repository', async (_pooled, admin) => writeFileSync(join(admin, 'commondir'), '/tmp/elsewhere/.git\n'), /commondir is not the one git wrote/],
  ...['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'BISECT_LOG', 'config.worktree', 'info/sparse-checkout'].map((name): [string, (pooled: string, admin: string) => Promise<void>, RegExp] =>
    [`${name} in the admin dir`, async (_pooled, admin) => {
      mkdirSync(join(admin, name, '..'), { recursive: true });
      writeFileSync(join(admin, name), 'x\n');
    }, new RegExp(`holds ${name}`)]),
  ...['rebase-merge', 'rebase-apply', 'sequencer'].map((name): [string, (pooled: string, admin: string) => Promise<void>, RegExp] =>
    [`a ${name} dir in the admin dir`, async (_pooled, admin) => mkdirSync(join(admin, name)), new RegExp(`holds ${name}`)]),
  ['an assume-unchanged entry hiding a change', async (pooled) => {
    await git(pooled, 'update-index', '--assume-unchanged', 'a.txt');
    writeFileSync(join(pooled, 'a.txt'), 'tampered\n');
  }, /assume-unchanged or skip-worktree: a\.txt/],
  ['a skip-worktree entry hiding a change', async (pooled) => {
    await git(pooled, 'update-index', '--skip-worktree', 'a.txt');
    writeFileSync(join(pooled, 'a.txt'), 'tampered\n');
  }, /assume-unchanged or skip-worktree: a\.txt/],
];

test.each(TAMPERS)('a pooled worktree with %s is discarded and replaced by a fresh add', async (_name, tamper, reason) => {
  const { repo, pool, first, wt, poolPath } = await setup();
  await pool.acquire(wt('replay-A'), { kind: 'detached', commit: first });
  const admin = readFileSync(join(wt('replay-A'), '.git'), 'utf8').replace('gitdir: ', '').trim();
  await pool.release(wt('replay-A'));
  await tamper(poolPath(0), admin);
  const acquired = await pool.acquire(wt('replay-B'), { kind: 'detached', commit: first });
  expect(acquired.kind).toBe('added');
  expect(acquired.kind === 'added' ? acquired.reason : '').toMatch(reason);
  expect(existsSync(poolPath(0))).toBe(false);
  await expectLikeFreshAdd(repo, wt('replay-B'), first, undefined);
  expect(await git(wt('replay-B'), 'ls-files', '-v')).not.toMatch(/^[a-zS]/m);
  expect(readFileSync(join(wt('replay-B'), 'a.txt'), 'utf8')).toBe('alpha\n');
  await pool.close();
});

test('release detaches the branch, so another worktree can check it out', async () => {
  const { dir, repo, pool, first, wt } = await setup();
  await pool.acquire(wt('T-1'), { kind: 'new-branch', branch: 'nightshift/T-1', at: first });
  await pool.release(wt('T-1'));
  const other = join(dir, 'other');
  await git(repo, 'worktree', 'add', '-q', other, 'nightshift/T-1'); // no --force: fails while the branch is checked out
  expect(await git(other, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/T-1');
  await git(repo, 'worktree', 'remove', '--force', other);
  await pool.close();
});

test('close removes every pooled worktree; a release after it removes its worktree', async () => {
  const { repo, pool, first, second, wt, dir } = await setup();
  const checkouts: Checkout[] = [{ kind: 'detached', commit: first }, { kind: 'new-branch', branch: 'nightshift/T-1', at: second }, { kind: 'detached', commit: second }];
  await Promise.all(checkouts.map((c, i) => pool.acquire(wt(`W-${i}`), c)));
  await pool.release(wt('W-0'));
  await pool.release(wt('W-1'));
  await pool.close();
  await pool.release(wt('W-2'));
  expect(await git(repo, 'worktree', 'list', '--porcelain')).toBe(`worktree ${repo}\nHEAD ${second}\nbranch refs/heads/main`);
  expect(readdirSync(join(dir, 'state', 'worktrees'))).toEqual([]);
});

test('through the pool, a branch behind the target is caught up, and a conflict is reported and aborted as before', async () => {
  const { repo, repoGit, pool, first, wt } = await setup();
  const acquire = pool.acquire;
  const path = wt('T-1');
  expect(await prepareWorktree(repoGit, 'main', 'T-1', path, 'refs/heads/main', acquire)).toEqual({ conflict: false });
  await git(path, 'checkout', '-q', '-B', 'nightshift/T-1', first); // the branch is behind main
  writeFileSync(join(path, 'mine.txt'), 'mine\n');
  await git(path, 'add', '-A');
  await git(path, 'commit', '-q', '-m', 'mine');
  await pool.release(path);
  expect(await prepareWorktree(repoGit, 'main', 'T-1', path, 'refs/heads/main', acquire)).toEqual({ conflict: false });
  expect(await git(path, 'merge-base', '--is-ancestor', 'main', 'HEAD')).toBe('');
  expect(readFileSync(join(path, 'mine.txt'), 'utf8')).toBe('mine\n');

  // a conflicting change on each side
  writeFileSync(join(path, 'a.txt'), 'branch side\n');
  await git(path, 'commit', '-q', '-am', 'branch a');
  await pool.release(path);
  writeFileSync(join(repo, 'a.txt'), 'target side\n');
  await git(repo, 'commit', '-q', '-am', 'target a');
  expect(await prepareWorktree(repoGit, 'main', 'T-1', path, 'refs/heads/main', acquire)).toEqual({ conflict: true });
  expect(await git(path, 'status', '--porcelain', '--ignored')).toBe('');
  expect(readFileSync(join(path, 'a.txt'), 'utf8')).toBe('branch side\n');
  await pool.release(path);
  await pool.close();
});

test('retarget moves a worktree just handed out to another commit, as a fresh add there; a reuse after it trusts that commit', async () => {
  const { repo, pool, first, second, wt } = await setup();
  for (const minFiles of [0, Number.MAX_SAFE_INTEGER]) {
    const sized = minFiles === 0 ? pool : openWorktreePool({ repo: openGit(repo), dir: join(wt('..'), 'other'), minFiles });
    await sized.acquire(wt('replay'), { kind: 'detached', commit: first });
    await sized.retarget(wt('replay'), second);
    await expectLikeFreshAdd(repo, wt('replay'), second, undefined);
    await sized.release(wt('replay'));
    // pooled (or removed, below the threshold): the next acquire gives a fresh add's worktree either way
    await sized.acquire(wt('replay'), { kind: 'detached', commit: first });
    await expectLikeFreshAdd(repo, wt('replay'), first, undefined);
    await sized.release(wt('replay'));
    if (sized !== pool) await sized.close();
  }
  await expect(pool.retarget(wt('never'), second)).rejects.toThrow(/not a worktree handed out by the pool/);
  await pool.close();
});

test('a release need not be waited for: a second release is the same one, and an acquire of the path waits for it', async () => {
  const { repo, pool, first, second, wt } = await setup();
  for (const minFiles of [0, Number.MAX_SAFE_INTEGER]) {
    const sized = minFiles === 0 ? pool : openWorktreePool({ repo: openGit(repo), dir: join(wt('..'), 'other'), minFiles });
    await sized.acquire(wt('T-1'), { kind: 'new-branch', branch: `nightshift/T-1-${minFiles}`, at: first });
    writeFileSync(join(wt('T-1'), 'scratch.txt'), 'left by a worker\n');
    const once = sized.release(wt('T-1'));
    let released = false;
    void once.then(() => { released = true; });
    expect(sized.release(wt('T-1'))).toBe(once);
    // not awaited: the acquire of the same path must not race the release's removal
    await sized.acquire(wt('T-1'), { kind: 'detached', commit: second });
    expect(released).toBe(true);
    await expectLikeFreshAdd(repo, wt('T-1'), second, undefined);
    await once;
    expect(existsSync(wt('T-1'))).toBe(true);
    await sized.release(wt('T-1'));
    await sized.close();
  }
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});
