// The worktree pool's life cycle with real git in temp repos: a pooled worktree that may have been
// tampered with is discarded for a fresh add, release frees the branch, close leaves only the main
// checkout, and the pass's catch-up merge and a retarget behave as with fresh adds.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit } from '../../../loop/git/git.ts';
import { prepareWorktree } from '../../../loop/git/worktrees.ts';
import type { Checkout } from '../../../loop/git/worktrees.ts';
import { openWorktreePool } from '../../../loop/worktree/worktree-pool.ts';
import { git } from '../../helpers/repo.ts';
import { expectLikeFreshAdd, setup } from '../../helpers/worktree-pool.ts';

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

test('reserve registers a worktree without files; its retarget writes them all, as a fresh add there; released unused it leaves nothing wrong behind', async () => {
  const { repo, pool, first, second, wt } = await setup();
  for (const minFiles of [0, Number.MAX_SAFE_INTEGER]) {
    const sized = minFiles === 0 ? pool : openWorktreePool({ repo: openGit(repo), dir: join(wt('..'), 'other'), minFiles });
    expect(await sized.reserve(wt('replay'), first)).toEqual({ kind: 'added', reason: 'no pooled worktree is free' });
    expect(readdirSync(wt('replay'))).toEqual(['.git']);
    await sized.retarget(wt('replay'), second);
    await expectLikeFreshAdd(repo, wt('replay'), second, undefined);
    await sized.release(wt('replay'));
    // a reserved worktree never retargeted (its pass did not land) goes back like any other
    await sized.reserve(wt('replay'), first);
    await sized.release(wt('replay'));
    await sized.acquire(wt('replay'), { kind: 'detached', commit: second });
    await expectLikeFreshAdd(repo, wt('replay'), second, undefined);
    await sized.release(wt('replay'));
    if (sized !== pool) await sized.close();
  }
  await pool.close();
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});

test('a retarget to the commit the last retarget wrote runs nothing; to another it moves the files; a reserved worktree\'s own commit is still written', async () => {
  const { repo, pool, first, second, wt } = await setup();
  await pool.reserve(wt('replay'), first);
  // the reserved commit itself: nothing is written yet, so it is checked out
  await pool.retarget(wt('replay'), first);
  await expectLikeFreshAdd(repo, wt('replay'), first, undefined);
  await pool.retarget(wt('replay'), second);
  await expectLikeFreshAdd(repo, wt('replay'), second, undefined);
  // a file changed behind the pool's back stays changed: the second retarget to that commit ran nothing
  // (in the loop, nothing but its own retargets writes in a replay worktree before the replay)
  writeFileSync(join(wt('replay'), 'a.txt'), 'left as it is\n');
  await pool.retarget(wt('replay'), second);
  expect(readFileSync(join(wt('replay'), 'a.txt'), 'utf8')).toBe('left as it is\n');
  await pool.retarget(wt('replay'), first);
  await expectLikeFreshAdd(repo, wt('replay'), first, undefined);
  await pool.release(wt('replay'));
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
