// `--land pr` with the real loop process, real git, a bare repository as `origin` and the loopback GitHub
// simulator (its pull requests, branch protection and check runs over that bare repository, driven by
// the real @octokit client): every ticket lands through a merged pull request after its required check
// ran on the pushed head; a red check fails the pass and its output reaches the next one; a failed
// replay is reverted through a pull request of its own; no token, no repository: exit 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { writeSimBatch } from '../../bench/batch.ts';
import { readEventLines, startLoop, trailersOn } from '../../helpers/crash-helpers.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';
import { startForge } from '../../helpers/forge.ts';
import type { TestForge } from '../../helpers/forge.ts';
import type { PullOptions } from '../../sim/github-pulls.ts';

const open: TestForge[] = [];
afterEach(async () => {
  for (const forge of open.splice(0)) await forge.close();
});

/** `repo` given a bare `origin` (main tracking it) and a GitHub serving that bare repository. */
async function forge(repo: string, dir: string, options: Omit<PullOptions, 'bare'>) {
  const started = await startForge(repo, dir, options);
  open.push(started);
  return started;
}

test('--land pr lands every ticket through a merged pull request, each after its required check passed on the pushed head', async () => {
  const keys = ['PQ-1', 'PQ-2', 'PQ-3'];
  const setup = writeSimBatch(tempDir(), keys.map((key) => ({ key, blockedBy: [], durationMs: 0, labels: [] })), { workers: 2, prefix: 'PQ' });
  const { origin, pulls, env } = await forge(setup.repo, setup.dir, { checks: [{ name: 'ci', command: 'test -d work && ! grep -rq broken work' }] });
  const result = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(result.exitCode, String(result.stdout)).toBe(0);
  // one merged pull request per ticket, its merge commit on origin's main with the trailer, main followed locally
  expect(pulls.pulls.map((p) => [p.head, p.merged]).sort()).toEqual(keys.map((k) => [`nightshift/${k}`, true]));
  expect((await trailersOn(origin)).sort()).toEqual(keys);
  expect(await git(setup.repo, 'rev-parse', 'main')).toBe(await git(origin, 'rev-parse', 'main'));
  const events = readEventLines(setup.state);
  for (const pull of pulls.pulls) {
    const key = pull.head.replace('nightshift/', '');
    // the check ran on the head that was merged, and passed, before GitHub merged it; done only after
    const checkedHead = events.find((e) => e.type === 'checks' && e.ticket === key)?.commit;
    expect(await git(origin, 'rev-parse', `${String(pull.mergeCommit)}^2`)).toBe(checkedHead);
    expect(pulls.runs().filter((r) => r.sha === checkedHead).map((r) => r.conclusion)).toEqual(['success']);
    const checked = events.findIndex((e) => e.type === 'checks' && e.ticket === key && e.result === 'passed');
    const merged = events.findIndex((e) => e.type === 'pr-merged' && e.ticket === key);
    const done = events.findIndex((e) => e.type === 'ticket-done' && e.ticket === key);
    expect(checked).toBeGreaterThanOrEqual(0);
    expect(merged).toBeGreaterThan(checked);
    expect(done).toBeGreaterThan(merged);
    expect(events[merged]?.commit).toBe(pull.mergeCommit);
  }
  expect(pulls.runs().every((r) => r.status === 'completed' && r.conclusion === 'success')).toBe(true);
  // the receipt names the pull request
  const tickets = JSON.parse(readFileSync(setup.tickets, 'utf8')) as { tickets: Array<{ key: string; comments: Array<{ body: string }> }> };
  for (const ticket of tickets.tickets) {
    const number = pulls.pulls.find((p) => p.head === `nightshift/${ticket.key}`)?.number;
    expect(ticket.comments.map((c) => c.body).join('\n')).toContain(`Pull request: https://github.com/acme/eng/pull/${String(number)}`);
  }
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(0);
});

