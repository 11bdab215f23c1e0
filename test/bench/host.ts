// What the host is, measured beside the bench's figures so they can travel between machines: a fixed
// CPU loop (sha256 over 1 MiB, 64 times), a process spawn (`true`), a git spawn (`git --version`) and a
// node start (`node -e 0`), each the median of several; the cores and the load average before and
// after. Figures divided by the CPU loop's time compare across hosts better than raw milliseconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { percentile } from './measure.ts';

export type HostCalibration = {
  cores: number;
  cpu_model: string;
  /** One fixed CPU loop (sha256 of 1 MiB, 64 times), median of 5, ms. */
  cpu_loop_ms: number;
  spawn_true_ms: number;
  spawn_git_ms: number;
  spawn_node_ms: number;
  load_average: number[];
};

function timed(fn: () => void, times: number): number {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return Number(percentile(samples, 50).toFixed(2));
}

const MIB = Buffer.alloc(1 << 20, 7);

export function calibrateHost(): HostCalibration {
  return {
    cores: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? 'unknown',
    cpu_loop_ms: timed(() => { for (let i = 0; i < 64; i++) createHash('sha256').update(MIB).digest(); }, 5),
    spawn_true_ms: timed(() => spawnSync('true'), 20),
    spawn_git_ms: timed(() => spawnSync('git', ['--version']), 20),
    spawn_node_ms: timed(() => spawnSync(process.execPath, ['-e', '0']), 5),
    load_average: loadavg().map((n) => Number(n.toFixed(2))),
  };
}

if (process.argv[1]?.endsWith('host.ts')) process.stdout.write(`${JSON.stringify(calibrateHost())}\n`);
