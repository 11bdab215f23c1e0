// A batch on a real npm project, with zero configuration: unjs/defu at a base commit with its
// package-lock.json (test/fixtures/real-defu), seven tickets that are its later upstream commits, the
// finish line `npm test`, a scripted worker that applies each ticket's upstream patch and two approving
// scripted reviewers. Nothing tells nightshift the project needs `npm ci`: worktree environment
// preparation must see the lockfile and install. The batch must reach the oracle's done and the final
// target branch must pass `npm ci && npm test` in a fresh clone. The first install needs the npm
// registry; npm's own cache makes later runs fast. No timing is asserted (the machines are shared).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { askOracle, checkFreshClone, runRealBatch, setupRealBatch } from '../../bench/real.ts';
import { realFiguresFromEvents } from '../../bench/real-figures.ts';
import { readEventsFile } from '../../bench/measure.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('a real npm project batch reaches done with zero configuration, and its final branch passes npm ci && npm test', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-real-repo-'));
  dirs.push(dir);
  const setup = await setupRealBatch(dir, { workers: 2 });
  expect(readFileSync(join(setup.repo, 'package-lock.json'), 'utf8')).toContain('"lockfileVersion": 3');

  const run = await runRealBatch(setup);
  const events = readEventsFile(join(setup.state, 'events.jsonl'));
  const figures = realFiguresFromEvents(events);
  const failures = events.filter((e) => e.type === 'pass-end' && e.outcome !== 'landed').map((e) => `${String(e.ticket)}#${String(e.pass)}: ${String(e.reason).slice(0, 600)}`);
  expect(run.exitCode, `the run exited ${run.exitCode}; failed passes:\n${failures.join('\n')}\n${readFileSync(join(dir, 'run.err'), 'utf8').slice(-2_000)}`).toBe(0);
  expect(figures.doneTickets).toBe(setup.keys.length);
  // every ticket's finish line and post-merge replay ran `npm test` for real, and passed
  expect(figures.replayMs).toHaveLength(setup.keys.length);
  expect(events.filter((e) => e.type === 'verify' && e.result === 'passed').length).toBeGreaterThanOrEqual(setup.keys.length);

  const oracle = await askOracle(setup);
  expect(oracle.exitCode, JSON.stringify(oracle.answer)).toBe(0);

  const fresh = await checkFreshClone(setup);
  expect(fresh.ciPassed, fresh.output).toBe(true);
  expect(fresh.testPassed, fresh.output).toBe(true);
  // the final branch holds every upstream change: the last one's test is there
  expect(readFileSync(join(dir, 'fresh-clone', 'test', 'defu.test.ts'), 'utf8')).toContain('inherited');
}, 30 * 60_000);
