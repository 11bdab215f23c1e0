// Chaos: the real loop, SIGKILLed several times at seeded random points (after the n-th event line it
// prints, so every phase can be hit: agent running, review, merge, replay, receipt), restarted with the
// same command each time, must converge to the oracle's done with every trailer exactly once on the
// target branch, and leave no worktree or process behind.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { seeded, writeSimBatch } from '../../bench/batch.ts';
import type { SimTicket } from '../../bench/batch.ts';
import { extraWorktrees, leftoverProcesses, readEventLines, startLoop, trailersOn } from '../../helpers/crash-helpers.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/repo.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 20261121);
const KILLS = 4;

test(`a batch SIGKILLed ${KILLS} times at random points converges to done, each trailer once (seed ${SEED})`, { timeout: 240_000 }, async () => {
  const random = seeded(SEED);
  const duration = () => 150 + Math.floor(random() * 350);
  const tickets: SimTicket[] = [
    { key: 'C-1', blockedBy: [], durationMs: duration(), labels: [] },
    { key: 'C-2', blockedBy: ['C-1'], durationMs: duration(), labels: [] },
    { key: 'C-3', blockedBy: ['C-2'], durationMs: duration(), labels: [] },
    { key: 'C-4', blockedBy: [], durationMs: duration(), labels: [] },
    { key: 'C-5', blockedBy: [], durationMs: duration(), labels: ['serial'] },
    { key: 'C-6', blockedBy: ['C-4', 'C-5'], durationMs: duration(), labels: [] },
    { key: 'C-7', blockedBy: [], durationMs: duration(), labels: ['serial'] },
  ];
  const setup = writeSimBatch(tempDir('nightshift-chaos-'), tickets, { workers: 3, maxPasses: 12, prefix: 'C' });

  const killedAfter: string[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const loop = startLoop(setup.runArgs);
    const lines = 3 + Math.floor(random() * 30);
    const line = await loop.waitForLine(/./, lines).catch(() => undefined);
    if (line === undefined) break; // the batch finished before this kill point
    loop.child.kill('SIGKILL');
    await loop.child;
    killedAfter.push(line);
  }
  expect(killedAfter.length).toBeGreaterThanOrEqual(3);

  const final = await startLoop(setup.runArgs).child;
  expect(final.exitCode, String(final.stdout)).toBe(0);
  const oracle = await runCli(['oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo]);
  expect(oracle.exitCode, oracle.stdout).toBe(0);
  expect((await trailersOn(setup.repo)).sort()).toEqual(tickets.map((t) => t.key).sort());
  expect(await extraWorktrees(setup.repo)).toEqual([]);
  expect(leftoverProcesses(setup.state)).toEqual([]);
  const states = (JSON.parse(readFileSync(setup.tickets, 'utf8')) as { tickets: Array<{ state: string }> }).tickets.map((t) => t.state);
  expect(states.every((s) => s === 'done')).toBe(true);
  // every start after a kill found what the dead loop left and went on from there
  const starts = readEventLines(setup.state).filter((e) => e.type === 'run-start');
  expect(starts.length).toBe(killedAfter.length + 1);
});
