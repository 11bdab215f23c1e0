// Crash safety and caps with the real loop process and real scripted agents: one loop per batch, a
// SIGKILLed loop's agents and worktrees cleaned up by the next start, the wall-clock limit killing a
// whole process tree, the batch budget (exit 4, kept across restarts), parallel and serial workers,
// and the root-cause prompt after three identical finish-line failures.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { reapLeftovers } from '../../../loop/state/run-lock.ts';
import { makeStateDirs, processStartTime, recordAgent, statePaths } from '../../../loop/state/state.ts';
import { AGENTS_DIR, writeSimBatch } from '../../bench/batch.ts';
import type { SimTicket } from '../../bench/batch.ts';
import { extraWorktrees, leftoverProcesses, readEventLines, startLoop, trailersOn } from '../../helpers/crash-helpers.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/repo.ts';

const sim = (key: string, durationMs: number, extra: Partial<SimTicket> = {}): SimTicket => ({ key, blockedBy: [], durationMs, labels: [], ...extra });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

test('one loop per batch; after a SIGKILL the next start reaps the agents, removes the worktrees and finishes', async () => {
  const made = writeSimBatch(tempDir(), [sim('K-1', 600_000), sim('K-2', 600_000)], { workers: 2, prefix: 'K' });
  // the reaping of agents that outlive a killed loop is under test: in the sandbox they die with it
  const setup = { ...made, runArgs: [...made.runArgs, '--sandbox', 'off'] };
  const first = startLoop(setup.runArgs);
  await first.waitForLine(/agent .* started/, 2);

  const second = await runCli(['run', ...setup.runArgs]);
  expect(second.exitCode).toBe(2);
  expect(second.stderr).toContain(`another nightshift loop (pid ${first.pid}) is running this batch`);

  first.child.kill('SIGKILL');
  await first.child;
  const orphans = leftoverProcesses(setup.state);
  expect(orphans.length).toBeGreaterThanOrEqual(2); // the agents outlive a SIGKILLed loop...
  expect(await extraWorktrees(setup.repo)).toHaveLength(2);

  writeFileSync(setup.durations, 'K-1 0\nK-2 0\n');
  const rerun = startLoop(setup.runArgs);
  const result = await rerun.child;
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const start = readEventLines(setup.state).filter((e) => e.type === 'run-start').at(-1);
  expect((start?.reaped as number[]).length).toBeGreaterThan(0); // ...until the next loop starts
  expect(start?.stale_worktrees).toHaveLength(2);
  expect(orphans.filter(isAlive)).toEqual([]);
  expect(leftoverProcesses(setup.state)).toEqual([]);
  expect(await extraWorktrees(setup.repo)).toEqual([]);
  expect((await trailersOn(setup.repo)).sort()).toEqual(['K-1', 'K-2']);
});

test('the wall-clock limit kills the agent and the grandchild holding its output', async () => {
  const dir = tempDir();
  const setup = writeSimBatch(dir, [sim('W-1', 0)], { workers: 1, maxPasses: 1, prefix: 'W' });
  const pidFile = join(dir, 'grandchild.pid');
  const args = setup.runArgs.map((a) => (a.startsWith('command:') && a.includes('sleep-agent') ? `command:${AGENTS_DIR}hang-agent.sh ${pidFile}` : a));
  // the agent writes its grandchild's host pid outside its worktree: unconfined, as the group kill is under test
  const loop = startLoop([...args, '--worker-minutes', '0.01', '--sandbox', 'off']);
  const result = await loop.child;
  expect(result.exitCode).toBe(1);
  const end = readEventLines(setup.state).find((e) => e.type === 'agent-end');
  expect(end?.outcome).toBe('timed-out');
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  expect(grandchild).toBeGreaterThan(0);
  expect(isAlive(grandchild)).toBe(false);
  expect(leftoverProcesses(setup.state)).toEqual([]);
});

test('the budget is summed over the batch: exit 4 once spent, no new pass, and a restart remembers it', async () => {
  const setup = writeSimBatch(tempDir(), [sim('B-1', 0), sim('B-2', 0), sim('B-3', 0), sim('B-4', 0)], { workers: 1, costUsd: 0.4, budgetUsd: 1, prefix: 'B' });
  const first = await startLoop(setup.runArgs).child;
  expect(first.exitCode).toBe(4);
  expect(first.stdout).toContain('the budget is spent ($1.20 of $1.00): no new pass starts');
  const agentStarts = () => readEventLines(setup.state).filter((e) => e.type === 'agent-start').length;
  expect(agentStarts()).toBe(3);
  const again = await startLoop(setup.runArgs).child;
  expect(again.exitCode).toBe(4);
  expect(agentStarts()).toBe(3);
  expect((await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo])).exitCode).toBe(1);
});

