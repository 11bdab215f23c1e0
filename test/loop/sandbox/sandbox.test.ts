// The agent sandbox with real bubblewrap: a worker commits on its own branch, and every direct write it
// tries outside its worktree (the tickets file, the repository's config, hooks and target ref, the home
// dir) fails at the OS level, byte for byte; a daemon it leaves behind dies with the sandbox.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { commandAgent } from '../../../loop/agents/command.ts';
import { withSandbox } from '../../../loop/sandbox/sandbox.ts';
import { openSandbox } from '../../../loop/sandbox/open.ts';
import { bwrapArgv } from '../../../loop/sandbox/bwrap.ts';
import { captureProcess } from '../../../loop/process/subprocess.ts';
import { ROOT } from '../../helpers/cli.ts';
import { countProcesses, git, makeRepo, tempDir } from '../../helpers/repo.ts';

const FORGER = join(ROOT, 'test', 'agents', 'forger.sh');

async function world() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree, 'main');
  const tickets = join(dir, 'tickets.json');
  writeFileSync(tickets, '{"project":"T","tickets":[]}\n');
  const pass = join(dir, 'pass');
  mkdirSync(pass);
  const watched = [tickets, join(repo, '.git', 'config'), join(repo, '.git', 'refs', 'heads', 'main'), join(repo, '.git', 'HEAD')];
  const bytes = () => watched.map((path) => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)'));
  return { dir, repo, worktree, tickets, pass, bytes };
}

/** The forger's daemon (`sleep 299.517`), in any PID namespace this one can see. */
const daemons = () => countProcesses(['sleep', '299.517']);

test('a sandboxed worker commits its branch; its writes to the tickets file, .git/config, hooks, the target ref and home all fail', async () => {
  const w = await world();
  const before = w.bytes();
  const mainBefore = await git(w.repo, 'rev-parse', 'main');
  const hooksBefore = readdirSync(join(w.repo, '.git', 'hooks')).sort();
  const agent = withSandbox(commandAgent('command:forger', [FORGER, w.repo, w.tickets]), { mode: 'on', network: undefined, protect: [w.repo] });
  const outcome = await agent.run({
    role: 'worker', ticket: 'T-1', pass: 1, cwd: w.worktree, promptFile: join(w.pass, 'prompt.md'), resultFile: join(w.pass, 'result.json'),
    logFile: join(w.pass, 'agent.log'), env: { ...process.env, HOME: w.dir }, timeoutMs: 60_000,
  });
  expect(outcome.kind).toBe('finished');
  expect(readFileSync(join(w.worktree, 'attempts.txt'), 'utf8').split('\n').filter(Boolean).map((line) => line.split(':')[0])).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
  expect(w.bytes()).toEqual(before);
  expect(readdirSync(join(w.repo, '.git', 'hooks')).sort()).toEqual(hooksBefore);
  expect(await git(w.repo, 'rev-parse', 'main')).toBe(mainBefore);
  // the branch came back from the agent's view, with its commit, and the worktree's status is clean but for attempts.txt
  expect(await git(w.repo, 'log', '--format=%s', '-1', 'nightshift/T-1')).toBe('the work');
  expect(await git(w.worktree, 'status', '--porcelain')).toBe('?? attempts.txt');
  expect(existsSync(join(w.dir, '.nightshift-sandbox-probe'))).toBe(false);
  expect(daemons()).toBe(0);
  expect(readdirSync(w.pass).filter((name) => name.startsWith('git-view-'))).toEqual([]);
});

test('a sandboxed agent runs at the agents\' niceness, its scheduler autogroup too (where the kernel has them), in a session without a terminal', async () => {
  const w = await world();
  const probe = join(w.dir, 'probe.sh');
  // what the agent sees of its own priority, written into its worktree (writable in the sandbox)
  writeFileSync(probe, '#!/bin/sh\n{ nice; cat /proc/self/autogroup 2>/dev/null || echo no-autogroups; ( exec </dev/tty ) 2>/dev/null && echo tty || echo no-tty; } > seen.txt\n', { mode: 0o755 });
  const agent = withSandbox(commandAgent('command:probe', [probe]), { mode: 'on', network: undefined, protect: [] });
  const outcome = await agent.run({ role: 'reviewer', ticket: 'T-1', pass: 1, cwd: w.worktree, promptFile: join(w.pass, 'p'), resultFile: join(w.pass, 'r.json'), logFile: join(w.pass, 'log'), env: process.env, timeoutMs: 60_000 });
  expect(outcome.kind).toBe('finished');
  const [nice, group, tty] = readFileSync(join(w.worktree, 'seen.txt'), 'utf8').trim().split('\n');
  expect(nice).toBe('10');
  if (existsSync('/proc/self/autogroup')) expect(group?.replace(/^.* nice /, '')).toBe('10');
  else expect(group).toBe('no-autogroups');
  expect(tty).toBe('no-tty');
});

