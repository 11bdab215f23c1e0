// The outside snapshot a pass compares before and after its agent is taken only at a target head the
// loop put there. A worker's move of the target (with --sandbox off) leaves the main checkout's status
// changed too until the guard undoes it: a snapshot of that moment, compared with one after the undo,
// would charge the move to a pass that never made it. Real git, the real guard and merge lock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit } from '../../../loop/git/git.ts';
import { openTargetGuard } from '../../../loop/guards/target-guard.ts';
import { openMergeLock } from '../../../loop/land/merge-lock.ts';
import { atLoopHead, snapshotAtLoopHead } from '../../../loop/pass/snapshot.ts';
import { outsideChanges, snapshotOutside } from '../../../loop/safety/outside.ts';
import { openEventLog } from '../../../loop/state/state.ts';
import { readEvents } from '../../../oracle/state-files.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

async function setup() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const events = join(dir, 'events.jsonl');
  const targetGuard = await openTargetGuard(openGit(repo), 'main', openEventLog(events, 'run-1', []));
  const lock = openMergeLock();
  const ctx = { repo: openGit(repo), options: { targetBranch: 'main' }, targetGuard, withMergeLock: lock.withLock, readBesideMerges: lock.readBeside };
  // another ticket's worker commits on its branch and moves main to it from its worktree
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/APP-1', worktree);
  writeFileSync(join(worktree, 'feature.txt'), 'x\n');
  await git(worktree, 'add', '-A');
  await git(worktree, 'commit', '-q', '-m', 'feature');
  const forged = await git(worktree, 'rev-parse', 'HEAD');
  const loopHead = await git(repo, 'rev-parse', 'main');
  await git(worktree, 'update-ref', 'refs/heads/main', forged);
  return { ctx, repo, events, forged, loopHead };
}

test('a snapshot that finds a foreign head has it undone and is taken again at the loop head', async () => {
  const { ctx, repo, events, forged, loopHead } = await setup();
  // read as it is, the moment shows the foreign head and a main checkout whose files seem changed
  const raw = await snapshotOutside(ctx.repo);
  expect(atLoopHead(ctx, raw)).toBe(false);
  expect(raw.status).not.toBe('');

  const before = await snapshotAtLoopHead(ctx, 'before a pass', ['APP-2']);
  expect(atLoopHead(ctx, before)).toBe(true);
  expect(before.refs['refs/heads/main']).toBe(loopHead);
  expect(before.status).toBe('');
  expect(ctx.targetGuard.undone()).toEqual([forged]);
  expect(readEvents(events)).toEqual([expect.objectContaining({ type: 'foreign-target-move', when: 'before a pass', tickets: ['APP-2'], found: forged })]);
  // nothing outside changed between it and a later one, and had the raw one been the pass's, the pass
  // would have been charged with a changed main checkout
  const after = await snapshotAtLoopHead(ctx, 'after a pass', ['APP-2']);
  expect(await outsideChanges(ctx.repo, before, after, 'main', ctx.targetGuard.loopMoved)).toEqual([]);
  expect((await outsideChanges(ctx.repo, raw, after, 'main', ctx.targetGuard.loopMoved)).join('\n')).toContain("the main checkout's working tree changed");
  expect(await git(repo, 'rev-parse', 'main')).toBe(loopHead);
});

test('at the loop head the snapshot is taken as it is: nothing is undone', async () => {
  const { ctx, repo, loopHead } = await setup();
  await ctx.withMergeLock(() => ctx.targetGuard.check('after a pass', ['APP-1']));
  const undone = ctx.targetGuard.undone().length;
  const snapshot = await snapshotAtLoopHead(ctx, 'before a pass', ['APP-2']);
  expect(snapshot.refs['refs/heads/main']).toBe(loopHead);
  expect(ctx.targetGuard.undone()).toHaveLength(undone);
  expect(await git(repo, 'rev-parse', 'main')).toBe(loopHead);
});
