// A worker that loses its lease (paused past it: a machine asleep or cut off) while its agent runs: the
// job goes to another worker, and when the first wakes its lease renewal fails, so it kills its own agent
// rather than run on beside the other; the pass's answer is the other worker's, and only it ends the job.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openAgent } from '../../../loop/agents/open.ts';
import { openGit } from '../../../loop/git/git.ts';
import { openQueueExecutor } from '../../../loop/queue/remote-agent.ts';
import { CLI, ROOT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';
import { until, workerEvents } from '../../helpers/queue.ts';
import type { TestRedis } from '../../helpers/redis.ts';

type WorkerEvent = { ts: string; type: string; pid: number; worker: string; job?: string; ticket?: string };

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});



function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a worker paused past its lease kills its agent when it wakes; the other worker\'s answer is the pass\'s', async () => {
  const dirs = [1, 2].map((n) => join(tempDir('nightshift-machine-'), `work-${n}`));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NIGHTSHIFT_QUEUE_LEASE_MS: '1000' };
  const workers = dirs.map((dir) => execa(process.execPath, [CLI, 'worker', '--queue', redis.url, '--work-dir', dir, '--sandbox', 'off'], { env, extendEnv: false, reject: false, stdin: 'ignore' }));
  const pids = await Promise.all(dirs.map((dir) => until('a worker to start', 30_000, () => workerEvents<WorkerEvent>(dir).find((e) => e.type === 'worker-start')?.pid)));
  const repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'hello\n' });
  const executor = await openQueueExecutor(redis.url, { repo: openGit(repo), repoDir: repo, stateDir: tempDir(), log: { emit: () => undefined } });
  const marks = tempDir('nightshift-marks-');
  let paused = 0;
  try {
    const tree = join(tempDir('nightshift-wt-'), 'L-1');
    await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/L-1', tree, 'main');
    const pass = tempDir('nightshift-pass-');
    writeFileSync(join(pass, 'prompt.md'), '# Ticket L-1: nothing the demo agent knows\n');
    const agent = executor.wrap(openAgent(`command:${process.execPath} ${ROOT}test/agents/stall-once.mjs ${marks} L-1 ${ROOT}loop/demo/agent.mjs`, ROOT));
    const running = agent.run({ role: 'worker', ticket: 'L-1', pass: 1, cwd: tree, promptFile: join(pass, 'prompt.md'), resultFile: join(pass, 'result.json'), logFile: join(pass, 'agent.log'), env: { PATH: process.env.PATH ?? '' }, extraEnv: { NIGHTSHIFT_TARGET_BRANCH: 'main' }, timeoutMs: 60_000 });
    const stalledPid = Number(await until('the first agent to start', 30_000, () => (existsSync(join(marks, 'stalled', 'pid')) ? readFileSync(join(marks, 'stalled', 'pid'), 'utf8') : undefined)));
    const holder = await until('a worker to hold the job', 10_000, () => dirs.findIndex((dir) => workerEvents<WorkerEvent>(dir).some((e) => e.type === 'job-start')) + 1 || undefined) - 1;
    const other = 1 - holder;
    paused = pids[holder] ?? 0;
    process.kill(paused, 'SIGSTOP');
    await until('the other worker to take the job', 20_000, () => workerEvents<WorkerEvent>(dirs[other] ?? '').find((e) => e.type === 'job-start'));
    process.kill(paused, 'SIGCONT');
    paused = 0;
    const outcome = await running;
    expect(outcome.kind).toBe('finished');
    await until('the woken worker to find its lease lost', 10_000, () => workerEvents<WorkerEvent>(dirs[holder] ?? '').find((e) => e.type === 'lease-lost'));
    await until('its agent to be killed', 10_000, () => (isAlive(stalledPid) ? undefined : true));
    expect(workerEvents<WorkerEvent>(dirs[holder] ?? '').filter((e) => e.type === 'job-end')).toEqual([]);
    expect(workerEvents<WorkerEvent>(dirs[other] ?? '').filter((e) => e.type === 'job-end')).toHaveLength(1);
    expect(existsSync(join(marks, 'release'))).toBe(false);
  } finally {
    if (paused) process.kill(paused, 'SIGCONT');
    writeFileSync(join(marks, 'release'), '');
    await executor.close();
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    await Promise.all(workers);
  }
});
