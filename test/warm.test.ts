// The next ticket's worktree prepared while every slot is busy (loop/warm.ts), with real git: a pass
// takes it as it is, one prepared worktree waits at a time, and what no pass took is removed at the end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { LoopContext } from '../loop/context.ts';
import { openGit } from '../loop/git.ts';
import { openEventLog } from '../loop/state.ts';
import { openTargetGuard } from '../loop/target-guard.ts';
import { openWarm } from '../loop/warm.ts';
import type { Ticket } from '../trackers/types.ts';
import { git, makeRepo, tempDir } from './helpers/repo.ts';

const ticket = (key: string): Ticket => ({ key, title: key, description: '', state: 'todo', labels: [], blockedBy: [], comments: [] });

test('a prepared worktree is taken by its pass; another waits while one is ready; the untaken are removed', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const head = await git(repo, 'rev-parse', 'main');
  const log = openEventLog(join(dir, 'events.jsonl'), 'run-1', []);
  const worktree = (key: string) => join(dir, 'worktrees', key);
  // the parts of a run's context the warm-up uses, real ones
  const ctx = {
    options: { targetBranch: 'main' }, repo: openGit(repo), signal: new AbortController().signal,
    paths: { worktree }, targetGuard: await openTargetGuard(openGit(repo), 'main', log),
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
});
