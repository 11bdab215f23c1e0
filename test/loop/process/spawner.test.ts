// The spawn helper where Python 3 runs (loop/process/spawner-helper.py): the shared cases of
// spawner-cases.ts, then what only the Python helper has: its framing whatever the chunking, output and
// input larger than a pipe's buffer with multi-byte characters whole, a Python that does not start
// handing its requests to a node helper, so no command fails for it, and its lanes: commands with a
// niceness start from a process of that nice in a session of its own, no shell per start.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { encodeFrame, FrameReader } from '../../../loop/process/helper-process.ts';
import { captureProcess } from '../../../loop/process/subprocess.ts';
import { ROOT } from '../../helpers/cli.ts';
import { spawnerCases } from './spawner-cases.ts';

spawnerCases('python');

test('frames come back whole whatever the chunking, multi-byte characters and empty fields included', () => {
  const messages = [['R', '1', '0', 'é ✓ out', ''], ['T', '2'], ['X', '3', '', 'SIGTERM']];
  const bytes = Buffer.concat(messages.map((m) => encodeFrame(m)));
  for (const size of [1, 2, 3, 7, bytes.length]) {
    const reader = new FrameReader();
    const got: string[][] = [];
    for (let at = 0; at < bytes.length; at += size) got.push(...reader.push(bytes.subarray(at, at + size)).map((m) => m.map((f) => f.toString('utf8'))));
    expect(got).toEqual(messages);
  }
  expect(() => new FrameReader().push(Buffer.from('2:R,1x'))).toThrow(/malformed/);
});

test('output and input larger than a pipe buffer pass whole, multi-byte characters included', async () => {
  const input = 'ü✓'.repeat(200_000); // 1 MB of UTF-8
  const result = await captureProcess('sh', ['-c', 'cat; head -c 300000 /dev/zero | tr "\\0" "x" >&2'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, input });
  expect(result.exitCode).toBe(0);
  expect(result.stdout === input).toBe(true);
  expect(result.stderr === 'x'.repeat(300_000)).toBe(true);
});

test('a Python that does not start hands its requests to a node helper: every command still runs once', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
  writeFileSync(join(bin, 'python3'), '#!/bin/sh\necho broken python >&2\nexit 2\n');
  chmodSync(join(bin, 'python3'), 0o755);
  const log = join(bin, 'long.log');
  const script = `import { captureProcess, runProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
const env = { PATH: process.env.PATH };
const [a, b] = await Promise.all([captureProcess('sh', ['-c', 'echo one; tr "\\\\0" " " < /proc/$PPID/cmdline'], { cwd: '/', env }), captureProcess('sh', ['-c', 'echo two'], { cwd: '/', env })]);
const long = await runProcess({ file: 'sh', args: ['-c', 'echo long'], cwd: '/', env, logFile: ${JSON.stringify(log)} });
await runProcess({ file: 'sh', args: ['-c', 'nice'], cwd: '/', env, logFile: ${JSON.stringify(log)}, niceness: 7 });
console.log(JSON.stringify([a.stdout, b.stdout, long.kind]));`;
  const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, NIGHTSHIFT_SPAWN_HELPER: '' } });
  const [one, two, long] = JSON.parse(run.stdout.trim()) as string[];
  expect([one?.startsWith('one\n'), two, long]).toEqual([true, 'two\n', 'exited']);
  expect(one).toMatch(/spawner-child\.(mjs|ts)/);
  // the node helper has no lanes: a command with a niceness reaches it through the shell that sets it
  expect(readFileSync(log, 'utf8')).toBe('long\n7\n');
});

/** What a command the lane started sees of itself: session, process group, nice, autogroup, terminal. */
const SELF = 'read -r s < /proc/self/stat; set -- ${s##*) }; echo "$$ $4 $3 $(nice) $(cat /proc/self/autogroup 2>/dev/null | tr -d \' \' || echo none) $( (exec </dev/tty) 2>/dev/null && echo tty || echo no-tty) $PPID"';

/** Lanes start commands in a process group (Popen's process_group): Python 3.11 and later; before, each command sets its own session's nice. */
const lanes = spawnSync('python3', ['-c', 'import sys; sys.exit(sys.version_info < (3, 11))']).status === 0;

