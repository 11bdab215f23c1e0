// The next ticket's worktree prepared while every slot is busy (loop/warm.ts), with real git: a pass
// takes it as it is, one prepared worktree waits at a time, what no pass took goes back to the worktree
// pool at the end, and a warm-up reuses a pooled worktree as a pass would.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { LoopContext } from '../loop/context.ts';
import { openGit } from '../loop/git.ts';
import { openEventLog } from '../loop/state.ts';
import { openTargetGuard } from '../loop/target-guard.ts';
import { openWarm } from '../loop/warm.ts';
import { openWorktreePool } from '../loop/worktree-pool.ts';
import type { Ticket } from '../trackers/types.ts';
import { git, makeRepo, tempDir } from './helpers/repo.ts';

const ticket = (key: string): Ticket => ({ key, title: key, description: '', state: 'todo', labels: [], blockedBy: [], comments: [] });

test('a prepared worktree is taken by its pass; another waits while one is ready; the untaken go back to the pool', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const head = await git(repo, 'rev-parse', 'main');
  const log = openEventLog(join(dir, 'events.jsonl'), 'run-1', []);
  const worktree = (key: string) => join(dir, 'worktrees', key);
  // the parts of a run's context the warm-up uses, real ones
  const repoGit = openGit(repo);
  const worktrees = openWorktreePool({ repo: repoGit, dir: join(dir, 'worktrees'), minFiles: 0 });
  const ctx = {
    options: { targetBranch: 'main' }, repo: repoGit, signal: new AbortController().signal,
    paths: { worktree }, targetGuard: await openTargetGuard(repoGit, 'main', log), worktrees,
  } as unknown as LoopContext;
  const warm = openWarm(ctx);
  const ready = new Set(['W-1', 'W-2']);
  warm.offer(ticket('W-1'), (key) => ready.has(key));
  warm.offer(ticket('W-2'), (key) => ready.has(key)); // W-1 is prepared and still ready: W-2 waits
  expect(warm.take('W-2')).toBeUndefined();
  expect(await warm.take('W-1')).toEqual({ conflict: false });
  expect(await git(worktree('W-1'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/W-1');
  expect(await git(worktree('W-1'), 'rev-parse', 'HEAD')).toBe(head);
  expect(warm.take('W-1')).toBeUndefined(); // taken once
  warm.offer(ticket('W-2'), (key) => ready.has(key));
  ready.delete('W-2'); // no longer ready (a person added a blocker): the next one is prepared beside it
  warm.offer(ticket('W-3'), (key) => ready.has(key));
  await warm.close();
  expect(existsSync(worktree('W-2'))).toBe(false);
  expect(existsSync(worktree('W-3'))).toBe(false);
  expect(existsSync(worktree('W-1'))).toBe(true); // the pass's own, not the warm-up's to remove
  expect(await git(repo, 'worktree', 'list', '--porcelain')).not.toContain('W-2');
  // the untaken went back to the pool: a warm-up now reuses one, on a branch of its own at the head
  await worktrees.release(worktree('W-1'));
  warm.offer(ticket('W-4'), () => false);
  expect(await warm.take('W-4')).toEqual({ conflict: false });
  expect(await git(worktree('W-4'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/W-4');
  expect(await git(worktree('W-4'), 'status', '--porcelain', '--ignored')).toBe('');
  expect(readdirSync(join(dir, 'worktrees')).filter((name) => /^\.pool-\d+$/.test(name))).toHaveLength(2);
  await worktrees.release(worktree('W-4'));
  await worktrees.close();
  expect((await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
});
