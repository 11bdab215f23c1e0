// The next passes prepared while they wait for a slot (loop/pass/warm.ts), with real git: a pass takes its
// head start (worktree, outside snapshot, merge lookup) as it is, no more than the limit wait prepared,
// what no pass took goes back to the worktree pool at the end, a warm-up reuses a pooled worktree as a
// pass would, and a ticket whose merge is already on the target gets no worktree.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { LoopContext } from '../../../loop/context.ts';
import { openGit } from '../../../loop/git/git.ts';
import { openEventLog } from '../../../loop/state/state.ts';
import { openTargetGuard } from '../../../loop/guards/target-guard.ts';
import { openMergeLock } from '../../../loop/land/merge-lock.ts';
import { SNAPSHOT_MAX_AGE_MS, openWarm, snapshotStillGood } from '../../../loop/pass/warm.ts';
import { openWorktreePool } from '../../../loop/worktree/worktree-pool.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { ticket } from '../../helpers/views.ts';


/** A repo with one commit, a worktree pool, and the parts of a run's context the warm-up uses, real ones. */
async function setup() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const log = openEventLog(join(dir, 'events.jsonl'), 'run-1', []);
  const worktree = (key: string) => join(dir, 'worktrees', key);
  const repoGit = openGit(repo);
  const worktrees = openWorktreePool({ repo: repoGit, dir: join(dir, 'worktrees'), minFiles: 0 });
  const lock = openMergeLock();
  const ctx = {
    options: { targetBranch: 'main' }, repo: repoGit, signal: new AbortController().signal,
    paths: { worktree }, targetGuard: await openTargetGuard(repoGit, 'main', log), worktrees, readBesideMerges: lock.readBeside, withMergeLock: lock.withLock,
  } as unknown as LoopContext;
  return { dir, repo, log, worktree, repoGit, worktrees, ctx };
}