test('a reviewer cannot move the branch: its worktree\'s git dir is read-only, no view is taken back', async () => {
  const w = await world();
  const head = await git(w.repo, 'rev-parse', 'nightshift/T-1');
  const agent = withSandbox(commandAgent('command:forger', [FORGER, w.repo, w.tickets]), { mode: 'on', network: undefined, protect: [] });
  await agent.run({ role: 'reviewer', ticket: 'T-1', pass: 1, cwd: w.worktree, promptFile: join(w.pass, 'p'), resultFile: join(w.pass, 'r.json'), logFile: join(w.pass, 'log'), env: process.env, timeoutMs: 60_000 });
  expect(await git(w.repo, 'rev-parse', 'nightshift/T-1')).toBe(head);
});

test('the safety gate lets a sandboxed agent rewrite history in its own worktree, and nothing outside', async () => {
  const w = await world();
  const hook = (command: string, sandboxed: boolean) => {
    const input = JSON.stringify({ session_id: 's', transcript_path: '/dev/null', cwd: w.worktree, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command } });
    const file = join(w.dir, 'hook-input.json');
    writeFileSync(file, input);
    const argv = ['-c', `"${process.execPath}" "${join(ROOT, 'loop', 'main.ts')}" hook pre-tool-use < "${file}"`];
    const env = { ...process.env, NIGHTSHIFT_WORKTREE: w.worktree, NIGHTSHIFT_TARGET_BRANCH: 'main', NIGHTSHIFT_TICKET: 'T-1', NIGHTSHIFT_ROLE: 'worker' };
    const start = sandboxed
      ? bwrapArgv({ cwd: w.worktree, writable: [w.worktree], overlays: [], hiddenDirs: [], hiddenFiles: [], network: 'none' }, '/bin/sh', argv)
      : { file: '/bin/sh', args: argv };
    return captureProcess(start.file, start.args, { cwd: w.worktree, env: sandboxed ? env : { ...env, NIGHTSHIFT_SANDBOXED: 'bwrap' } }).then((r) => r.exitCode);
  };
  // outside the sandbox the marker alone changes nothing
  expect(await hook('git reflog expire --all', false)).toBe(2);
  expect(await hook('git checkout main && git reset --hard HEAD~1', false)).toBe(2);
  expect(await hook('git reflog expire --all', true)).toBe(0);
  expect(await hook('git checkout main && git reset --hard HEAD~1', true)).toBe(0);
  expect(await hook('git reset --hard && git clean -fdx', true)).toBe(0);
  expect(await hook(`git -C ${w.repo} reset --hard HEAD~1`, true)).toBe(2);
  expect(await hook('git push --force origin main', true)).toBe(2);
  expect(await hook(`rm -rf ${w.repo}`, true)).toBe(2);
});

test('without bubblewrap the run stops before anything starts and names the package; --sandbox off does not ask for it', async () => {
  const options = { sandbox: 'on' as const, agentNetwork: undefined, repo: '/', cwd: '/', tickets: undefined };
  await expect(openSandbox(options, { ...process.env, NIGHTSHIFT_BWRAP_BIN: '/nonexistent/bwrap' })).rejects.toThrow(/apt-get install bubblewrap.*--sandbox off/s);
  const off = await openSandbox({ ...options, sandbox: 'off' }, { ...process.env, NIGHTSHIFT_BWRAP_BIN: '/nonexistent/bwrap' });
  expect(off.event.mode).toBe('off');
});

test('network: host reaches the host, none reaches nothing, proxy only the allow-list', async () => {
  const server = createServer((_req, res) => res.end('hello-from-host'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const probe = async (network: 'host' | 'none' | 'proxy') => {
      const w = await world();
      const agent = withSandbox(commandAgent('command:net-probe', [join(ROOT, 'test', 'agents', 'net-probe.sh'), String(port)]), { mode: 'on', network, protect: [] });
      await agent.run({ role: 'worker', ticket: 'T-1', pass: 1, cwd: w.worktree, promptFile: join(w.pass, 'p'), resultFile: join(w.pass, 'r.json'), logFile: join(w.pass, 'log'), env: { ...process.env, NIGHTSHIFT_PROXY_ALLOW: '127.0.0.1' }, timeoutMs: 60_000 });
      const log = readFileSync(join(w.pass, 'log'), 'utf8');
      return `${readFileSync(join(w.worktree, 'net.txt'), 'utf8').trim()}${log.includes("the sandbox's proxy refused localhost") ? ' (proxy refused localhost)' : ''}`;
    };
    expect(await probe('host')).toBe('direct=hello-from-host allowed=no-proxy denied=no-proxy');
    expect(await probe('none')).toBe('direct=failed allowed=no-proxy denied=no-proxy');
    expect(await probe('proxy')).toBe('direct=failed allowed=hello-from-host denied=failed (proxy refused localhost)');
  } finally {
    server.close();
  }
});
