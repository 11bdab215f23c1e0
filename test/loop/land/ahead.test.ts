// Merges made before the merge lock (loop/land/ahead.ts), with real git: landings queued together each
// make their merge on the merge commit the one ahead of them will place, so each only places its own
// under the lock (no merge made again there); a move the queue did not foresee (a revert, a restore)
// leaves the next landing's merge on a target that is no longer there, which the lock then finds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { LoopContext } from '../../../loop/context.ts';
import { openGit } from '../../../loop/git/git.ts';
import { placeMerge } from '../../../loop/git/target.ts';
import { openEventLog } from '../../../loop/state/state.ts';
import { openTargetGuard } from '../../../loop/guards/target-guard.ts';
import { openMergeLock } from '../../../loop/land/merge-lock.ts';
import { mergeAhead, readyMerge } from '../../../loop/land/ahead.ts';
import { openWorktreePool } from '../../../loop/worktree/worktree-pool.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { ticket } from '../../helpers/views.ts';

async function setup(keys: string[]) {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const repoGit = openGit(repo);
  // each ticket's branch adds a file of its own, from the same start
  for (const key of keys) {
    const wt = join(dir, 'work', key);
    await git(repo, 'worktree', 'add', '-q', '-b', `nightshift/${key}`, wt, 'main');
    writeFileSync(join(wt, `${key}.txt`), `${key}\n`);
    await git(wt, 'add', '-A');
    await git(wt, 'commit', '-q', '-m', `work on ${key}`);
  }
  const lock = openMergeLock();
  const ctx = {
    options: { targetBranch: 'main' }, repo: repoGit, run: 'run-1', signal: new AbortController().signal,
    paths: { scratch: (name: string) => join(dir, 'scratch', name) },
    targetGuard: await openTargetGuard(repoGit, 'main', openEventLog(join(dir, 'events.jsonl'), 'run-1', [])),
    worktrees: openWorktreePool({ repo: repoGit, dir: join(dir, 'worktrees'), minFiles: 0 }),
    withMergeLock: lock.withLock,
  } as unknown as LoopContext;
  return { dir, repo, ctx };
}

test('landings queued together make their merges on the merges ahead of them, and each only places its own under the lock', async () => {
  const keys = ['M-1', 'M-2', 'M-3'];
  const { repo, ctx } = await setup(keys);
  const start = await git(repo, 'rev-parse', 'main');
  // every agent ended on the same target head: their merges made ahead are all on it
  const aheads = keys.map((key) => mergeAhead(ctx, ticket(key)));
  const placed: Array<{ key: string; at: string | undefined; expected: string; commit: string }> = [];
  await Promise.all(keys.map((key, i) => {
    const ahead = aheads[i];
    if (!ahead) throw new Error('no merge ahead');
    const ready = readyMerge(ctx, ticket(key), ahead);
    return ctx.withMergeLock(async () => {
      const { at, made } = await ready.merge;
      const expected = ctx.targetGuard.expected();
      if (made?.kind !== 'commit' || at !== expected) throw new Error(`${key}: no merge made on ${expected}`);
      const merge = await placeMerge(ctx.repo, 'main', key, made.commit, at);
      if (merge.kind !== 'merged') throw new Error(`${key}: ${merge.kind}`);
      ctx.targetGuard.moved(merge.commit);
      placed.push({ key, at, expected, commit: merge.commit });
    }).finally(ready.done);
  }));
  expect(placed.map((p) => p.key)).toEqual(keys);
  // the first used the merge made when its agent ended; each later one was made on the one before it
  expect(placed[0]?.at).toBe(start);
  const firstMade = await aheads[0]?.made;
  expect(placed[0]?.commit).toBe(firstMade?.kind === 'commit' ? firstMade.commit : undefined);
  expect(placed[1]?.at).toBe(placed[0]?.commit);
  expect(placed[2]?.at).toBe(placed[1]?.commit);
  // main holds every ticket's work, each merge's first parent the one before
  expect((await git(repo, 'rev-list', '--first-parent', 'main')).split('\n')).toEqual([placed[2]?.commit, placed[1]?.commit, placed[0]?.commit, start]);
  expect((await git(repo, 'ls-tree', '--name-only', 'main')).split('\n').sort()).toEqual(['M-1.txt', 'M-2.txt', 'M-3.txt', 'a.txt']);
  for (const ahead of aheads) await ahead?.abandon();
});

