// A job no worker takes: with no `nightshift worker` on the queue, the loop's wrapped agent gives up after
// the pickup timeout (NIGHTSHIFT_QUEUE_PICKUP_MS in a run), says so (`queue-job` not-taken, and the live
// view's line), and removes the job so a worker that comes later does not run a pass the loop gave up on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { expect, test } from 'vitest';
import { openAgent } from '../../../loop/agents/open.ts';
import { openGit } from '../../../loop/git/git.ts';
import { QUEUE_NAME, connectionOf, passJobId } from '../../../loop/queue/job.ts';
import { openQueueExecutor } from '../../../loop/queue/remote-agent.ts';
import type { LoopEvent } from '../../../loop/state/state.ts';
import { formatEvent } from '../../../loop/tty/view.ts';
import { ROOT, SCRIPTED_AGENT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';

test('a job no worker takes ends its pass after the pickup timeout, says so, and leaves the queue', async () => {
  const redis = await startRedis();
  const repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'hello\n' });
  const state = tempDir('nightshift-state-');
  const events: LoopEvent[] = [];
  const executor = await openQueueExecutor(redis.url, { repo: openGit(repo), repoDir: repo, stateDir: state, log: { emit: (event) => events.push(event) }, pickupMs: 1_500 });
  const queue = new Queue(QUEUE_NAME, { connection: connectionOf(redis.url) });
  try {
    const tree = join(tempDir('nightshift-wt-'), 'P-1');
    await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/P-1', tree, 'main');
    const pass = tempDir('nightshift-pass-');
    writeFileSync(join(pass, 'prompt.md'), '# Ticket P-1\n');
    const agent = executor.wrap(openAgent(`command:${process.execPath} ${SCRIPTED_AGENT} ${join(pass, 'plan.json')}`, ROOT));
    const started = Date.now();
    const outcome = await agent.run({ role: 'worker', ticket: 'P-1', pass: 1, cwd: tree, promptFile: join(pass, 'prompt.md'), resultFile: join(pass, 'result.json'), logFile: join(pass, 'agent.log'), env: { PATH: process.env.PATH ?? '' }, extraEnv: { NIGHTSHIFT_TARGET_BRANCH: 'main' }, timeoutMs: 60_000 });
    const waited = Date.now() - started;
    expect(outcome).toMatchObject({ kind: 'crashed', detail: 'no worker took the job within 2 s (NIGHTSHIFT_QUEUE_PICKUP_MS): is a nightshift worker running on this --queue?' });
    expect(waited).toBeGreaterThanOrEqual(1_500);
    expect(waited).toBeLessThan(10_000);
    expect(events.map((e) => [e.type, e.state])).toEqual([['queue-job', 'added'], ['queue-job', 'not-taken']]);
    const notTaken = events[1];
    expect(notTaken && formatEvent({ ...notTaken, ts: '2026-01-01T00:00:00.000Z' })).toBe('00:00:00 P-1 no worker took the job in 2 s');
    expect(await queue.getJob(passJobId(state, 'P-1', 1))).toBeUndefined();
  } finally {
    await queue.close();
    await executor.close();
    await redis.stop();
  }
});