test('a prepared worktree is taken by its pass; another waits while one is ready; the untaken go back to the pool', async () => {
  const { dir, repo, log, worktree, repoGit, worktrees, ctx } = await setup();
  const head = await git(repo, 'rev-parse', 'main');
  const warm = openWarm(ctx);
  const ready = new Set(['W-1', 'W-2']);
  warm.offer([ticket('W-1')], (key) => ready.has(key), 1);
  warm.offer([ticket('W-1'), ticket('W-2')], (key) => ready.has(key), 1); // W-1 is prepared and still ready: W-2 waits
  expect(warm.take('W-2')).toBeUndefined();
  const started = Date.now();
  const head1 = await warm.take('W-1');
  expect(head1).toMatchObject({ worktree: { conflict: false }, outside: { undone: 0 } });
  expect(head1?.merged).toBeUndefined();
  // the snapshot was taken after the worktree was added: it already lists the ticket's branch
  expect(Object.keys(head1?.outside?.snapshot.refs ?? {})).toEqual(['refs/heads/main', 'refs/heads/nightshift/W-1']);
  expect(snapshotStillGood(head1?.outside, 0, started)).toBe(true);
  expect(snapshotStillGood(head1?.outside, 1, started)).toBe(false); // the guard undid a foreign move since
  expect(snapshotStillGood(head1?.outside, 0, (head1?.outside?.at ?? 0) + SNAPSHOT_MAX_AGE_MS + 1)).toBe(false);
  expect(await git(worktree('W-1'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/W-1');
  expect(await git(worktree('W-1'), 'rev-parse', 'HEAD')).toBe(head);
  expect(warm.take('W-1')).toBeUndefined(); // taken once
  warm.offer([ticket('W-2')], (key) => ready.has(key), 1);
  ready.delete('W-2'); // no longer ready (a person added a blocker): the next one is prepared beside it
  warm.offer([ticket('W-2'), ticket('W-3')], (key) => ready.has(key), 1);
  await warm.close();
  expect(existsSync(worktree('W-2'))).toBe(false);
  expect(existsSync(worktree('W-3'))).toBe(false);
  expect(existsSync(worktree('W-1'))).toBe(true); // the pass's own, not the warm-up's to remove
  expect(await git(repo, 'worktree', 'list', '--porcelain')).not.toContain('W-2');
  // the untaken went back to the pool: a warm-up now reuses one, on a branch of its own at the head
  await worktrees.release(worktree('W-1'));
  warm.offer([ticket('W-4')], () => false, 1);
  expect(await warm.take('W-4')).toMatchObject({ worktree: { conflict: false } });
  expect(await git(worktree('W-4'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/W-4');
  expect(await git(worktree('W-4'), 'status', '--porcelain', '--ignored')).toBe('');
  expect(readdirSync(join(dir, 'worktrees')).filter((name) => /^\.pool-\d+$/.test(name))).toHaveLength(2);
  await worktrees.release(worktree('W-4'));
  // a crash between a merge and its receipt: the head start names the merge and prepares nothing
  await git(repo, 'commit', '--allow-empty', '-q', '-m', 'W-5 landed', '-m', 'Nightshift-Ticket: W-5');
  const landedAt = await git(repo, 'rev-parse', 'main');
  const ctx2 = { ...ctx, targetGuard: await openTargetGuard(repoGit, 'main', log) } as LoopContext;
  const warm2 = openWarm(ctx2);
  warm2.offer([ticket('W-5')], () => true, 1);
  expect(await warm2.take('W-5')).toEqual({ merged: landedAt });
  expect(existsSync(worktree('W-5'))).toBe(false);
  await warm2.close();
  await worktrees.close();
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});

test('up to the limit of wanted head starts are prepared at once; one taken makes room for the next', async () => {
  const { repo, worktree, worktrees, ctx } = await setup();
  const warm = openWarm(ctx);
  const ready = new Set(['L-1', 'L-2', 'L-3']);
  warm.offer([ticket('L-1'), ticket('L-2'), ticket('L-3')], (key) => ready.has(key), 2);
  expect(warm.take('L-3')).toBeUndefined();
  expect(await warm.take('L-1')).toMatchObject({ worktree: { conflict: false } });
  ready.delete('L-1'); // its pass started
  warm.offer([ticket('L-2'), ticket('L-3')], (key) => ready.has(key), 2);
  expect(await warm.take('L-2')).toMatchObject({ worktree: { conflict: false } });
  expect(await warm.take('L-3')).toMatchObject({ worktree: { conflict: false } });
  for (const key of ['L-1', 'L-2', 'L-3']) await worktrees.release(worktree(key));
  await warm.close();
  await worktrees.close();
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});

test('a head start waiting for its slot has its snapshot taken again, and no more once its pass takes it', async () => {
  const { repo, worktree, worktrees, ctx } = await setup();
  const refreshed: Array<{ key: string; at: number }> = [];
  const waiters: Array<{ key: string; count: number; resolve: () => void }> = [];
  const refreshesOf = (key: string, count: number) => new Promise<void>((resolve) => waiters.push({ key, count, resolve }));
  const warm = openWarm(ctx, {
    refreshMs: 5,
    onRefresh: (key, at) => {
      refreshed.push({ key, at });
      for (const w of waiters) if (w.key === key && refreshed.filter((r) => r.key === key).length >= w.count) w.resolve();
    },
  });
  warm.offer([ticket('R-1')], () => true, 2);
  await refreshesOf('R-1', 2);
  // the pass takes the latest snapshot; one still being taken is dropped
  const head = await warm.take('R-1');
  const ofR1 = refreshed.filter((r) => r.key === 'R-1');
  expect(head?.outside?.at).toBe(ofR1.at(-1)?.at);
  expect(Object.keys(head?.outside?.snapshot.refs ?? {})).toContain('refs/heads/nightshift/R-1');
  // another head start is refreshed twice meanwhile; the taken one not once more
  warm.offer([ticket('R-2')], () => true, 2);
  await refreshesOf('R-2', 2);
  expect(refreshed.filter((r) => r.key === 'R-1')).toHaveLength(ofR1.length);
  await warm.close();
  await worktrees.release(worktree('R-1'));
  await worktrees.close();
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});

test('a head start prepared while a worker has moved the target has the move undone, and its snapshot is of the loop head', async () => {
  const { dir, repo, ctx } = await setup();
  const head = await git(repo, 'rev-parse', 'main');
  // another agent's commit, set as main from its worktree: the main checkout's index no longer matches
  const other = join(dir, 'other');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/W-0', other);
  await git(other, 'rm', '-q', 'a.txt');
  await git(other, 'commit', '-q', '-m', 'drop a.txt');
  await git(other, 'update-ref', 'refs/heads/main', 'HEAD');
  const warm = openWarm(ctx);
  warm.offer([ticket('W-1')], () => true, 1);
  const prepared = await warm.take('W-1');
  expect(prepared?.outside?.snapshot.refs['refs/heads/main']).toBe(head);
  expect(prepared?.outside?.snapshot.status).toBe('');
  expect(ctx.targetGuard.undone()).toHaveLength(1);
  // taken before the undo was counted: a pass will not take it for one of its own
  expect(snapshotStillGood(prepared?.outside, ctx.targetGuard.undone().length)).toBe(false);
  expect(await git(repo, 'rev-parse', 'main')).toBe(head);
  await warm.close();
});
