// The queue executor's two sides without the loop around them: the loop's wrapped agent (real BullMQ on a
// real redis-server) and a real `nightshift worker` process. A worker pass comes back as commits on the
// worktree's branch (and a per-pass ref), its result file and journal; the same pass sent again (a
// restarted loop) is answered from the finished job, not run again; a canceled pass kills the remote agent
// and, sent again, runs anew.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openAgent } from '../../../loop/agents/open.ts';
import type { AgentRun } from '../../../loop/agents/types.ts';
import { openGit } from '../../../loop/git/git.ts';
import { openQueueExecutor } from '../../../loop/queue/remote-agent.ts';
import type { QueueExecutor } from '../../../loop/queue/remote-agent.ts';
import type { LoopEvent } from '../../../loop/state/state.ts';
import { CLI, ROOT, SCRIPTED_AGENT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';
import { until, workerEvents } from '../../helpers/queue.ts';
import type { TestRedis } from '../../helpers/redis.ts';

type WorkerEvent = { ts: string; type: string; pid: number; job?: string; ticket?: string };

let redis: TestRedis;
let worker: ResultPromise;
let workDir: string;
let workerPid: number;
let executor: QueueExecutor;
let repo: string;
const events: LoopEvent[] = [];

const workerEventsHere = (): WorkerEvent[] => workerEvents<WorkerEvent>(workDir);


beforeAll(async () => {
  redis = await startRedis();
  workDir = join(tempDir('nightshift-machine-'), 'work');
  worker = execa(process.execPath, [CLI, 'worker', '--queue', redis.url, '--slots', '2', '--work-dir', workDir, '--sandbox', 'off'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, extendEnv: false, reject: false, stdin: 'ignore' });
  workerPid = await until('the worker to start', 30_000, () => workerEventsHere().find((e) => e.type === 'worker-start')?.pid);
  repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'hello\n' });
  const state = tempDir('nightshift-state-');
  executor = await openQueueExecutor(redis.url, { repo: openGit(repo), repoDir: repo, stateDir: state, log: { emit: (event) => events.push(event) } });
});

afterAll(async () => {
  await executor?.close();
  if (workerPid) process.kill(workerPid, 'SIGTERM');
  await worker;
  await redis?.stop();
});

/** A worker pass of `ticket` on its own worktree, as loop/pass/pass.ts hands it to the agent. */
async function passInput(ticket: string, signal?: AbortSignal): Promise<AgentRun> {
  const tree = join(tempDir('nightshift-wt-'), ticket);
  await git(repo, 'worktree', 'add', '-q', '-b', `nightshift/${ticket}`, tree, 'main');
  const dir = tempDir('nightshift-pass-');
  writeFileSync(join(dir, 'prompt.md'), `# Ticket ${ticket}\nWork in ${tree}.\n`);
  writeFileSync(join(dir, 'journal.md'), '# journal\n');
  writeFileSync(join(dir, 'verify.txt'), 'true\n');
  return {
    role: 'worker', ticket, pass: 1, cwd: tree, promptFile: join(dir, 'prompt.md'), resultFile: join(dir, 'result.json'), logFile: join(dir, 'agent.log'),
    env: { PATH: process.env.PATH ?? '' }, extraEnv: { NIGHTSHIFT_JOURNAL_FILE: join(dir, 'journal.md'), NIGHTSHIFT_VERIFY_FILE: join(dir, 'verify.txt'), NIGHTSHIFT_TARGET_BRANCH: 'main' },
    timeoutMs: 60_000, ...(signal ? { signal } : {}),
  };
}

