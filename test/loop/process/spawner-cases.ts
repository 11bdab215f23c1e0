// The spawn helper's behaviour, the same for both kinds of helper (loop/process/helper-process.ts): short
// commands give the same results as running them in the loop (output, exit code, stdin, a missing
// program); long ones run in their own process group, limited and aborted as a group; the helper never
// keeps a finished process alive; and when the helper keeps dying, both kinds run in the loop itself
// (through execa) with the same results. spawner.test.ts runs them on the Python helper, spawner-node.test.ts
// on the node one (NIGHTSHIFT_SPAWN_HELPER=node, which the scripts below inherit).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { captureProcess, runProcess } from '../../../loop/process/subprocess.ts';
import { ROOT } from '../../helpers/cli.ts';

export function spawnerCases(helper: 'python' | 'node'): void {
  const env = { PATH: process.env.PATH ?? '' };

  test(`the helper is the ${helper} one`, async () => {
    const parent = (await captureProcess('sh', ['-c', 'tr "\\0" " " < /proc/$PPID/cmdline'], { cwd: ROOT, env })).stdout;
    expect(parent).toMatch(helper === 'python' ? /python3? .*spawner-helper\.py/ : /node .*spawner-child\.(mjs|ts)/);
  });

  test('output, exit codes and stdin come back as from a direct spawn', async () => {
    expect(await captureProcess('sh', ['-c', 'printf out; printf err >&2; exit 3'], { cwd: ROOT, env })).toEqual({ exitCode: 3, stdout: 'out', stderr: 'err' });
    expect(await captureProcess('sh', ['-c', 'cat; echo " $X"'], { cwd: ROOT, env: { ...env, X: 'env' }, input: 'in' })).toEqual({ exitCode: 0, stdout: 'in env\n', stderr: '' });
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => captureProcess('sh', ['-c', `echo ${i}`], { cwd: ROOT, env })));
    expect(many.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
  });

  test('a missing program is exit -1 with the reason', async () => {
    const result = await captureProcess('no-such-program-nightshift', [], { cwd: ROOT, env });
    expect(result.exitCode).toBe(-1);
    expect(result.stderr).toMatch(/ENOENT/);
  });

  test('a process that used the helper exits on its own when its work is done', async () => {
    const script = `import { captureProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
  const r = await captureProcess('git', ['--version'], { cwd: '/', env: { PATH: process.env.PATH } });
  console.log(r.exitCode, r.stdout.startsWith('git version'));`;
    const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false });
    expect(run.timedOut).toBe(false);
    expect(run.stdout.trim()).toBe('0 true');
  });

  test('stopping the helper waits for it to exit; the next command starts a new one', async () => {
    const script = `import { captureProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
  import { stopSpawnHelper } from ${JSON.stringify(`${ROOT}loop/process/spawner.ts`)};
  const helpers = async () => (await captureProcess('sh', ['-c', 'echo $PPID'], { cwd: '/', env: { PATH: process.env.PATH } })).stdout.trim();
  const first = await helpers();
  await stopSpawnHelper();
  let alive = true;
  try { process.kill(Number(first), 0); } catch { alive = false; }
  const second = await helpers();
  await stopSpawnHelper();
  console.log(alive, first !== second && second !== String(process.pid));`;
    const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('false true');
  });

  test('a long command runs in its own process group with its output in its log file, stopped by its wall-clock limit or an abort', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
    const log = join(dir, 'out.log');
    let pid = 0;
    const ok = await runProcess({ file: 'sh', args: ['-c', 'echo out; echo err >&2; ps -o pgid= -p $$; exit 4'], cwd: dir, env, logFile: log, onSpawn: (p) => { pid = p; } });
    expect(ok).toMatchObject({ kind: 'exited', exitCode: 4 });
    const [out, err, pgid] = readFileSync(log, 'utf8').trim().split('\n');
    expect([out, err, Number(pgid)]).toEqual(['out', 'err', pid]);
    expect(await runProcess({ file: 'no-such-program-nightshift', args: [], cwd: dir, env, logFile: log })).toMatchObject({ kind: 'spawn-failed' });
    // the limit stops the group (test/loop/run/crash.test.ts shows a grandchild ignoring SIGTERM killed with it)
    const limited = await runProcess({ file: 'sh', args: ['-c', 'sleep 60 & wait'], cwd: dir, env, logFile: log, timeoutMs: 300 });
    expect(limited.kind).toBe('timed-out');
    const controller = new AbortController();
    const aborted = runProcess({ file: 'sleep', args: ['60'], cwd: dir, env, logFile: log, signal: controller.signal, onSpawn: () => controller.abort() });
    expect((await aborted).kind).toBe('aborted');
  });

  test('a long command asked for behind a burst of short ones is started ahead of most of them', async () => {
    // an agent started just after another's end must not wait behind that landing's git commands: the
    // helper forks long commands first (pids grow in fork order)
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
    const log = join(dir, 'long.log');
    await captureProcess('true', [], { cwd: dir, env }); // the helper is up
    const shorts = Array.from({ length: 30 }, () => captureProcess('sh', ['-c', 'echo $$'], { cwd: dir, env }));
    const long = runProcess({ file: 'sh', args: ['-c', 'echo $$'], cwd: dir, env, logFile: log });
    const shortPids = (await Promise.all(shorts)).map((r) => Number(r.stdout.trim()));
    expect(await long).toMatchObject({ kind: 'exited', exitCode: 0 });
    const longPid = Number(readFileSync(log, 'utf8').trim());
    // forked after the long one: a later pid, counted around the wrap at pid_max (a long suite reaches it)
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const forkedAfter = (pid: number) => (pid - longPid + pidMax) % pidMax < pidMax / 2;
    expect(shortPids.filter(forkedAfter).length).toBeGreaterThanOrEqual(20);
  });

  test('a command in flight when the helper is stopped fails instead of hanging, and a new helper runs the next one', async () => {
    const script = `import { captureProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
  import { stopSpawnHelper } from ${JSON.stringify(`${ROOT}loop/process/spawner.ts`)};
  const env = { PATH: process.env.PATH };
  await captureProcess('true', [], { cwd: '/', env });
  const inFlight = captureProcess('sleep', ['1'], { cwd: '/', env });
  await stopSpawnHelper();
  const lost = await inFlight;
  const next = await captureProcess('sh', ['-c', 'echo again'], { cwd: '/', env });
  console.log(lost.exitCode, JSON.stringify(lost.stderr), next.stdout.trim());`;
    const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('-1 "the spawn helper exited while the command ran; its outcome is unknown" again');
  });

  test('a helper that keeps dying is given up on: short and long commands then run in the loop itself, with the same results', async () => {
    // each of the first three commands kills the helper that runs it (its parent); the fourth finds the
    // helper given up on and runs here, through execa
    const script = `import { captureProcess, runProcess } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
  import { readFileSync } from 'node:fs';
  const env = { PATH: process.env.PATH };
  const lost = [];
  for (let i = 0; i < 3; i++) lost.push((await captureProcess('sh', ['-c', 'kill -9 $PPID'], { cwd: '/', env })).exitCode);
  const parent = (await captureProcess('sh', ['-c', 'echo $PPID'], { cwd: '/', env })).stdout.trim();
  const short = await captureProcess('sh', ['-c', 'cat; echo " $X" >&2; exit 3'], { cwd: '/', env: { ...env, X: 'env' }, input: 'in' });
  const log = process.argv[1];
  let pid = 0;
  const long = await runProcess({ file: 'sh', args: ['-c', 'echo out; ps -o pgid= -p $$; exit 4'], cwd: '/', env, logFile: log, onSpawn: (p) => { pid = p; } });
  const [out, pgid] = readFileSync(log, 'utf8').trim().split('\\n');
  const limited = await runProcess({ file: 'sh', args: ['-c', 'sleep 60 & wait'], cwd: '/', env, logFile: log, timeoutMs: 300 });
  console.log(JSON.stringify({ lost, here: parent === String(process.pid), short, long: long.kind + ':' + long.exitCode, out, ownGroup: Number(pgid) === pid, limited: limited.kind }));`;
    const log = join(mkdtempSync(join(tmpdir(), 'nightshift-spawner-')), 'long.log');
    const run = await execa(process.execPath, ['--input-type=module', '-e', script, log], { timeout: 30_000, reject: false });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual({
      lost: [-1, -1, -1], here: true, short: { exitCode: 3, stdout: 'in', stderr: ' env\n' }, long: 'exited:4', out: 'out', ownGroup: true, limited: 'timed-out',
    });
  });

  test('the helper counts commands per kind with the CPU they used; a long command runs at the niceness asked, its autogroup too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
    const script = `import { captureProcess, runProcess, spawnHelperCpu, AGENT_NICENESS } from ${JSON.stringify(`${ROOT}loop/process/subprocess.ts`)};
  import { stopSpawnHelper } from ${JSON.stringify(`${ROOT}loop/process/spawner.ts`)};
  import { getPriority } from 'node:os';
  const env = { PATH: process.env.PATH };
  for (let i = 0; i < 5; i++) await captureProcess('true', [], { cwd: '/', env, kind: 'idle' });
  await captureProcess('sh', ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'], { cwd: '/', env, kind: 'burn' });
  await captureProcess('true', [], { cwd: '/', env });
  const log = ${JSON.stringify(join(dir, 'nice.log'))};
  const group = 'nice; cat /proc/self/autogroup 2>/dev/null || echo no-autogroups';
  await runProcess({ file: 'sh', args: ['-c', group], cwd: '/', env, logFile: log, kind: 'agent:worker', niceness: AGENT_NICENESS });
  await runProcess({ file: 'sh', args: ['-c', group], cwd: '/', env, logFile: log, kind: 'verify' });
  const cpu = await spawnHelperCpu();
  await stopSpawnHelper();
  console.log(JSON.stringify({ cpu, own: getPriority() }));`;
    const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, reject: false });
    expect(run.stderr).toBe('');
    const { cpu, own } = JSON.parse(run.stdout) as { cpu: Record<string, { count: number; cpu_ms: number }>; own: number };
    expect(Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v.count]))).toEqual({ idle: 5, burn: 1, other: 1, 'agent:worker': 1, verify: 1 });
    // a shell loop of 300,000 steps takes a good part of a second of CPU; five `true`s take next to none
    expect(cpu.burn?.cpu_ms).toBeGreaterThan(50);
    expect(cpu.burn?.cpu_ms).toBeGreaterThan(cpu.idle?.cpu_ms ?? 0);
    const [agentNice, agentGroup, verifyNice, verifyGroup] = readFileSync(join(dir, 'nice.log'), 'utf8').trim().split('\n');
    expect(Number(agentNice)).toBe(Math.min(19, own + 10));
    expect(Number(verifyNice)).toBe(own);
    // where the kernel has autogroups, the agent's own session's group runs at nice 10 from its first
    // instruction; a command without a niceness keeps its new group's default
    if (existsSync('/proc/self/autogroup')) expect([agentGroup?.replace(/^.* nice /, ''), verifyGroup?.replace(/^.* nice /, '')]).toEqual(['10', '0']);
    else expect([agentGroup, verifyGroup]).toEqual(['no-autogroups', 'no-autogroups']);
  });
}
