// `--land push` with the real loop process, real git and a bare repository as `origin` on the file
// system: every merge pushed before it counts, a rejected push (someone pushed first) fetched and merged
// again on the new head, a loop SIGKILLed mid-run leaving origin/main equal to the local target with
// each trailer once, and `push`/`pr` refused (exit 2) where there is no remote.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeSimBatch } from '../../bench/batch.ts';
import type { SimTicket } from '../../bench/batch.ts';
import { readEventLines, startLoop, trailersOn } from '../../helpers/crash-helpers.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

const sim = (key: string, durationMs = 0): SimTicket => ({ key, blockedBy: [], durationMs, labels: [] });

/** A batch whose repo has a bare clone as `origin`, with main tracking origin/main. */
async function withOrigin(keys: string[], prefix: string, workers = 2) {
  const setup = writeSimBatch(tempDir(), keys.map((k) => sim(k)), { workers, prefix });
  const origin = join(setup.dir, 'origin.git');
  await git(setup.dir, 'clone', '-q', '--bare', setup.repo, origin);
  await git(setup.repo, 'remote', 'add', 'origin', origin);
  await git(setup.repo, 'fetch', '-q', 'origin');
  await git(setup.repo, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  return { ...setup, origin, runArgs: [...setup.runArgs, '--land', 'push'] };
}

async function expectShipped(repo: string, origin: string, keys: string[]): Promise<void> {
  expect(await git(origin, 'rev-parse', 'main')).toBe(await git(repo, 'rev-parse', 'main'));
  expect((await trailersOn(origin)).sort()).toEqual([...keys].sort());
}

test('--land push pushes every merge to origin before its receipt, origin/main ends equal to the local target', async () => {
  const setup = await withOrigin(['PU-1', 'PU-2', 'PU-3'], 'PU');
  const result = await startLoop(setup.runArgs).child;
  expect(result.exitCode).toBe(0);
  await expectShipped(setup.repo, setup.origin, ['PU-1', 'PU-2', 'PU-3']);
  const events = readEventLines(setup.state);
  for (const key of ['PU-1', 'PU-2', 'PU-3']) {
    const pushed = events.findIndex((e) => e.type === 'pushed' && e.ticket === key && e.what === 'merge');
    const done = events.findIndex((e) => e.type === 'ticket-done' && e.ticket === key);
    expect(pushed).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(pushed); // nothing counts before the push is accepted
  }
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(0);
});

test('a rejected push (origin moved first) is fetched, merged again on the new head and pushed; nothing is lost', async () => {
  const setup = await withOrigin(['PR-1'], 'PR', 1);
  // origin's hook plays a colleague who pushed first: on the first push it adds a commit to main itself and rejects
  const hook = join(setup.origin, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh
[ -e colleague-pushed ] && exit 0
touch colleague-pushed
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=c GIT_AUTHOR_EMAIL=c@example.invalid GIT_COMMITTER_NAME=c GIT_COMMITTER_EMAIL=c@example.invalid
old=$(git rev-parse refs/heads/main)
blob=$(echo colleague | git hash-object -w --stdin)
export GIT_INDEX_FILE=$(pwd)/colleague-index
git read-tree "$old"
git update-index --add --cacheinfo "100644,$blob,COLLEAGUE.txt"
commit=$(git commit-tree "$(git write-tree)" -p "$old" -m "a colleague's push")
git update-ref refs/heads/main "$commit" "$old"
echo "rejected: main moved" >&2
exit 1
`);
  chmodSync(hook, 0o755);
  const result = await startLoop(setup.runArgs).child;
  expect(result.exitCode).toBe(0);
  await expectShipped(setup.repo, setup.origin, ['PR-1']);
  expect(await git(setup.repo, 'log', '--format=%s', 'main')).toContain("a colleague's push");
  const events = readEventLines(setup.state);
  expect(events.filter((e) => e.type === 'push-rejected' && e.ticket === 'PR-1')).toHaveLength(1);
  const rejectedAt = events.findIndex((e) => e.type === 'push-rejected');
  expect(events.findIndex((e) => e.type === 'ticket-done' && e.ticket === 'PR-1')).toBeGreaterThan(rejectedAt);
  // the merge that counts is the one on the colleague's commit, the one origin took
  const merged = events.filter((e) => e.type === 'merged' && e.ticket === 'PR-1');
  expect(merged).toHaveLength(1);
  expect(await git(setup.origin, 'log', '-1', '--format=%s', `${String(merged[0]?.commit)}^1`)).toBe("a colleague's push");
});

test('a merge made but not pushed before a crash is pushed at the next start; after SIGKILLs origin equals the target, each trailer once', async () => {
  const keys = ['PK-1', 'PK-2', 'PK-3'];
  const setup = await withOrigin(keys, 'PK', 1);
  // the crash window itself: the local target ahead of origin (a merge made, its push never sent)
  writeFileSync(join(setup.repo, 'LOCAL.txt'), 'made before the crash\n');
  await git(setup.repo, 'add', 'LOCAL.txt');
  await git(setup.repo, 'commit', '-q', '-m', 'made locally, not pushed');
  for (let kill = 1; kill <= 2; kill++) {
    const loop = startLoop(setup.runArgs);
    await loop.waitForLine(/pushed merge/);
    loop.child.kill('SIGKILL');
    await loop.child;
  }
  const last = await startLoop(setup.runArgs).child;
  expect(last.exitCode).toBe(0);
  await expectShipped(setup.repo, setup.origin, keys);
  expect(await git(setup.origin, 'log', '--format=%s', 'main')).toContain('made locally, not pushed');
});

test('a pushed merge whose replay fails is reverted by a pushed revert; the ticket reopens, the oracle says not done', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const origin = join(dir, 'origin.git');
  await git(dir, 'clone', '-q', '--bare', repo, origin);
  await git(repo, 'remote', 'add', 'origin', origin);
  // on the ticket's branch the check passes; on the merged head (detached) it needs a file never written
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: ['test -f feature.txt', 'test "$(git rev-parse --abbrev-ref HEAD)" != HEAD || test -f fixed.txt'] }]);
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ worker: { files: { 'feature.txt': 'x\n' }, commit: true } }));
  const agent = (name: string) => `command:${process.execPath} ${SCRIPTED_AGENT} ${plan} ${name}`;
  const run = await runCli(['run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent('worker'),
    '--review', `${agent('alpha')},${agent('beta')}`, '--max-passes', '1', '--state', join(dir, 'state'), '--land', 'push']);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(/APP-1 pushed revert [0-9a-f]{12} to origin\/main/);
  expect(await git(origin, 'rev-parse', 'main')).toBe(await git(repo, 'rev-parse', 'main'));
  expect(await git(origin, 'log', '-1', '--format=%(trailers:key=Nightshift-Reverted,valueonly)', 'main')).toBe('APP-1');
  await expect(git(origin, 'show', 'main:feature.txt')).rejects.toThrow();
  expect(readEventLines(join(dir, 'state')).some((e) => e.type === 'ticket-done')).toBe(false);
  expect((await runCli(['oracle', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo])).exitCode).toBe(1);
});

test('--land push or pr without a remote is refused before anything starts (exit 2)', async () => {
  const setup = writeSimBatch(tempDir(), [sim('PN-1')], { workers: 1, prefix: 'PN' });
  const push = await runCli(['run', ...setup.runArgs, '--land', 'push']);
  expect(push.exitCode).toBe(2);
  expect(push.stderr).toContain('has no remote to push main to');
  const pr = await runCli(['run', ...setup.runArgs, '--land', 'pr']);
  expect(pr.exitCode).toBe(2);
  expect(pr.stderr).toContain('--land pr: the repository');
  const bad = await runCli(['run', ...setup.runArgs, '--land', 'ship']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--land must be local or push or pr');
  expect(await git(setup.repo, 'log', '--format=%s', 'main')).toBe('initial');
});
