// `nightshift worker`, on any machine: takes pass jobs from the queue (up to `slots` at once), fetches
// the branch from the job's bundle into its own repository under --work-dir, adds a worktree on the
// ticket branch, runs the job's agent there in this machine's sandbox, and answers with the new commits
// as a bundle, the result file, the journal and the log's end. BullMQ holds each job under a lease the
// worker renews; a worker that dies loses it and another worker takes the job, from the commits the dead
// one last published (loop/queue/progress.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { openAgent } from '../agents/open.ts';
import type { Agent } from '../agents/types.ts';
import { openGit } from '../git/git.ts';
import type { Git } from '../git/git.ts';
import { readTail } from '../process/subprocess.ts';
import { openSandbox } from '../sandbox/open.ts';
import { openEnvironment } from '../worktree/environment.ts';
import { putBundle, unpackBundle } from './bundle.ts';
import { CANCEL_CHANNEL, PassJob, QUEUE_NAME, canceledKey, connectionOf } from './job.ts';
import { progressInterval, readProgress, startPublishing } from './progress.ts';
import type { PassAnswer } from './job.ts';

export type WorkerOptions = {
  queue: string;
  slots: number;
  workDir: string;
  sandbox: 'on' | 'off';
  /** The lease: a job whose worker stops renewing it for this long is given to another worker. */
  leaseMs: number;
  /** How this worker is named in events (default `host:pid`). */
  name?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** One line per event (worker-start, job-start, job-resumed, progress, job-end, cancel, lease-lost, job-canceled), also kept in <work-dir>/worker.jsonl. */
  say: (line: string) => void;
};

export type RunningWorker = { close: () => Promise<void> };

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  // not bare: the sandbox's git view copies the repository's config, and a bare one refuses `git add`
  const mirrorDir = join(o.workDir, 'repo');
  mkdirSync(o.workDir, { recursive: true });
  const mirror = openGit(mirrorDir);
  if (!existsSync(mirrorDir)) await openGit(o.workDir).raw(['init', '--quiet', mirrorDir]);
  const sandbox = await openSandbox({ sandbox: o.sandbox, agentNetwork: undefined, repo: mirrorDir, cwd: o.workDir, tickets: undefined }, o.env);
  const redis = new Redis(o.queue, { maxRetriesPerRequest: null });
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const emit = (event: Record<string, unknown>) => {
    const line = JSON.stringify({ ts: new Date().toISOString(), worker: name, pid: process.pid, ...event });
    appendFileSync(join(o.workDir, 'worker.jsonl'), `${line}\n`);
    o.say(line);
  };
  const processor = async (job: Job<unknown, PassAnswer>, token?: string, signal?: AbortSignal): Promise<PassAnswer> => {
    const data = PassJob.parse(job.data);
    const id = job.id ?? `${data.ticket}.${data.pass}`;
    emit({ type: 'job-start', job: id, ticket: data.ticket, pass: data.pass, attempt: job.attemptsStarted });
    // canceled between the loop's cancel and this worker's taking it: the published cancel came too early
    if (await redis.exists(canceledKey(id))) {
      emit({ type: 'job-canceled', job: id, ticket: data.ticket, pass: data.pass, reason: 'canceled before it started' });
      throw new UnrecoverableError('canceled before it started');
    }
    const answer = await runJob({
      data, id, token: token ?? 'none', signal, mirror, mirrorDir, workDir: o.workDir, redis, env: o.env, wrap: sandbox.wrap, name, emit,
      progress: (stage, extra = {}) => void job.updateProgress({ stage, worker: name, ...extra }).catch(() => undefined),
    });
    if (signal?.aborted) {
      emit({ type: 'job-canceled', job: id, ticket: data.ticket, pass: data.pass, reason: String(signal.reason) });
      throw new UnrecoverableError(String(signal.reason));
    }
    emit({ type: 'job-end', job: id, ticket: data.ticket, pass: data.pass, outcome: answer.outcome.kind, head: answer.head, bundled: answer.bundleKey !== null });
    return answer;
  };
  const worker = new Worker<unknown, PassAnswer>(QUEUE_NAME, processor, {
    connection: connectionOf(o.queue), concurrency: o.slots, lockDuration: o.leaseMs, stalledInterval: o.leaseMs, maxStalledCount: 1,
  });
  worker.on('error', (error) => emit({ type: 'worker-error', message: error.message }));
  // a cancel is published to every worker; the one running the job aborts its agent
  const cancels = new Redis(o.queue, { maxRetriesPerRequest: null });
  // a lost Redis: the clients reconnect on their own (the worker's own errors are its worker-error events)
  for (const client of [redis, cancels]) client.on('error', () => undefined);
  cancels.on('message', (_channel: string, id: string) => {
    if (worker.cancelJob(id, 'canceled by the loop')) emit({ type: 'cancel', job: id });
  });
  await cancels.subscribe(CANCEL_CHANNEL);
  // a lease found taken or gone (this worker was paused or cut off past it): the job may be running on
  // another worker now, so this one's agent is stopped; its answer would be refused anyway
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) if (worker.cancelJob(id, 'lease lost')) emit({ type: 'lease-lost', job: id });
  });
  await worker.waitUntilReady();
  emit({ type: 'worker-start', slots: o.slots, work_dir: o.workDir, lease_ms: o.leaseMs });
  return {
    close: async () => {
      await worker.close();
      cancels.disconnect();
      redis.disconnect();
    },
  };
}

