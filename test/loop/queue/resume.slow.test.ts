// A redelivered pass resumes from the dead worker's last commits: the demo batch through the real
// `nightshift run --executor queue` and two real `nightshift worker` processes (sandbox on, so the agent
// commits into its private git view) on a real Redis. The agent of one ticket commits half of its work and
// stalls; once its worker has published that commit, the worker is SIGKILLed. The job goes to the other
// worker, whose worktree starts at that commit; the loop records where it resumed from and which worker
// ran the pass, the batch ends done, every ticket is merged once and the half commit is on main.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { setupDemo } from '../../../loop/demo/setup.ts';
import { CLI, ROOT, runCli } from '../../helpers/cli.ts';
import { git, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';
import { readJsonl, stopWorkers, until, workerEvents } from '../../helpers/queue.ts';
import type { TestRedis } from '../../helpers/redis.ts';

type Event = { ts: string; type: string; pid?: number; job?: string; ticket?: string; pass?: number; head?: string; from?: string; worker?: string; state?: string; stage?: string; bytes?: number; ms?: number };

const HALTED = 'DEMO-3';
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});



test('a worker SIGKILLed after its agent committed once: the job resumes on the other worker from that commit, done, each trailer once', async () => {
  const demo = await setupDemo(undefined, ROOT);
  const marks = tempDir('nightshift-marks-');
  const workDirs = ['one', 'two'].map((name) => join(tempDir('nightshift-machine-'), name));
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const workerEnv = { ...base, NIGHTSHIFT_QUEUE_LEASE_MS: '2000', NIGHTSHIFT_QUEUE_PROGRESS_MS: '200', NIGHTSHIFT_SANDBOX_WRITABLE: marks };
  const workers: ResultPromise[] = workDirs.map((dir, n) => execa(process.execPath, [CLI, 'worker', '--queue', redis.url, '--slots', '2', '--work-dir', dir, '--name', `box-${n + 1}`], { env: workerEnv, extendEnv: false, reject: false, stdin: 'ignore' }));
  const pids = await Promise.all(workDirs.map((dir) => until(`the worker in ${dir} to start`, 30_000, () => workerEvents<Event>(dir).find((e) => e.type === 'worker-start')?.pid)));
  const args = [...demo.runArgs];
  args[args.indexOf('--agent') + 1] = `command:${process.execPath} ${ROOT}test/agents/commit-then-stall.mjs ${marks} ${HALTED} ${ROOT}loop/demo/agent.mjs`;
  args[args.indexOf('--workers') + 1] = '4';
  const env = { ...base, NIGHTSHIFT_LEDGER_DIR: tempDir() };
  try {
    const run = runCli(['run', ...args, '--executor', 'queue', '--queue', redis.url], { env, timeoutMs: 240_000 });
    const half = await until('the agent to commit its first half', 120_000, () => (existsSync(join(marks, 'committed')) ? readFileSync(join(marks, 'committed'), 'utf8').trim() || undefined : undefined));
    // the worker that holds the pass publishes that commit (read from the agent's git view), then dies
    const [victim, published] = await until('the half commit to be published', 30_000, () => {
      for (const [n, dir] of workDirs.entries()) {
        const hit = workerEvents<Event>(dir).find((e) => e.type === 'progress' && e.ticket === HALTED && e.head === half);
        if (hit) return [n, hit] as const;
      }
      return undefined;
    });
    process.kill(pids[victim] ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    const ran = await run;
    expect(ran.exitCode, ran.stderr.slice(-3000) + ran.stdout.slice(-3000)).toBe(0);

    // the other worker took the job and its worktree started at the dead worker's commit
    const survivor = workDirs[1 - victim] ?? '';
    expect(readFileSync(join(marks, 'resumed-at'), 'utf8').trim()).toBe(half);
    const resumed = workerEvents<Event>(survivor).find((e) => e.type === 'job-resumed' && e.ticket === HALTED);
    expect(resumed?.from).toBe(half);
    const loopEvents = readJsonl<Event>(join(demo.state, 'events.jsonl'));
    expect(loopEvents.filter((e) => e.type === 'queue-resume').map((e) => [e.ticket, e.pass, e.from, e.worker])).toEqual([[HALTED, 1, half, `box-${2 - victim}`]]);
    expect(loopEvents.filter((e) => e.type === 'queue-job' && e.state === 'completed' && e.ticket === HALTED).map((e) => e.worker)).toEqual([`box-${2 - victim}`]);

    // done: every ticket's trailer once on main, and the dead worker's commit is part of what merged
    const trailers = (await git(demo.repo, 'log', 'main', '--format=%(trailers:key=Nightshift-Ticket,valueonly)')).split('\n').map((t) => t.trim()).filter(Boolean);
    const tickets = (JSON.parse(readFileSync(demo.tickets, 'utf8')) as { tickets: Array<{ key: string }> }).tickets.map((t) => t.key);
    expect(trailers.toSorted()).toEqual(tickets.toSorted());
    await git(demo.repo, 'merge-base', '--is-ancestor', half, 'main');
    expect(await git(demo.repo, 'show', `main:half.txt`)).toBe('the first half, committed before the worker died');

    // the report names the worker of each pass and where the redelivered one resumed from
    const report = await runCli(['report', demo.state], { env });
    expect(report.stdout).toContain(`pass 1: landed (worker box-${2 - victim}, resumed from ${half.slice(0, 12)})`);
    const resumedAt = Date.parse(loopEvents.find((e) => e.type === 'queue-resume')?.ts ?? '');
    process.stdout.write(`resume: progress bundle ${published.bytes} bytes in ${published.ms} ms; resumed ${resumedAt - killedAt} ms after the kill\n`);
  } finally {
    await stopWorkers(marks, pids, workers);
  }
}, 300_000);
