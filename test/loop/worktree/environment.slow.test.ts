// Prepared worktrees through the real `nightshift run`: a repo whose test tool is missing, or whose
// set-up fails, stops in the preflight with exit 2 before any agent starts; a repo that needs its set-up
// reaches done with it paid once (the preflight installs and stores, passes and replays link), and the
// final audit prepares its worktrees the same way.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

type Event = { type: string; ticket?: string; [field: string]: unknown };
const events = (state: string): Event[] => readFileSync(join(state, 'events.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

/** What the scripted agent logged: '' when it never ran. */
function callsOf(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function agentOf(dir: string, steps: object = {}): { spec: string; calls: string } {
  const file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify(steps));
  return { spec: `command:${process.execPath} ${SCRIPTED_AGENT} ${file}`, calls: `${file}.calls` };
}

const env = (dir: string) => ({ ...process.env, NIGHTSHIFT_CACHE_DIR: join(dir, 'cache'), NIGHTSHIFT_LEDGER_DIR: join(dir, 'ledger') });

test('a finish line whose test tool is missing stops the run in the preflight: exit 2, what to do, no agent started', async () => {
  const dir = tempDir('nightshift-preflight-');
  const repo = await makeRepo(join(dir, 'repo'), { 'package.json': JSON.stringify({ name: 'lib', version: '1.0.0', private: true, scripts: { test: 'ts-scripts test' } }) });
  await execa('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: repo });
  await execa('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'lockfile'], { reject: false });
  await execa('git', ['-C', repo, 'add', 'package-lock.json']);
  await execa('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'lockfile']);
  const tickets = writeTickets(join(dir, 'tickets.json'), 'LIB', [1, 2, 3].map((n) => ({ key: `LIB-${n}`, verify: ['npm test'] })));
  const agent = agentOf(dir);
  const state = join(dir, 'state');
  const run = await runCli(['run', 'LIB-1..LIB-3', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent.spec, '--review', `${agent.spec} a,${agent.spec} b`, '--state', state], { env: env(dir) });
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toContain('preflight: the finish line `npm test` cannot start on main');
  expect(run.stderr).toContain('ts-scripts: not found');
  expect(run.stderr).toContain('No agent was started.');
  expect(callsOf(agent.calls)).toBe(''); // the log exists (the sandbox binds it writable); no agent wrote to it
  const all = events(state);
  expect(all.find((e) => e.type === 'setup' && e.where === 'run')).toMatchObject({ plan: 'setup: npm ci --no-audit --no-fund (detected package-lock.json)' });
  expect(all.filter((e) => e.type === 'agent-start')).toEqual([]);
  expect(JSON.parse(readFileSync(tickets, 'utf8')).tickets.map((t: { state: string }) => t.state)).toEqual(['todo', 'todo', 'todo']);
}, 120_000);

test('a set-up that fails stops the run in the preflight with its output; --no-setup and a bad "setup" key are handled', async () => {
  const dir = tempDir('nightshift-preflight-');
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'SET', [{ key: 'SET-1', verify: ['test -f a.txt'] }]);
  const agent = agentOf(dir);
  const base = ['run', 'SET-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent.spec, '--review', `${agent.spec} a,${agent.spec} b`, '--state', join(dir, 'state')];
  const failed = await runCli([...base, '--setup', 'echo fetching', '--setup', 'echo "the registry is unreachable" >&2; exit 3'], { env: env(dir) });
  expect(failed.exitCode).toBe(2);
  expect(failed.stderr).toContain('preflight: the set-up `echo "the registry is unreachable" >&2; exit 3` failed (exit 3) on main');
  expect(failed.stderr).toContain('the registry is unreachable');
  expect(callsOf(agent.calls)).toBe(''); // the log exists (the sandbox binds it writable); no agent wrote to it
  const both = await runCli([...base, '--setup', 'true', '--no-setup'], { env: env(dir) });
  expect(both.exitCode).toBe(2);
  expect(both.stderr).toContain('--setup and --no-setup contradict each other');
  writeFileSync(join(dir, 'nightshift.config.json'), JSON.stringify({ setup: 'npm ci' }));
  const bad = await runCli([...base, '--config', join(dir, 'nightshift.config.json')], { env: env(dir) });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toMatch(/setup/);
  expect(callsOf(agent.calls)).toBe(''); // the log exists (the sandbox binds it writable); no agent wrote to it
}, 120_000);

test('a repo that needs its set-up reaches done with it paid once: the preflight installs and stores, passes and replays link', async () => {
  const dir = tempDir('nightshift-setup-');
  // the finish line needs a tool the set-up makes (ignored by git, as node_modules is)
  const repo = await makeRepo(join(dir, 'repo'), { '.gitignore': 'deps/\n', 'deps.lock': 'tool v1\n', 'README.md': 'x\n' });
  const setup = "mkdir -p deps/bin && printf '#!/bin/sh\\nexit 0\\n' > deps/bin/check && chmod +x deps/bin/check";
  writeFileSync(join(dir, 'nightshift.config.json'), JSON.stringify({ setup: [setup] }));
  const tickets = writeTickets(join(dir, 'tickets.json'), 'DEP', [
    { key: 'DEP-1', verify: ['deps/bin/check', 'test -f a.txt'] },
    { key: 'DEP-2', verify: ['deps/bin/check', 'test -f b.txt'], blockedBy: ['DEP-1'] },
  ]);
  const agent = agentOf(dir, { 'worker:DEP-1': { files: { 'a.txt': 'a\n' }, commit: true }, 'worker:DEP-2': { files: { 'b.txt': 'b\n' }, commit: true } });
  const state = join(dir, 'state');
  const run = await runCli(['run', 'DEP-1..DEP-2', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent.spec, '--review', `${agent.spec} a,${agent.spec} b`, '--state', state], { cwd: dir, env: env(dir) });
  expect(run.exitCode, run.stderr).toBe(0);
  const all = events(state);
  const setups = all.filter((e) => e.type === 'setup' && e.where !== 'run').map((e) => `${String(e.where)}:${String(e.result)}`);
  expect(setups[0]).toBe('preflight:installed');
  expect(setups.slice(1).every((s) => s.endsWith(':cached')), setups.join(' ')).toBe(true);
  expect(setups.filter((s) => s.startsWith('pass:'))).toHaveLength(2);
  expect(setups.filter((s) => s.startsWith('replay:'))).toHaveLength(2);
  // the base fails the finish lines' own checks: the work to do, not a problem
  expect(all.find((e) => e.type === 'preflight')).toMatchObject({ result: 'ok', results: [{ command: 'deps/bin/check', result: 'passed' }, { command: 'test -f a.txt', result: 'failed', exit: 'exit 1' }, { command: 'test -f b.txt', result: 'failed', exit: 'exit 1' }] });
  expect(all.filter((e) => e.type === 'audit')).toMatchObject([{ round: 1, failed: [], passed: ['DEP-1', 'DEP-2'] }]);
  const again = await runCli(['run', 'DEP-1..DEP-2', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent.spec, '--review', `${agent.spec} a,${agent.spec} b`, '--state', state, '--no-preflight'], { cwd: dir, env: env(dir) });
  expect(again.exitCode).toBe(0);
  expect(events(state).filter((e) => e.type === 'preflight')).toHaveLength(1);
}, 180_000);