test('a worker pass runs on the worker and comes back as commits, result and journal; sent again, it is not run again', async () => {
  const plan = join(tempDir(), 'plan.json');
  writeFileSync(plan, JSON.stringify({ 'worker:Q-1': { files: { 'feature.txt': 'done remotely\n' }, commit: true, message: 'Q-1: the feature', shell: 'printf "remote pass\\n" >> "$NIGHTSHIFT_JOURNAL_FILE"' } }));
  const agent = executor.wrap(openAgent(`command:${process.execPath} ${SCRIPTED_AGENT} ${plan}`, ROOT));
  const input = await passInput('Q-1');
  const outcome = await agent.run(input);
  expect(outcome.kind).toBe('finished');
  expect(JSON.parse(readFileSync(input.resultFile, 'utf8'))).toMatchObject({ status: 'complete' });
  expect(readFileSync(join(input.cwd, 'feature.txt'), 'utf8')).toBe('done remotely\n');
  expect(await git(input.cwd, 'log', '-1', '--format=%s', 'nightshift/Q-1')).toBe('Q-1: the feature');
  expect(await git(repo, 'rev-parse', 'refs/nightshift/passes/Q-1/1')).toBe(await git(repo, 'rev-parse', 'nightshift/Q-1'));
  expect(readFileSync(input.extraEnv?.NIGHTSHIFT_JOURNAL_FILE ?? '', 'utf8')).toBe('# journal\nremote pass\n');
  // the agent ran on the worker's side: in its own worktree, with the prompt's paths made its own
  const call = JSON.parse(readFileSync(`${plan}.calls`, 'utf8').trim()) as { cwd: string; prompt: string };
  expect(call.cwd.startsWith(workDir)).toBe(true);
  expect(call.prompt).toBe(`# Ticket Q-1\nWork in ${call.cwd}.\n`);

  const again = await agent.run(input);
  expect(again.kind).toBe('finished');
  expect(workerEventsHere().filter((e) => e.type === 'job-start' && e.ticket === 'Q-1')).toHaveLength(1);
  expect(readFileSync(`${plan}.calls`, 'utf8').trim().split('\n')).toHaveLength(1);
  expect(events.filter((e) => e.ticket === 'Q-1' && e.type === 'queue-job').map((e) => e.state)).toEqual(['added', 'completed', 'added', 'completed']);
  // the worker's progress reached the loop once, named after the worker (host:pid without --name)
  const name = `${hostname()}:${workerPid}`;
  expect(events.filter((e) => e.ticket === 'Q-1' && e.type === 'queue-progress').map((e) => [e.stage, e.worker])).toEqual([['fetched', name], ['agent-start', name], ['agent-end', name]]);
});

test('a canceled pass reaches the remote agent: it is killed and the job ends canceled; sent again, it runs', async () => {
  const marks = tempDir('nightshift-marks-');
  const agent = executor.wrap(openAgent(`command:${process.execPath} ${ROOT}test/agents/stall-once.mjs ${marks} Q-2 ${ROOT}loop/demo/agent.mjs`, ROOT));
  const controller = new AbortController();
  const input = await passInput('Q-2', controller.signal);
  const running = agent.run(input);
  const pid = Number(await until('the remote agent to start', 30_000, () => (existsSync(join(marks, 'stalled', 'pid')) ? readFileSync(join(marks, 'stalled', 'pid'), 'utf8') : undefined)));
  controller.abort();
  expect(await running).toMatchObject({ kind: 'crashed', detail: 'aborted by the loop' });
  await until('the worker to cancel the job', 10_000, () => workerEventsHere().find((e) => e.type === 'job-canceled' && e.ticket === 'Q-2'));
  await until('the remote agent to be gone', 10_000, () => (isAlive(pid) ? undefined : true));
  expect(existsSync(join(marks, 'release'))).toBe(false); // it was killed, not let go
  // the same pass sent again (a restarted loop) runs anew: its canceled job and cancel mark are cleared
  const { signal: _aborted, ...again } = input;
  expect(await agent.run(again)).toMatchObject({ kind: 'finished', exitCode: 0 });
  expect(workerEventsHere().filter((e) => e.job?.endsWith('.Q-2.1')).map((e) => e.type)).toEqual(['job-start', 'cancel', 'job-canceled', 'job-start', 'job-end']);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the worker prepares its worktree with the loop\'s set-up commands before the agent; a failed set-up fails the job', async () => {
  const plan = join(tempDir(), 'plan.json');
  writeFileSync(plan, JSON.stringify({ worker: { shell: 'test -f .setup-ran' } }));
  const run = async (setup: string[], ticket: string) => {
    const withSetup = await openQueueExecutor(redis.url, { repo: openGit(repo), repoDir: repo, stateDir: tempDir('nightshift-state-'), log: { emit: () => undefined }, setup });
    try {
      return await withSetup.wrap(openAgent(`command:${process.execPath} ${SCRIPTED_AGENT} ${plan}`, ROOT)).run(await passInput(ticket));
    } finally {
      await withSetup.close();
    }
  };
  expect(await run(['echo ready > .setup-ran'], 'Q-5')).toMatchObject({ kind: 'finished', exitCode: 0 });
  const failed = await run(['echo broken >&2; exit 3'], 'Q-6');
  expect(failed.kind === 'crashed' ? failed.detail : failed).toMatch(/^the pass's job failed on its worker: the set-up `echo broken >&2; exit 3` failed on the worker \(exit 3\): .*broken/s);
});
