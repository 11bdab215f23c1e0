// `--land pr` in front of GitHub's merge queue and rulesets, with the real loop process, real git, a bare
// `origin` and the loopback GitHub simulator: a base whose ruleset requires a merge queue refuses the
// REST merge, so each pull request is queued (GraphQL enqueuePullRequest), tested by the queue on a merge
// group and merged by it; the trailer travels on the branch's own merge commit, which is what reaches
// main and what the receipt names. A merge group whose check fails takes the pull request out: a
// check-failed pass, nothing landed. A queue that squashes is refused with what to change.
import { readFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { writeSimBatch } from '../../bench/batch.ts';
import { readEventLines, startLoop, trailersOn } from '../../helpers/crash-helpers.ts';
import { runCli } from '../../helpers/cli.ts';
import { startForge } from '../../helpers/forge.ts';
import type { TestForge } from '../../helpers/forge.ts';
import { git, tempDir } from '../../helpers/repo.ts';
import type { PullOptions } from '../../sim/github-pulls.ts';

const open: TestForge[] = [];
afterEach(async () => {
  for (const forge of open.splice(0)) await forge.close();
});

async function batchWithForge(keys: string[], options: Omit<PullOptions, 'bare'>) {
  const setup = writeSimBatch(tempDir(), keys.map((key) => ({ key, blockedBy: [], durationMs: 0, labels: [] })), { workers: 2, prefix: 'MQ' });
  const forge = await startForge(setup.repo, setup.dir, options);
  open.push(forge);
  return { setup, origin: forge.origin, pulls: forge.pulls, env: forge.env };
}

test('a ruleset\'s merge queue and checks: every ticket queued, tested on its merge group and merged by the queue; the receipt names the trailer commit on main', async () => {
  const keys = ['MQ-1', 'MQ-2', 'MQ-3'];
  const { setup, origin, pulls, env } = await batchWithForge(keys, {
    rulesets: true, mergeQueue: { method: 'MERGE' }, checks: [{ name: 'ci', command: 'test -d work' }],
  });
  const result = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(result.exitCode, String(result.stdout)).toBe(0);
  expect(pulls.pulls.map((p) => [p.head, p.merged]).sort()).toEqual(keys.map((k) => [`nightshift/${k}`, true]));
  expect(pulls.refused).toEqual([]); // never asked GitHub to merge past its queue
  expect(pulls.dequeued).toEqual([]);
  expect((await trailersOn(origin)).sort()).toEqual(keys);
  expect(await git(setup.repo, 'rev-parse', 'main')).toBe(await git(origin, 'rev-parse', 'main'));
  const events = readEventLines(setup.state);
  for (const pull of pulls.pulls) {
    const key = pull.head.replace('nightshift/', '');
    // the queue's merge group is what main points through; its second parent is the branch's trailer commit, which the receipt names
    const merged = events.find((e) => e.type === 'merged' && e.ticket === key);
    expect(merged?.commit).toBe(await git(origin, 'rev-parse', `${String(pull.mergeCommit)}^2`));
    expect(await git(origin, 'log', '-1', '--format=%(trailers:key=Nightshift-Ticket,valueonly)', String(merged?.commit))).toBe(key);
    // the ruleset's check ran on the merge group the queue built, and passed, before the queue merged it
    expect(pulls.runs().filter((r) => r.sha === pull.mergeCommit).map((r) => [r.name, r.conclusion])).toEqual([['ci', 'success']]);
    const queued = events.findIndex((e) => e.type === 'queued' && e.pull === pull.number);
    const done = events.findIndex((e) => e.type === 'ticket-done' && e.ticket === key);
    expect(queued).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(queued);
  }
  // no queue branch left behind
  expect(await git(origin, 'for-each-ref', 'refs/heads/gh-readonly-queue')).toBe('');
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(0);
});

test('a merge group whose check fails takes the pull request out of the queue: check-failed, nothing on main, not done', async () => {
  // the check passes on the pull request's own head and fails on the merge group the queue builds
  const { setup, origin, pulls, env } = await batchWithForge(['MQ-1'], {
    rulesets: true, mergeQueue: { method: 'MERGE' }, checks: [{ name: 'integration', command: 'git -C "$BARE" log -1 --format=%s "$SHA" | grep -qv "^Merge pull request"' }],
  });
  const result = await startLoop([...setup.runArgs, '--land', 'pr', '--max-passes', '1'], env).child;
  expect(result.exitCode).not.toBe(0);
  const events = readEventLines(setup.state);
  expect(events.filter((e) => e.type === 'pass-end').map((e) => e.outcome)).toEqual(['check-failed']);
  expect(pulls.dequeued).toHaveLength(1);
  expect(pulls.dequeued[0]).toMatch(/integration failed on the merge group/);
  expect(pulls.pulls[0]?.merged).toBe(false);
  expect(await trailersOn(origin)).toEqual([]);
  const tickets = readFileSync(setup.tickets, 'utf8');
  expect(tickets).not.toContain('Pull request: https://github.com');
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(1);
});

test('a merge queue that squashes is refused, saying what to change; nothing queued or merged', async () => {
  const { setup, origin, pulls, env } = await batchWithForge(['MQ-1'], { rulesets: true, mergeQueue: { method: 'SQUASH' } });
  const result = await startLoop([...setup.runArgs, '--land', 'pr', '--max-passes', '1'], env).child;
  expect(result.exitCode).not.toBe(0);
  const conflict = readEventLines(setup.state).find((e) => e.type === 'merge-conflict');
  expect(String(conflict?.message)).toMatch(/squashes its pull requests.*"Merge commit"/);
  expect(pulls.pulls).toEqual([]);
  expect(await trailersOn(origin)).toEqual([]);
});