test('--workers runs tickets side by side, and tickets labelled serial one at a time', async () => {
  const serial = { labels: ['serial'] };
  const setup = writeSimBatch(tempDir(), [sim('P-1', 700, serial), sim('P-2', 700, serial), sim('P-3', 700), sim('P-4', 700)], { workers: 4, prefix: 'P' });
  expect((await startLoop(setup.runArgs).child).exitCode).toBe(0);
  const events = readEventLines(setup.state);
  const span = (key: string) => {
    const start = events.find((e) => e.type === 'agent-start' && e.ticket === key);
    const end = events.find((e) => e.type === 'agent-end' && e.ticket === key);
    return [Date.parse(String(start?.ts)), Date.parse(String(end?.ts))] as const;
  };
  const overlap = (a: string, b: string) => span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1];
  expect(overlap('P-3', 'P-4')).toBe(true);
  expect(overlap('P-1', 'P-3') || overlap('P-2', 'P-3')).toBe(true);
  expect(overlap('P-1', 'P-2')).toBe(false);
});

test('--workers bounds the agents running at once, while landings go on beside them', async () => {
  const setup = writeSimBatch(tempDir(), [sim('Q-1', 300), sim('Q-2', 300), sim('Q-3', 300)], { workers: 1, prefix: 'Q' });
  // each agent's own processes note when they ran: a slot is freed once they are gone, before the
  // loop's `agent-end` (the sandbox hands the branch back after), so the events alone do not bound them
  const args = setup.runArgs.map((a) => (a.startsWith('command:') && a.includes('sleep-agent') ? a.replace('command:', `command:${AGENTS_DIR}span-agent.sh `) : a));
  expect((await startLoop(args).child).exitCode).toBe(0);
  const spans = readdirSync(join(setup.state, 'passes'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.span'))
    .map((f) => readFileSync(join(setup.state, 'passes', f), 'utf8').trim().split('\n').map(BigInt));
  expect(spans).toHaveLength(3);
  const edges = spans.flatMap(([start = 0n, end = 0n]) => [[start, 1], [end, -1]] as const).sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  let agents = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, agents += step);
  expect(most).toBe(1);
  expect((await trailersOn(setup.repo)).sort()).toEqual(['Q-1', 'Q-2', 'Q-3']);
});

test('the same finish-line failure three passes running gives the next pass the root-cause-first prompt', async () => {
  const dir = tempDir();
  const setup = writeSimBatch(dir, [sim('T-1', 0)], { workers: 1, maxPasses: 4, prefix: 'T' });
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ worker: { files: { 'other.txt': 'not what the finish line wants' }, commit: true } }));
  const args = setup.runArgs.map((a) => (a.includes('sleep-agent') ? `command:${process.execPath} ${SCRIPTED_AGENT} ${plan}` : a));
  expect((await startLoop(args).child).exitCode).toBe(1);
  const prompts = readFileSync(`${plan}.calls`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pass: number; prompt: string });
  expect(prompts.map((p) => [p.pass, p.prompt.includes('ROOT CAUSE FIRST')])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
  expect(prompts[3]?.prompt).toMatch(/has failed the same way 3 passes running, at\s+`test -f work\/T-1.txt`/);
  expect(readEventLines(setup.state).filter((e) => e.type === 'thrash')).toHaveLength(1);
});

test('a recorded agent pid that now belongs to another process (pid reuse) is left alone', async () => {
  const paths = statePaths(tempDir());
  makeStateDirs(paths);
  const stranger = execa('sleep', ['30'], { detached: true, reject: false });
  const pid = stranger.pid ?? 0;
  writeFileSync(join(paths.agents, String(pid)), JSON.stringify({ loop: 1, started: (processStartTime(pid) ?? 0) - 1 }));
  expect(reapLeftovers(paths)).toEqual([]);
  expect(isAlive(pid)).toBe(true);
  recordAgent(paths, pid);
  expect(reapLeftovers(paths)).toEqual([pid]);
  expect((await stranger).signal).toBe('SIGKILL');
});
