// `nightshift worker --queue redis://HOST:PORT [--slots N] [--work-dir DIR] [--sandbox on|off] [--name NAME]`: runs
// pass jobs until SIGINT or SIGTERM, then stops taking jobs and waits for the running ones.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../../trackers/errors.ts';
import { startWorker } from './worker.ts';

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

export const WORKER_USAGE = `usage: nightshift worker --queue redis://HOST:PORT [--slots N] [--work-dir DIR] [--sandbox on|off] [--name NAME]

Takes the passes a loop started with --executor queue --queue <the same URL> sends, up to N at once
(default 1): fetches the ticket branch, runs the agent in its sandbox in a worktree under DIR (default
./nightshift-work) and sends the branch back. Review, merge and the oracle stay with the loop.
--name: how this worker is named in its events and the loop's (default host:pid).
NIGHTSHIFT_QUEUE_LEASE_MS: how long a job stays with a worker that stopped answering (default 30000).
NIGHTSHIFT_QUEUE_PROGRESS_MS: how often the agent's new commits are published, so a job taken again
after this worker dies resumes from them (default 5000; 0: never).`;

export async function runWorkerCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { queue: { type: 'string' }, slots: { type: 'string' }, 'work-dir': { type: 'string' }, sandbox: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout(`${WORKER_USAGE}\n`);
    return 0;
  }
  if (!values.queue || !/^rediss?:\/\/[^/]/.test(values.queue)) throw new UsageError('bad-flag', `--queue redis://HOST:PORT is required (the Redis the loop's --queue names).\n\n${WORKER_USAGE}`);
  const slots = Number(values.slots ?? '1');
  if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new UsageError('bad-flag', `--slots must be a whole number from 1 to 64, not "${values.slots}".`);
  const sandbox = values.sandbox ?? 'on';
  if (sandbox !== 'on' && sandbox !== 'off') throw new UsageError('bad-flag', `--sandbox must be on or off, not "${sandbox}".`);
  const leaseMs = Number(io.env.NIGHTSHIFT_QUEUE_LEASE_MS ?? '30000');
  if (!Number.isFinite(leaseMs) || leaseMs < 500) throw new UsageError('bad-env', `NIGHTSHIFT_QUEUE_LEASE_MS must be at least 500 (ms), not "${io.env.NIGHTSHIFT_QUEUE_LEASE_MS}".`);
  if (values.name !== undefined && !/^[\w.@:-]{1,64}$/.test(values.name)) throw new UsageError('bad-flag', `--name must be 1 to 64 letters, digits or . _ - @ :, not "${values.name}".`);
  const progress = io.env.NIGHTSHIFT_QUEUE_PROGRESS_MS;
  if (progress !== undefined && progress !== '' && !(Number.isInteger(Number(progress)) && Number(progress) >= 0)) throw new UsageError('bad-env', `NIGHTSHIFT_QUEUE_PROGRESS_MS must be a whole number of ms (0: off), not "${progress}".`);
  const worker = await startWorker({ queue: values.queue, slots, name: values.name, workDir: resolve(io.cwd, values['work-dir'] ?? 'nightshift-work'), sandbox, leaseMs, env: io.env, say: (line) => io.stdout(`${line}\n`) });
  const signal = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  io.stderr(`nightshift worker: ${signal}: finishing the running passes, taking no more\n`);
  await worker.close();
  return 0;
}