test.skipIf(!lanes)('commands with a niceness start from the lane of that nice: their own process group in its session, the nice and autogroup from their first instruction, no terminal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
  const script = `import { runProcess, spawnHelperCpu } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
import { stopSpawnHelper } from ${JSON.stringify(`${ROOT}loop/process/spawner.ts`)};
const env = { PATH: process.env.PATH };
const log = (i) => ${JSON.stringify(dir)} + '/' + i + '.log';
const runs = await Promise.all([0, 1, 2, 3, 4].map((i) => runProcess({ file: 'sh', args: ['-c', ${JSON.stringify(SELF)}], cwd: '/', env, logFile: log(i), kind: 'agent:worker', niceness: 10 })));
await runProcess({ file: 'sh', args: ['-c', ${JSON.stringify(SELF)}], cwd: '/', env, logFile: log(5), kind: 'verify' });
const cpu = await spawnHelperCpu();
await stopSpawnHelper();
console.log(JSON.stringify({ runs: runs.map((r) => r.kind), cpu, helper: process.pid }));`;
  const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, reject: false });
  expect(run.stderr).toBe('');
  const { runs, cpu } = JSON.parse(run.stdout) as { runs: string[]; cpu: Record<string, { count: number }> };
  expect(runs).toEqual(['exited', 'exited', 'exited', 'exited', 'exited']);
  expect(cpu['agent:worker']?.count).toBe(5);
  expect(cpu.verify?.count).toBe(1);
  const seen = [0, 1, 2, 3, 4, 5].map((i) => readFileSync(join(dir, `${i}.log`), 'utf8').trim().split(' '));
  const agents = seen.slice(0, 5);
  const verify = seen[5] ?? [];
  for (const [pid, session, group, nice, , tty] of agents) {
    expect(group).toBe(pid); // a process group of its own: the loop signals it as a group
    expect(session).not.toBe(pid); // in the lane's session, not one of its own
    expect(nice).toBe('10');
    expect(tty).toBe('no-tty');
  }
  // one lane: one session, one parent, one autogroup at nice 10 for all five
  expect(new Set(agents.map((a) => a[1])).size).toBe(1);
  expect(new Set(agents.map((a) => a[6])).size).toBe(1);
  if (existsSync('/proc/self/autogroup')) {
    expect(new Set(agents.map((a) => a[4])).size).toBe(1);
    expect(agents[0]?.[4]).toMatch(/nice10$/);
    expect(verify[4]).toMatch(/nice0$/);
  }
  // a command without a niceness keeps a session of its own, at the loop's nice
  expect([verify[1], verify[3]]).toEqual([verify[0], '0']);
  expect(agents[0]?.[1]).not.toBe(verify[1]);
});

test.skipIf(!lanes)('a lane that ends stops what it started, its whole session (reported killed, never a success); the next command with a niceness still gets it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
  // a child that leaves its parent's process group (a group of its own), still in the lane's session; it
  // says so over a FIFO, which the first command reads before it kills the lane
  const ready = join(dir, 'ready');
  execFileSync('mkfifo', [ready]);
  writeFileSync(join(dir, 'away.pl'), `setpgrp(0, 0);\nopen(my $f, '>', ${JSON.stringify(join(dir, 'away.log'))}) or die;\nprint $f $$;\nclose $f;\nopen(my $r, '>', ${JSON.stringify(ready)}) or die;\nprint $r "away\\n";\nclose $r;\nsleep 30;\n`);
  const script = `import { runProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
import { stopSpawnHelper } from ${JSON.stringify(`${ROOT}loop/process/spawner.ts`)};
const env = { PATH: process.env.PATH };
const log = (i) => ${JSON.stringify(dir)} + '/' + i + '.log';
// the first kills its lane (its parent) and would then succeed; its sibling sleeps on in the same lane,
// with a child in a process group of its own
const [killer, sibling] = await Promise.all([
  runProcess({ file: 'sh', args: ['-c', 'read x < ' + ${JSON.stringify(ready)} + '; kill -9 $PPID; sleep 5; exit 0'], cwd: '/', env, logFile: log(0), kind: 'agent:worker', niceness: 10, timeoutMs: 20000 }),
  runProcess({ file: 'sh', args: ['-c', 'echo $$ > ' + log('pid') + '; perl ' + ${JSON.stringify(join(dir, 'away.pl'))} + ' & sleep 5; exit 0'], cwd: '/', env, logFile: log(1), kind: 'agent:worker', niceness: 10, timeoutMs: 20000 }),
]);
const after = await runProcess({ file: 'sh', args: ['-c', 'nice'], cwd: '/', env, logFile: log(2), kind: 'agent:worker', niceness: 10 });
await stopSpawnHelper();
console.log(JSON.stringify({ killer, sibling, after: after.kind }));`;
  const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, reject: false });
  expect(run.stderr).toBe('');
  const { killer, sibling, after } = JSON.parse(run.stdout) as { killer: { kind: string }; sibling: { kind: string }; after: string };
  // stopped when the lane ended: left alone, both would have exited 0 after their 5 s
  expect([killer.kind, sibling.kind]).toEqual(['killed', 'killed']);
  // gone, or a zombie its new parent (init) has yet to reap: the sibling, and its child outside its group
  const state = (pid: number) => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone');
  for (const file of ['pid.log', 'away.log']) expect(['gone', 'Z']).toContain(state(Number(readFileSync(join(dir, file), 'utf8'))));
  expect(after).toBe('exited');
  expect(readFileSync(join(dir, '2.log'), 'utf8').trim()).toBe('10');
});