/** One ticket APP-1 worked by the scripted agent with `plan`, verified by `verify`. */
async function scriptedTicket(plan: Record<string, unknown>, verify: string[]) {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify }]);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const agent = (name: string) => `command:${process.execPath} ${SCRIPTED_AGENT} ${planFile} ${name}`;
  const args = ['run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent('worker'),
    '--review', `${agent('alpha')},${agent('beta')}`, '--state', join(dir, 'state'), '--land', 'pr'];
  return { dir, repo, tickets, planFile, args, state: join(dir, 'state') };
}

test('a red required check fails the pass (check-failed, nothing merged); its output reaches the next pass, which lands through the same pull request', async () => {
  const t = await scriptedTicket({
    'worker:APP-1:1': { files: { 'feature.txt': 'broken\n' }, commit: true },
    'worker:APP-1:2': { files: { 'feature.txt': 'fixed\n' }, commit: true },
  }, ['test -f feature.txt']);
  const { origin, pulls, env } = await forge(t.repo, t.dir, { checks: [{ name: 'lint', command: 'grep -q fixed feature.txt || { echo "lint: feature.txt is not fixed"; exit 1; }' }] });
  const run = await runCli([...t.args, '--max-passes', '2'], { env });
  expect(run.exitCode, run.stdout).toBe(0);
  const events = readEventLines(t.state);
  const ends = events.filter((e) => e.type === 'pass-end').map((e) => e.outcome);
  expect(ends).toEqual(['check-failed', 'landed']);
  // the second pass was told which check failed and what it printed
  const calls = readFileSync(`${t.planFile}.calls`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; pass: number; prompt: string; env: string[] });
  const second = calls.find((c) => c.role === 'worker' && c.pass === 2);
  expect(second?.prompt).toContain('failed its required check "lint"');
  expect(second?.prompt).toContain('lint: feature.txt is not fixed');
  // no agent ever saw GitHub's token
  expect(calls.some((c) => c.env.includes('GITHUB_TOKEN'))).toBe(false);
  // one pull request, updated by the second pass, merged once
  expect(pulls.pulls).toHaveLength(1);
  expect(pulls.pulls[0]?.merged).toBe(true);
  expect(events.filter((e) => e.type === 'pr-opened').map((e) => e.updated)).toEqual([false, true]);
  expect(await trailersOn(origin)).toEqual(['APP-1']);
  expect(await git(origin, 'show', 'main:feature.txt')).toBe('fixed');
  expect((await runCli(['oracle', 'APP-1', '--tracker', 'local', '--tickets', t.tickets, '--repo', t.repo])).exitCode).toBe(0);
});

test('a merged pull request whose replay fails is reverted through a pull request of its own; the ticket reopens, the oracle says not done', async () => {
  // on the ticket's branch the check passes; on the merged head (detached) it needs a file never written
  const t = await scriptedTicket({ worker: { files: { 'feature.txt': 'x\n' }, commit: true } },
    ['test -f feature.txt', 'test "$(git rev-parse --abbrev-ref HEAD)" != HEAD || test -f fixed.txt']);
  const { origin, pulls, env } = await forge(t.repo, t.dir, { checks: [{ name: 'ci', command: 'true' }] });
  const run = await runCli([...t.args, '--max-passes', '1'], { env });
  expect(run.exitCode, run.stdout).toBe(1);
  expect(pulls.pulls.map((p) => [p.head, p.merged])).toEqual([['nightshift/APP-1', true], ['nightshift/revert/APP-1-1', true]]);
  expect(await git(origin, 'rev-parse', 'main')).toBe(await git(t.repo, 'rev-parse', 'main'));
  expect(await git(origin, 'log', '-1', '--format=%(trailers:key=Nightshift-Reverted,valueonly)', 'main')).toBe('APP-1');
  await expect(git(origin, 'show', 'main:feature.txt')).rejects.toThrow();
  expect(readEventLines(t.state).some((e) => e.type === 'ticket-done')).toBe(false);
  expect((await runCli(['oracle', 'APP-1', '--tracker', 'local', '--tickets', t.tickets, '--repo', t.repo])).exitCode).toBe(1);
});

