// The target as the loop reads it: where the loop last put it (its target guard), never the live ref a
// worker may have moved a moment ago. A forged head with a trailer is not a merge, a new branch does not
// start from it, and the guard undoes it, keeping it on a foreign ref. Real git in a temp repo.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { commitsAhead, findMergeOnTarget } from '../../../loop/git/target.ts';
import { openGit } from '../../../loop/git/git.ts';
import { prepareWorktree } from '../../../loop/git/worktrees.ts';
import { readEvents } from '../../../oracle/state-files.ts';
import { openEventLog } from '../../../loop/state/state.ts';
import { openTargetGuard } from '../../../loop/guards/target-guard.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

async function forgedRepo() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n', 'test/a.test.ts': "test('a', () => {});\ntest('b', () => {});\n" });
  const loopHead = await git(repo, 'rev-parse', 'main');
  const events = join(dir, 'events.jsonl');
  const guard = await openTargetGuard(openGit(repo), 'main', openEventLog(events, 'run-1', []));
  // a worker forges a "merge" of APP-2 (and drops a test) and moves main to it from its worktree
  await git(repo, 'checkout', '-q', '-b', 'forger');
  await git(repo, 'rm', '-q', 'test/a.test.ts');
  await git(repo, 'commit', '-q', '-m', 'Merge it\n\nNightshift-Ticket: APP-2');
  const forged = await git(repo, 'rev-parse', 'HEAD');
  await git(repo, 'update-ref', 'refs/heads/main', forged);
  await git(repo, 'checkout', '-q', '--detach', loopHead);
  return { dir, repo, events, guard, loopHead, forged };
}

test('a forged trailer on a moved target is not read as a merge while the loop reads its own head', async () => {
  const { repo, guard, loopHead, forged } = await forgedRepo();
  expect(guard.rev()).toBe(loopHead);
  // the live ref would be fooled; the loop's own head is not
  expect(await findMergeOnTarget(openGit(repo), 'main', 'APP-2')).toBe(forged);
  expect(await findMergeOnTarget(openGit(repo), 'main', 'APP-2', guard.rev())).toBeUndefined();
});

test('a new ticket branch starts at the loop head, not at the forged one, and its commits are counted from it', async () => {
  const { dir, repo, guard, loopHead } = await forgedRepo();
  const worktree = join(dir, 'wt-APP-3');
  await prepareWorktree(openGit(repo), 'main', 'APP-3', worktree, guard.rev());
  expect(await git(worktree, 'rev-parse', 'HEAD')).toBe(loopHead);
  expect(await commitsAhead(openGit(repo), 'main', 'APP-3', guard.rev())).toBe(0);
  writeFileSync(join(worktree, 'three.txt'), 'x\n');
  await git(worktree, 'add', '-A');
  await git(worktree, 'commit', '-q', '-m', 'three');
  expect(await commitsAhead(openGit(repo), 'main', 'APP-3', guard.rev())).toBe(1);
});

test('the guard undoes the foreign move, keeps the forged head on a foreign ref and records it', async () => {
  const { repo, events, guard, loopHead, forged } = await forgedRepo();
  const outcome = await guard.check('before a merge', ['APP-2']);
  expect(outcome).toEqual({ kind: 'restored', foreign: forged });
  expect(await git(repo, 'rev-parse', 'main')).toBe(loopHead);
  expect(guard.undone()).toEqual([forged]);
  const [event] = readEvents(events);
  expect(event).toMatchObject({ type: 'foreign-target-move', when: 'before a merge', tickets: ['APP-2'], expected: loopHead, found: forged });
  expect(await git(repo, 'rev-parse', String(event?.kept))).toBe(forged);
  expect(await guard.check('after a pass', ['APP-2'])).toEqual({ kind: 'ok' });
});

test('read without the lock, the target is untouched only where the loop left it; the loop\'s own moves and undos are known', async () => {
  const { repo, guard, loopHead, forged } = await forgedRepo();
  // the forged move is there: not untouched (the check under the lock decides)
  expect(await guard.untouched()).toBe(false);
  await guard.check('after a pass', ['APP-2']);
  expect(await guard.untouched()).toBe(true);
  // a merge under way: the ref moved, the guard not told yet, reads as touched; once told, untouched
  await git(repo, 'checkout', '-q', 'main');
  writeFileSync(join(repo, 'b.txt'), 'b\n');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'the loop merges');
  const merged = await git(repo, 'rev-parse', 'main');
  expect(await guard.untouched()).toBe(false);
  guard.moved(merged);
  expect(await guard.untouched()).toBe(true);
  expect(guard.loopMoved(loopHead, merged)).toBe(true);
  expect(guard.loopMoved(merged, loopHead)).toBe(false);
  expect(guard.loopMoved(loopHead, loopHead)).toBe(true);
  // a head the loop never set is not known (git is asked instead); from one it undid, to one of its own, is the undo
  expect(guard.loopMoved(loopHead, forged)).toBe(false);
  expect(guard.loopMoved(forged, merged)).toBe(true);
  expect(guard.loopMoved(forged, 'f'.repeat(40))).toBe(false);
});
