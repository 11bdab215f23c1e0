// `--executor queue`, the loop's side: the worker agent of a pass runs as a BullMQ job rather than here.
// The loop bundles the ticket branch (prepared in its own worktree, as for a local run) into Redis, adds
// the job under the pass id, waits for its answer, fetches the agent's commits into a per-pass ref
// (refs/nightshift/passes/KEY/PASS) and moves the worktree's branch to them, writes back the result
// file, the journal and the agent's log, and hands the pass on as if the agent had run here. Every
// other agent (reviewers, blocked-checks) runs here. A canceled pass is told to every worker.
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { Queue, QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Agent, AgentOutcome, AgentRun } from '../agents/types.ts';
import { branchOf, openGit } from '../git/git.ts';
import type { Git } from '../git/git.ts';
import type { EventLog } from '../state/state.ts';
import { putBundle, unpackBundle } from './bundle.ts';
import { progressKey } from './progress.ts';
import { BUNDLE_TTL_S, CANCEL_CHANNEL, PassAnswer, QUEUE_NAME, canceledKey, connectionOf, passJobId } from './job.ts';
import type { PassJob } from './job.ts';

export type QueueExecutor = {
  /** The agent whose worker runs go through the queue; its other roles run as `agent` does. */
  wrap: (agent: Agent) => Agent;
  close: () => Promise<void>;
};

/** A finished job is kept this long, so a restarted loop finds the answer of a pass it already sent. */
const KEEP_S = 24 * 3600;

type Deps = {
  repo: Git; repoDir: string; stateDir: string; log: EventLog;
  /** The loop's --setup commands, run by the worker in its worktree too (undefined: detected there). */
  setup?: string[] | undefined;
  /** How long a job may wait for a worker to take it before its pass ends `not-taken` (0 or undefined: forever). */
  pickupMs?: number | undefined;
};

export async function openQueueExecutor(url: string, deps: Deps): Promise<QueueExecutor> {
  const connection = connectionOf(url);
  const queue = new Queue<PassJob, unknown>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  // a lost Redis: every call waits while the clients reconnect (dispatch pauses), said once each way
  let up = true;
  let closing = false;
  redis.on('close', () => {
    if (!up || closing) return;
    up = false;
    deps.log.emit({ type: 'queue-connection', state: 'lost' });
  });
  redis.on('ready', () => {
    if (up) return;
    up = true;
    deps.log.emit({ type: 'queue-connection', state: 'back' });
  });
  redis.on('error', () => undefined);
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  const remote = (agent: Agent, input: AgentRun, ticket: string): Promise<AgentOutcome> => runRemote({ agent, input, ticket, queue, events, redis, ...deps });
  return {
    wrap: (agent) => ({ spec: agent.spec, vendor: agent.vendor, run: (input) => (input.role === 'worker' && input.ticket ? remote(agent, input, input.ticket) : agent.run(input)) }),
    close: async () => {
      closing = true;
      await Promise.allSettled([queue.close(), events.close()]);
      redis.disconnect();
    },
  };
}

type Remote = Deps & { agent: Agent; input: AgentRun; ticket: string; queue: Queue<PassJob, unknown>; events: QueueEvents; redis: Redis };