test('a move the queue did not foresee leaves the next merge on a target no longer there; with nothing queued, a landing starts from where the target is', async () => {
  const keys = ['N-1', 'N-2'];
  const { repo, ctx } = await setup(keys);
  const [first, second] = keys.map((key) => ({ key, ahead: mergeAhead(ctx, ticket(key)) }));
  if (!first || !second) throw new Error('no tickets');
  const one = readyMerge(ctx, ticket(first.key), first.ahead);
  const firstDone = ctx.withMergeLock(async () => {
    const { at, made } = await one.merge;
    if (made?.kind !== 'commit' || !at) throw new Error('no merge');
    const merge = await placeMerge(ctx.repo, 'main', first.key, made.commit, at);
    if (merge.kind === 'merged') ctx.targetGuard.moved(merge.commit);
  }).finally(one.done);
  // a locked section that is no landing (a revert, say) moves the target after the first landing
  const foreign = ctx.withMergeLock(async () => {
    const head = ctx.targetGuard.expected();
    const tree = await git(repo, 'rev-parse', `${head}^{tree}`);
    const moved = await git(repo, 'commit-tree', tree, '-p', head, '-m', 'not a landing');
    await git(repo, 'update-ref', 'refs/heads/main', moved, head);
    ctx.targetGuard.moved(moved);
  });
  const two = readyMerge(ctx, ticket(second.key), second.ahead);
  const seen = await ctx.withMergeLock(async () => ({ at: (await two.merge).at, expected: ctx.targetGuard.expected() })).finally(two.done);
  await Promise.all([firstDone, foreign]);
  // made on the first landing's merge, but the target moved on: under the lock it is made again (landTicket)
  expect(seen.at).toBe((await git(repo, 'rev-parse', 'main^')));
  expect(seen.expected).toBe(await git(repo, 'rev-parse', 'main'));
  // nothing queued now: the next landing's merge is made on the target as it is
  const three = readyMerge(ctx, ticket(second.key), mergeAhead(ctx, ticket(second.key)));
  expect((await three.merge).at).toBe(await git(repo, 'rev-parse', 'main'));
  three.done();
  await first.ahead.abandon();
  await second.ahead.abandon();
});

test('after a missed prediction, landings that queue behind it make no merge beyond the one made ahead, until the queue is empty', async () => {
  const keys = ['P-1', 'P-2', 'P-3'];
  const { repo, ctx } = await setup(keys);
  const start = await git(repo, 'rev-parse', 'main');
  const [a, b, c] = keys.map((key) => mergeAhead(ctx, ticket(key)));
  if (!a || !b || !c) throw new Error('no merges ahead');
  const first = readyMerge(ctx, ticket('P-1'), a);
  const firstMade = (await first.merge).made;
  first.missed(); // its turn found the target elsewhere
  const second = readyMerge(ctx, ticket('P-2'), b);
  const { at, made } = await second.merge;
  // not made on P-1's merge (a head that will not come): the merge made when its agent ended serves
  expect(at).toBe(start);
  expect(made).toEqual(await b.made);
  expect(firstMade?.kind === 'commit' ? firstMade.commit : undefined).not.toBe(at);
  first.done();
  second.done();
  // the queue is empty again: the next landing predicts from where the target is
  const third = readyMerge(ctx, ticket('P-3'), c);
  expect((await third.merge).at).toBe(ctx.targetGuard.expected());
  third.done();
  for (const ahead of [a, b, c]) await ahead.abandon();
});
