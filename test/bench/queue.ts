// `npm run bench -- --queue-compare [--tickets N] [--seconds S] [--sandbox on|off]`: one batch run twice
// in one bench, each with 6 slots: `--executor local --workers 6`, then `--executor queue` through three
// `nightshift worker` processes of 2 slots each (separate work dirs) on a real redis-server, and each run's
// ratio to the batch's lower bound side by side.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { startRedis } from '../helpers/redis.ts';
import { tempDir } from '../helpers/repo.ts';

type Run = (extraArgs: string[]) => Promise<{ report: Record<string, unknown>; exitCode: number | null }>;

const SLOTS = 2;
const WORKERS = 3;
const SHOWN = ['exit_code', 'done_tickets', 'passes', 'makespan_s', 'bound_s', 'ratio', 'overhead_ms_p50', 'overhead_ms_p95', 'pickup_ms_p50', 'pickup_ms_p95', 'loop_cpu_ms_per_ticket'];

export async function runQueueCompare(loopMain: string, sandbox: 'on' | 'off', run: Run): Promise<{ report: Record<string, unknown>; exitCode: number }> {
  const local = await run([]);
  const redis = await startRedis();
  const dirs = Array.from({ length: WORKERS }, (_, i) => join(tempDir('nightshift-bench-machine-'), `work-${i + 1}`));
  const workers = dirs.map((dir) => execa(process.execPath, [loopMain, 'worker', '--queue', redis.url, '--slots', String(SLOTS), '--work-dir', dir, '--sandbox', sandbox], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }));
  try {
    const deadline = Date.now() + 30_000;
    while (!dirs.every((dir) => existsSync(join(dir, 'worker.jsonl')) && readFileSync(join(dir, 'worker.jsonl'), 'utf8').includes('"worker-start"'))) {
      if (Date.now() > deadline) throw new Error('the bench\'s workers did not start within 30 s');
      await sleep(50);
    }
    const queue = await run(['--executor', 'queue', '--queue', redis.url]);
    const pick = (report: Record<string, unknown>) => Object.fromEntries(SHOWN.map((key) => [key, report[key]]));
    const ratio = (report: Record<string, unknown>) => Number(report.ratio);
    return {
      report: {
        tickets: local.report.tickets, seed: local.report.seed, sandbox,
        local: { executor: 'local', workers: WORKERS * SLOTS, ...pick(local.report) },
        queue: { executor: 'queue', workers: `${WORKERS} x ${SLOTS} slots`, ...pick(queue.report) },
        queue_ratio_over_local_ratio: Number((ratio(queue.report) / ratio(local.report)).toFixed(3)),
      },
      exitCode: local.exitCode === 0 && queue.exitCode === 0 ? 0 : 1,
    };
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers);
    await redis.stop();
  }
}