type JobRun = {
  data: PassJob; id: string; token: string; signal: AbortSignal | undefined; mirror: Git; mirrorDir: string; workDir: string;
  redis: Redis; env: NodeJS.ProcessEnv; wrap: (agent: Agent) => Agent; name: string;
  progress: (stage: string, extra?: Record<string, unknown>) => void; emit: (event: Record<string, unknown>) => void;
};

async function runJob(j: JobRun): Promise<PassAnswer> {
  const { data, mirror } = j;
  const dir = join(j.workDir, 'passes', j.id);
  const tree = join(dir, 'tree');
  const ns = `refs/jobs/${j.id}`;
  // a pass taken again after its worker died starts clean
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await mirror.raw(['worktree', 'prune']);
  try {
    const refs = await unpackBundle(j.mirrorDir, j.redis, data.bundleKey);
    for (const [ref, id] of refs) await mirror.raw(['update-ref', ref.replace(/^refs\/heads\//, `${ns}/`), id]);
    await mirror.raw(['update-ref', `refs/heads/${data.targetBranch}`, `${ns}/${data.targetBranch}`]);
    // a job taken again after its worker died resumes from the last commits that worker published
    const resume = await readProgress(mirror, j.mirrorDir, j.redis, j.id, data.base);
    if (resume.kind === 'resumed') await mirror.raw(['update-ref', `${ns}/${data.branch}`, resume.head]);
    if (resume.kind !== 'none') j.emit({ type: 'job-resumed', job: j.id, ticket: data.ticket, pass: data.pass, ...(resume.kind === 'resumed' ? { from: resume.head } : { refused: resume.detail }) });
    await mirror.raw(['worktree', 'add', '--quiet', '-f', '-B', data.branch, tree, `${ns}/${data.branch}`]);
    j.progress('fetched');
    if (resume.kind === 'resumed') j.progress('resumed', { from: resume.head });
    // the worktree prepared as the loop prepares its own (set-up commands, the dependency store)
    const environment = await openEnvironment({ repo: mirror, rev: `${ns}/${data.branch}`, setup: data.setup ?? undefined, env: j.env, log: { emit: () => undefined }, timeoutMs: data.timeoutMs });
    const prepared = await environment.prepare(tree, { trusted: false, logFile: join(dir, 'setup.log'), ticket: data.ticket, pass: data.pass, where: 'pass' });
    if (prepared.kind === 'failed') throw new UnrecoverableError(`the set-up \`${prepared.command}\` failed on the worker (${prepared.exit}): ${prepared.output.slice(-1_500)}`);
    const resultFile = join(dir, 'result.json');
    const promptFile = join(dir, 'prompt.md');
    const journalFile = join(dir, 'journal.md');
    const verifyFile = join(dir, 'verify.txt');
    const logFile = join(dir, 'agent.log');
    const prompt = data.prompt.replaceAll(data.loopPaths.worktree, tree).replaceAll(data.loopPaths.resultFile, resultFile).replaceAll(data.loopPaths.journalFile || '\0', journalFile);
    writeFileSync(promptFile, prompt);
    writeFileSync(journalFile, data.journal);
    writeFileSync(verifyFile, data.verify);
    writeFileSync(logFile, '');
    j.progress('agent-start');
    const agent = j.wrap(openAgent(data.agent, process.cwd()));
    const start = (await mirror.raw(['rev-parse', `${ns}/${data.branch}`])).trim();
    const publishing = startPublishing({
      mirror, redis: j.redis, jobId: j.id, ref: `${ns}/progress`, branch: data.branch, base: data.base, start, tree, passDir: dir,
      intervalMs: progressInterval(j.env), env: j.env,
      published: (p) => j.emit({ type: 'progress', job: j.id, ticket: data.ticket, pass: data.pass, head: p.head, bytes: p.bytes, ms: p.ms }),
    });
    const outcome = await agent.run({
      role: 'worker', ticket: data.ticket, pass: data.pass, cwd: tree, promptFile, resultFile, logFile, env: j.env,
      extraEnv: { NIGHTSHIFT_JOURNAL_FILE: journalFile, NIGHTSHIFT_VERIFY_FILE: verifyFile, NIGHTSHIFT_TARGET_BRANCH: data.targetBranch },
      timeoutMs: data.timeoutMs, ...(j.signal ? { signal: j.signal } : {}),
    }).finally(() => publishing.stop());
    j.progress('agent-end');
    const head = (await mirror.raw(['rev-parse', `refs/heads/${data.branch}`])).trim();
    const bundleKey = `nightshift:bundle:${j.id}:out:${j.token}`;
    const bundled = head !== data.base && await putBundle(mirror, j.redis, bundleKey, [`refs/heads/${data.branch}`], [data.base]);
    return {
      outcome, head, bundleKey: bundled ? bundleKey : null, worker: j.name,
      result: existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : null,
      journal: readFileSync(journalFile, 'utf8'), log: readTail(logFile, 64_000),
    };
  } finally {
    await mirror.raw(['worktree', 'remove', '--force', tree]).catch(() => undefined);
    const refs = (await mirror.raw(['for-each-ref', '--format=%(refname)', ns]).catch(() => '')).split('\n').filter(Boolean);
    for (const ref of refs) await mirror.raw(['update-ref', '-d', ref]).catch(() => undefined);
  }
}