async function runRemote(r: Remote): Promise<AgentOutcome> {
  const { input, ticket, queue, redis, log } = r;
  const started = Date.now();
  const id = passJobId(r.stateDir, ticket, input.pass);
  const worktree = openGit(input.cwd);
  const target = input.extraEnv?.NIGHTSHIFT_TARGET_BRANCH ?? 'main';
  const journalFile = input.extraEnv?.NIGHTSHIFT_JOURNAL_FILE ?? '';
  const verifyFile = input.extraEnv?.NIGHTSHIFT_VERIFY_FILE ?? '';
  const base = (await worktree.raw(['rev-parse', 'HEAD'])).trim();
  const job = await existingJob(queue, id) ?? await (async () => {
    const bundleKey = `nightshift:bundle:${id}:in`;
    await putBundle(r.repo, redis, bundleKey, [`refs/heads/${branchOf(ticket)}`, `refs/heads/${target}`]);
    const data: PassJob = {
      ticket, pass: input.pass, agent: r.agent.spec, branch: branchOf(ticket), base, targetBranch: target, bundleKey,
      prompt: readFileSync(input.promptFile, 'utf8'), verify: readText(verifyFile), journal: readText(journalFile),
      loopPaths: { worktree: input.cwd, resultFile: input.resultFile, journalFile }, timeoutMs: input.timeoutMs, setup: r.setup ?? null,
    };
    await redis.del(canceledKey(id), progressKey(id)); // a pass sent again after a cancel runs, from the loop's branch
    return queue.add('pass', data, { jobId: id, attempts: 1, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S } });
  })();
  log.emit({ type: 'queue-job', ticket, pass: input.pass, job: id, state: 'added', loop: hostname() });
  const canceled = new Promise<'canceled'>((resolve) => {
    if (input.signal?.aborted) resolve('canceled');
    input.signal?.addEventListener('abort', () => resolve('canceled'), { once: true });
  });
  // what the worker says as it goes (taken, resumed from a dead worker's commits, agent started, ended)
  const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
    if (jobId !== id || typeof data !== 'object' || data === null) return;
    const { stage, worker, from } = data as { stage?: unknown; worker?: unknown; from?: unknown };
    if (typeof stage !== 'string') return;
    if (stage === 'resumed') log.emit({ type: 'queue-resume', ticket, pass: input.pass, job: id, worker, from });
    else log.emit({ type: 'queue-progress', ticket, pass: input.pass, job: id, stage, worker });
  };
  r.events.on('progress', onProgress);
  const pickup = notTakenWithin(job, r.pickupMs ?? 0);
  let answer: unknown;
  try {
    const settled = await Promise.race([job.waitUntilFinished(r.events), canceled, pickup.promise]);
    if (settled === 'not-taken') {
      const seconds = Math.round((r.pickupMs ?? 0) / 1_000);
      log.emit({ type: 'queue-job', ticket, pass: input.pass, job: id, state: 'not-taken', waited_ms: r.pickupMs });
      return { kind: 'crashed', detail: `no worker took the job within ${seconds} s (NIGHTSHIFT_QUEUE_PICKUP_MS): is a nightshift worker running on this --queue?`, durationMs: Date.now() - started };
    }
    if (settled === 'canceled') {
      // a job not yet taken is removed; a running one is stopped by its worker (the agent killed)
      await redis.set(canceledKey(id), '1', 'EX', BUNDLE_TTL_S);
      await redis.publish(CANCEL_CHANNEL, id);
      await job.remove().catch(() => undefined);
      log.emit({ type: 'queue-job', ticket, pass: input.pass, job: id, state: 'canceled' });
      return { kind: 'crashed', detail: 'aborted by the loop', durationMs: Date.now() - started };
    }
    answer = settled;
  } catch (error) {
    log.emit({ type: 'queue-job', ticket, pass: input.pass, job: id, state: 'failed', reason: (error as Error).message });
    return { kind: 'crashed', detail: `the pass's job failed on its worker: ${(error as Error).message}`, durationMs: Date.now() - started };
  } finally {
    pickup.clear();
    r.events.off('progress', onProgress);
  }
  const parsed = PassAnswer.safeParse(answer);
  if (!parsed.success) return { kind: 'crashed', detail: `the worker's answer is not a pass answer: ${parsed.error.message.slice(0, 500)}`, durationMs: Date.now() - started };
  const a = parsed.data;
  await redis.del(progressKey(id)); // answered: no worker resumes this pass any more
  if (a.bundleKey) {
    const refs = await unpackBundle(r.repoDir, redis, a.bundleKey);
    if (refs.get(`refs/heads/${branchOf(ticket)}`) !== a.head) throw new Error(`the bundle of ${id} does not hold ${branchOf(ticket)} at ${a.head}`);
    // everything the new head reaches beyond the base is there and intact
    await r.repo.raw(['rev-list', '--objects', '--verify-objects', '--quiet', a.head, '--not', base, '--']);
    await r.repo.raw(['update-ref', `refs/nightshift/passes/${ticket}/${input.pass}`, a.head]);
    await worktree.raw(['reset', '--quiet', '--hard', a.head]);
  }
  if (a.result !== null) writeFileSync(input.resultFile, a.result);
  if (journalFile) writeFileSync(journalFile, a.journal);
  appendFileSync(input.logFile, a.log);
  log.emit({ type: 'queue-job', ticket, pass: input.pass, job: id, state: 'completed', worker: a.worker, head: a.head, fetched: a.bundleKey !== null });
  return a.outcome;
}

/**
 * The job of this pass if one is already in the queue (a restarted loop sent it before): a running or
 * waiting one is waited for, never added beside; a failed one is removed and sent again.
 */
async function existingJob(queue: Queue<PassJob, unknown>, id: string): Promise<Job<PassJob, unknown> | undefined> {
  const job = await queue.getJob(id);
  if (!job) return undefined;
  if ((await job.getState()) !== 'failed') return job;
  await job.remove();
  return undefined;
}

/**
 * Resolves `not-taken` when the job is still waiting for a worker `ms` after it was sent, once it is
 * removed (so a worker that comes later does not run a pass the loop gave up on); a job a worker took
 * meanwhile cannot be removed, and is waited for. `ms` 0: never.
 */
function notTakenWithin(job: Job<PassJob, unknown>, ms: number): { promise: Promise<'not-taken'>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'not-taken'>((resolve) => {
    if (ms <= 0) return;
    timer = setTimeout(() => {
      void (async () => {
        const state = await job.getState().catch(() => 'unknown');
        if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') return;
        if (await job.remove().then(() => true, () => false)) resolve('not-taken');
      })();
    }, ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

function readText(path: string): string {
  return path !== '' && existsSync(path) ? readFileSync(path, 'utf8') : '';
}
