// The loop against agents that do not do the work: nothing they say moves a ticket to done.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

async function setup(plan: object, tickets = [{ key: 'APP-1', verify: ['test -f feature.txt'] }]) {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const ticketsFile = writeTickets(join(dir, 'tickets.json'), 'APP', tickets);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const agent = `command:${process.execPath} ${SCRIPTED_AGENT} ${planFile}`;
  const args = [tickets.length === 1 ? 'APP-1' : `APP-1..APP-${tickets.length}`, '--tracker', 'local', '--tickets', ticketsFile, '--repo', repo,
    '--agent', agent, '--review', `${agent},${agent}`, '--max-passes', '2', '--state', join(dir, 'state')];
  const calls = () => readFileSync(`${planFile}.calls`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; pass: number; prompt: string; env: string[] });
  const oracle = () => runCli(['oracle', args[0]!, '--tracker', 'local', '--tickets', ticketsFile, '--repo', repo]);
  const ticket = () => JSON.parse(readFileSync(ticketsFile, 'utf8')).tickets[0];
  return { dir, repo, args, calls, oracle, ticket };
}

test('an agent that exits 0 without committing leaves its ticket not done', async () => {
  const t = await setup({ worker: { files: { 'feature.txt': 'x' }, commit: false } });
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: no-commits - the agent reported complete but nightshift\/APP-1 has no commits beyond main/);
  expect(t.ticket().state).not.toBe('done');
  expect((await t.oracle()).exitCode).toBe(1);
  expect(await git(t.repo, 'log', '--oneline', 'main')).not.toContain('Merge');
  // the second pass was told why the first failed
  expect(t.calls().filter((c) => c.role === 'worker').map((c) => c.pass)).toEqual([1, 2]);
  expect(t.calls()[1]?.prompt).toContain('has no commits beyond main');
});

test('an agent whose verify commands fail leaves its ticket not done, and reviewers are never asked', async () => {
  const t = await setup({ worker: { files: { 'other.txt': 'x' }, commit: true } });
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(/APP-1 finish line failed at `test -f feature.txt`/);
  expect(t.ticket().state).toBe('in_progress');
  expect((await t.oracle()).exitCode).toBe(1);
  expect(t.calls().every((c) => c.role === 'worker')).toBe(true);
  // the merge prepared when the agent ended was never placed, and its replay worktree was given back
  expect(await git(t.repo, 'log', '--oneline', 'main')).not.toContain('Merge');
  expect(await git(t.repo, 'worktree', 'list', '--porcelain')).not.toMatch(/replay-APP-1/);
});

test('an agent that writes no result, or an invalid one, fails its pass', async () => {
  const t = await setup({ 'worker:APP-1:1': { result: null, exit: 0 }, 'worker:APP-1:2': { result: '{"status":"finished"}' } });
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain('no result file was written');
  expect(run.stdout).toContain('pass 2 ended: no-result');
  expect((await t.oracle()).exitCode).toBe(1);
});

test('an honest agent lands its ticket; tracker secrets never reach the agent', async () => {
  const t = await setup({ worker: { files: { 'feature.txt': 'x' }, commit: true } });
  const run = await runCli(['run', ...t.args], { env: { ...process.env, LINEAR_API_KEY: 'lin_secret', JIRA_API_TOKEN: 'jira_secret' } });
  expect(run.exitCode).toBe(0);
  expect(t.ticket().state).toBe('done');
  expect((await t.oracle()).exitCode).toBe(0);
  for (const call of t.calls()) {
    expect(call.env).not.toContain('LINEAR_API_KEY');
    expect(call.env).not.toContain('JIRA_API_TOKEN');
  }
  expect(t.calls().map((c) => c.role)).toEqual(['worker', 'reviewer', 'reviewer']);
});

test('run rejects bad flags with exit 2 before touching anything', async () => {
  const t = await setup({});
  for (const [flag, value, message] of [['--workers', '0', '--workers must be a positive whole number'], ['--max-passes', 'lots', '--max-passes must be'], ['--review', 'claude', '--review takes two agent specs'], ['--agent', 'gpt', 'unknown agent spec "gpt"']] as const) {
    const args = [...t.args];
    const at = args.indexOf(flag);
    if (at >= 0) args[at + 1] = value;
    else args.push(flag, value);
    const run = await runCli(['run', ...args]);
    expect(run.exitCode, flag).toBe(2);
    expect(run.stderr, flag).toContain(message);
  }
  expect(t.ticket().state).toBe('todo');
});