test('--land pr without GITHUB_TOKEN, or without a GitHub repository to name, is refused before anything starts (exit 2)', async () => {
  const setup = writeSimBatch(tempDir(), [{ key: 'PZ-1', blockedBy: [], durationMs: 0, labels: [] }], { workers: 1, prefix: 'PZ' });
  const origin = join(setup.dir, 'origin.git');
  await git(setup.dir, 'clone', '-q', '--bare', setup.repo, origin);
  await git(setup.repo, 'remote', 'add', 'origin', origin);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_')));
  const noToken = await runCli(['run', ...setup.runArgs, '--land', 'pr'], { env: base });
  expect(noToken.exitCode).toBe(2);
  expect(noToken.stderr).toContain('GITHUB_TOKEN is not set');
  const noRepo = await runCli(['run', ...setup.runArgs, '--land', 'pr'], { env: { ...base, GITHUB_TOKEN: 'x' } });
  expect(noRepo.exitCode).toBe(2);
  expect(noRepo.stderr).toContain('Set GITHUB_REPOSITORY=owner/name');
  expect(await git(setup.repo, 'log', '--format=%s', 'main')).toBe('initial');
  expect(await git(setup.repo, 'branch', '--list', 'nightshift/*')).toBe('');
});

test('a loop SIGKILLed while its pull requests wait for their checks, started again, reuses them: each merged once, each trailer once', async () => {
  const keys = ['PK-1', 'PK-2'];
  const setup = writeSimBatch(tempDir(), keys.map((key) => ({ key, blockedBy: [], durationMs: 0, labels: [] })), { workers: 2, prefix: 'PK' });
  // the build waits for the test's go-ahead, so the loop is killed with both pull requests open and checking
  const gate = join(setup.dir, 'ci-may-finish');
  const { origin, pulls, env } = await forge(setup.repo, setup.dir, { checks: [{ name: 'ci', command: `while [ ! -e "${gate}" ]; do sleep 0.05; done` }] });
  const first = startLoop([...setup.runArgs, '--land', 'pr'], env);
  await first.waitForLine(/waiting for the required checks/, 2);
  first.child.kill('SIGKILL');
  await first.child;
  expect(pulls.pulls.map((p) => p.merged)).toEqual([false, false]);
  writeFileSync(gate, '');
  const second = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(second.exitCode, String(second.stdout)).toBe(0);
  expect(pulls.pulls.map((p) => [p.head, p.merged]).sort()).toEqual(keys.map((k) => [`nightshift/${k}`, true]));
  expect((await trailersOn(origin)).sort()).toEqual(keys);
  expect(await git(setup.repo, 'rev-parse', 'main')).toBe(await git(origin, 'rev-parse', 'main'));
  expect(readEventLines(setup.state).filter((e) => e.type === 'pr-opened' && e.updated === true).length).toBeGreaterThanOrEqual(2);
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(0);
});

test('a target behind its remote at start (a pull request merged, the loop killed before it fetched) is followed; the merge is found, not made again', async () => {
  const setup = writeSimBatch(tempDir(), [{ key: 'PF-1', blockedBy: [], durationMs: 0, labels: [] }], { workers: 1, prefix: 'PF' });
  const { origin, pulls, env } = await forge(setup.repo, setup.dir, {});
  const first = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(first.exitCode).toBe(0);
  // the crash window: GitHub merged, the local target never followed, no receipt written
  const merged = await git(origin, 'rev-parse', 'main');
  await git(setup.repo, 'update-ref', 'refs/heads/main', await git(setup.repo, 'rev-parse', 'main^1'));
  const tickets = JSON.parse(readFileSync(setup.tickets, 'utf8')) as { tickets: Array<{ state: string; comments: unknown[] }> };
  for (const t of tickets.tickets) Object.assign(t, { state: 'in_progress', comments: [] });
  writeFileSync(setup.tickets, JSON.stringify(tickets));
  const second = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(second.exitCode, String(second.stdout)).toBe(0);
  expect(await git(setup.repo, 'rev-parse', 'main')).toBe(merged);
  expect(await git(origin, 'rev-parse', 'main')).toBe(merged);
  expect(pulls.pulls).toHaveLength(1);
  const events = readEventLines(setup.state);
  expect(events.some((e) => e.type === 'target-fetched' && e.commit === merged)).toBe(true);
  expect(events.some((e) => e.type === 'resume-landing' && e.commit === merged)).toBe(true);
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(0);
});

