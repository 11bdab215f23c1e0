// The spawn helper where Python 3 runs (loop/process/spawner-helper.py): the shared cases of
// spawner-cases.ts, then what only the Python helper has: its framing whatever the chunking, output and
// input larger than a pipe's buffer with multi-byte characters whole, and a Python that does not start
// handing its requests to a node helper, so no command fails for it.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
console.log(JSON.stringify([a.stdout, b.stdout, long.kind]));`;
  const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, NIGHTSHIFT_SPAWN_HELPER: '' } });
  const [one, two, long] = JSON.parse(run.stdout.trim()) as string[];
  expect([one?.startsWith('one\n'), two, long]).toEqual([true, 'two\n', 'exited']);
  expect(one).toMatch(/spawner-child\.(mjs|ts)/);
  expect(readFileSync(log, 'utf8')).toBe('long\n');
});
