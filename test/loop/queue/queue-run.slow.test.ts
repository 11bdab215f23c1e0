// The queue executor end to end: the demo batch run by the real `nightshift run --executor queue` through
// three real `nightshift worker` processes (separate work dirs, stand-ins for machines) on a real Redis.
// One worker is SIGKILLed while its agent is mid-pass: BullMQ gives the job to another worker when the
// lease runs out, the batch ends done (the oracle agrees), every ticket is merged once, and no job ran twice
// side by side or finished twice.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupDemo } from '../../../loop/demo/setup.ts';
import { CLI, ROOT, runCli } from '../../helpers/cli.ts';
import { git, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';
import { stopWorkers, until, workerEvents } from '../../helpers/queue.ts';
import type { TestRedis } from '../../helpers/redis.ts';

type WorkerEvent = { ts: string; type: string; pid?: number; job?: string; ticket?: string; pass?: number };

const STALLED = 'DEMO-3';
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});



describe('nightshift run --executor queue', () => {
  test('three workers on a real Redis, one SIGKILLed mid-pass: done, each ticket merged once, no job run twice', async () => {
    const demo = await setupDemo(undefined, ROOT);
    const marks = tempDir('nightshift-marks-');
    const workDirs = [1, 2, 3].map((n) => join(tempDir('nightshift-machine-'), `work-${n}`));
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const workerEnv = { ...base, NIGHTSHIFT_QUEUE_LEASE_MS: '2000', NIGHTSHIFT_SANDBOX_WRITABLE: marks };
    const workers: ResultPromise[] = workDirs.map((dir) => execa(process.execPath, [CLI, 'worker', '--queue', redis.url, '--slots', '2', '--work-dir', dir], { env: workerEnv, extendEnv: false, reject: false, stdin: 'ignore' }));
    const pids = await Promise.all(workDirs.map((dir) => until(`the worker in ${dir} to start`, 30_000, () => workerEvents<WorkerEvent>(dir).find((e) => e.type === 'worker-start')?.pid)));
    const args = [...demo.runArgs];
    args[args.indexOf('--agent') + 1] = `command:${process.execPath} ${ROOT}test/agents/stall-once.mjs ${marks} ${STALLED} ${ROOT}loop/demo/agent.mjs`;
    args[args.indexOf('--workers') + 1] = '6';
    const env = { ...base, NIGHTSHIFT_LEDGER_DIR: tempDir() };
    let killedAt = 0;
    try {
      const run = runCli(['run', ...args, '--executor', 'queue', '--queue', redis.url], { env, timeoutMs: 240_000 });
      // the stalled agent is running: its worker is killed with no chance to answer or let go of the job
      await until('the stalled agent to start', 120_000, () => (existsSync(join(marks, 'stalled')) ? true : undefined));
      const victim = await until(`a worker to hold ${STALLED}`, 10_000, () => workDirs.findIndex((dir) => workerEvents<WorkerEvent>(dir).some((e) => e.type === 'job-start' && e.ticket === STALLED)) + 1 || undefined) - 1;
      const victimPid = pids[victim] ?? 0;
      process.kill(victimPid, 'SIGKILL');
      killedAt = Date.now();
      const ran = await run;
      expect(ran.exitCode, ran.stderr.slice(-3000) + ran.stdout.slice(-3000)).toBe(0);

      const oracle = await runCli(['oracle', args[0] ?? '', '--tracker', 'local', '--tickets', demo.tickets, '--repo', demo.repo, '--target-branch', 'main'], { env });
      expect(oracle.exitCode, oracle.stdout + oracle.stderr).toBe(0);

      // every ticket's merge trailer once on main
      const trailers = (await git(demo.repo, 'log', 'main', '--format=%(trailers:key=Nightshift-Ticket,valueonly)')).split('\n').map((t) => t.trim()).filter(Boolean);
      const tickets = (JSON.parse(readFileSync(demo.tickets, 'utf8')) as { tickets: Array<{ key: string }> }).tickets.map((t) => t.key);
      expect(trailers.toSorted()).toEqual(tickets.toSorted());

      // the stalled pass was started twice: on the killed worker, then on another after the lease ran out
      const events = workDirs.flatMap((dir) => workerEvents<WorkerEvent>(dir)).toSorted((a, b) => a.ts.localeCompare(b.ts));
      const starts = events.filter((e) => e.type === 'job-start');
      const ends = events.filter((e) => e.type === 'job-end');
      const stalledStarts = starts.filter((e) => e.ticket === STALLED && e.pass === 1);
      expect(stalledStarts.map((e) => e.pid === victimPid)).toEqual([true, false]);
      expect(Date.parse(stalledStarts[1]?.ts ?? '')).toBeGreaterThan(killedAt);
      // a job started twice is one the killed worker held (its other slot may have held one too), started
      // again only after the kill; every job finished once, none on the killed worker
      const startsPerJob = Object.groupBy(starts, (e) => e.job ?? '');
      const heldByVictim = new Set(starts.filter((e) => e.pid === victimPid && Date.parse(e.ts) < killedAt).map((e) => e.job));
      const endedByVictim = new Set(ends.filter((e) => e.pid === victimPid).map((e) => e.job));
      for (const [job, list = []] of Object.entries(startsPerJob)) {
        const expected = heldByVictim.has(job) && !endedByVictim.has(job) ? 2 : 1;
        expect({ job, starts: list.length }).toEqual({ job, starts: expected });
        if (expected === 2) expect(Date.parse(list[1]?.ts ?? '')).toBeGreaterThan(killedAt);
      }
      const endsPerJob = Object.groupBy(ends, (e) => e.job ?? '');
      expect(Object.keys(endsPerJob).toSorted()).toEqual(Object.keys(startsPerJob).toSorted());
      expect(Object.values(endsPerJob).every((list) => list?.length === 1)).toBe(true);
      expect(ends.filter((e) => e.ticket === STALLED).every((e) => e.pid !== victimPid)).toBe(true);
      // the agent's commits came back through the per-pass ref, and the remaining workers did the batch between them
      expect(await git(demo.repo, 'for-each-ref', '--format=%(refname)', `refs/nightshift/passes/${STALLED}`)).toContain(`refs/nightshift/passes/${STALLED}/1`);
      expect(new Set(ends.map((e) => e.pid)).size).toBeGreaterThanOrEqual(2);
      process.stdout.write(`queue run: ${starts.length} job starts, ${ends.length} job ends, the stalled job redelivered ${Date.parse(stalledStarts[1]?.ts ?? '') - killedAt} ms after the kill\n`);
    } finally {
      await stopWorkers(marks, pids, workers);
    }
  }, 300_000);
});