test('a base that requires a person\'s approval: the merge waits for it; a strict base: a branch left behind is brought up to date and checked again', async () => {
  const keys = ['PA-1', 'PA-2'];
  const setup = writeSimBatch(tempDir(), keys.map((key) => ({ key, blockedBy: [], durationMs: 0, labels: [] })), { workers: 2, prefix: 'PA' });
  // the token cannot read the protection (403): the required check is read from the branch's own view
  const { origin, pulls, env } = await forge(setup.repo, setup.dir, { checks: [{ name: 'ci', command: 'test -d work' }], strict: true, approvals: 1, protectionReadable: false });
  const loop = startLoop([...setup.runArgs, '--land', 'pr'], env);
  // a person approves the pull requests open once the loop asks (GitHub refuses every merge before that)
  await loop.waitForLine(/waiting for a person's approving review/);
  expect(pulls.refused.some((r) => /approving review is required/.test(r))).toBe(true);
  for (const pull of pulls.pulls.filter((p) => p.state === 'open')) pulls.approve(pull.number, 'alice');
  // one not open yet is approved when it asks
  const second = loop.waitForLine(/waiting for a person's approving review/, 2).then(() => {
    for (const pull of pulls.pulls.filter((p) => p.state === 'open')) pulls.approve(pull.number, 'bob');
  }, () => undefined);
  const result = await loop.child;
  await second;
  expect(result.exitCode, String(result.stdout)).toBe(0);
  expect(pulls.pulls.map((p) => p.merged)).toEqual([true, true]);
  expect((await trailersOn(origin)).sort()).toEqual(keys);
  const events = readEventLines(setup.state);
  // the second pull request was behind once the first merged: the target merged into its branch, its check run again
  const behind = events.filter((e) => e.type === 'pr-refused' && /up to date/.test(String(e.message)));
  expect(behind).toHaveLength(1);
  const late = behind[0]?.ticket;
  expect(events.filter((e) => e.type === 'checks' && e.ticket === late && e.result === 'passed')).toHaveLength(2);
  expect(await git(origin, 'log', '-1', '--format=%s', `main^2`)).toBe(`Merge main into nightshift/${String(late)}`);
  expect(pulls.runs().filter((r) => r.conclusion === 'success').length).toBeGreaterThanOrEqual(3);
});

test('a merge whose answer is lost (GitHub merged, then 502) is read back from the pull request: landed once, not refused', async () => {
  const setup = writeSimBatch(tempDir(), [{ key: 'PL-1', blockedBy: [], durationMs: 0, labels: [] }], { workers: 1, prefix: 'PL' });
  const { origin, pulls, env } = await forge(setup.repo, setup.dir, { lostMergeAnswers: 1 });
  const result = await startLoop([...setup.runArgs, '--land', 'pr'], env).child;
  expect(result.exitCode, String(result.stdout)).toBe(0);
  expect(pulls.pulls.map((p) => p.merged)).toEqual([true]);
  expect(await trailersOn(origin)).toEqual(['PL-1']);
  const events = readEventLines(setup.state);
  expect(events.filter((e) => e.type === 'pass-end').map((e) => e.outcome)).toEqual(['landed']);
  expect(events.find((e) => e.type === 'pr-merged')?.commit).toBe(pulls.pulls[0]?.mergeCommit);
});
