// Redis lost mid-pass (SIGKILLed, started again on the same port from its append-only file): the loop says
// the connection is lost and back, the worker's running pass goes on, and its answer still reaches the loop.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { openAgent } from '../../../loop/agents/open.ts';
import { openGit } from '../../../loop/git/git.ts';
import { openQueueExecutor } from '../../../loop/queue/remote-agent.ts';
import type { LoopEvent } from '../../../loop/state/state.ts';
import { CLI, ROOT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';
import { startRedis } from '../../helpers/redis.ts';
import { until } from '../../helpers/queue.ts';


test('a Redis restarted mid-pass: the loop sees it lost and back, and the pass\'s answer arrives', async () => {
  const data = tempDir('nightshift-redis-');
  let redis = await startRedis({ dir: data });
  const workDir = join(tempDir('nightshift-machine-'), 'work');
  const log = join(workDir, 'worker.jsonl');
  const worker = execa(process.execPath, [CLI, 'worker', '--queue', redis.url, '--work-dir', workDir, '--sandbox', 'off'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, extendEnv: false, reject: false, stdin: 'ignore' });
  const events: LoopEvent[] = [];
  const marks = tempDir('nightshift-marks-');
  const workerPid = await until('the worker to start', 30_000, () => (existsSync(log) ? (JSON.parse(readFileSync(log, 'utf8').split('\n')[0] ?? '{}') as { pid?: number }).pid : undefined));
  const repo = await makeRepo(join(tempDir(), 'repo'), { 'README.md': 'hello\n' });
  const executor = await openQueueExecutor(redis.url, { repo: openGit(repo), repoDir: repo, stateDir: tempDir(), log: { emit: (event) => events.push(event) } });
  try {
    const tree = join(tempDir('nightshift-wt-'), 'R-1');
    await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/R-1', tree, 'main');
    const pass = tempDir('nightshift-pass-');
    writeFileSync(join(pass, 'prompt.md'), '# Ticket R-1\n');
    const agent = executor.wrap(openAgent(`command:${process.execPath} ${ROOT}test/agents/stall-once.mjs ${marks} R-1 ${ROOT}loop/demo/agent.mjs`, ROOT));
    const running = agent.run({ role: 'worker', ticket: 'R-1', pass: 1, cwd: tree, promptFile: join(pass, 'prompt.md'), resultFile: join(pass, 'result.json'), logFile: join(pass, 'agent.log'), env: { PATH: process.env.PATH ?? '' }, extraEnv: { NIGHTSHIFT_TARGET_BRANCH: 'main' }, timeoutMs: 60_000 });
    await until('the agent to start', 30_000, () => (existsSync(join(marks, 'stalled')) ? true : undefined));
    await redis.stop('SIGKILL');
    await until('the loop to see Redis lost', 10_000, () => events.find((e) => e.type === 'queue-connection' && e.state === 'lost'));
    redis = await startRedis({ dir: data, port: redis.port });
    await until('the loop to see Redis back', 20_000, () => events.find((e) => e.type === 'queue-connection' && e.state === 'back'));
    writeFileSync(join(marks, 'release'), ''); // the stalled agent ends (exit 1, no result) and the worker answers
    expect(await running).toMatchObject({ kind: 'finished', exitCode: 1 });
    expect(events.filter((e) => e.type !== 'queue-progress').map((e) => e.state)).toEqual(['added', 'lost', 'back', 'completed']);
    expect(readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('"job-end"'))).toHaveLength(1);
  } finally {
    writeFileSync(join(marks, 'release'), '');
    await executor.close();
    process.kill(workerPid, 'SIGTERM');
    await worker;
    await redis.stop();
  }
});
