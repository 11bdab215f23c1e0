// `npm run bench -- --json` as its contract says: one JSON object with the figures, from a real loop run
// of a small simulated batch. No timing is asserted (the machines are shared); only what must hold on any
// machine: every ticket done, a makespan no shorter than its lower bound, parts no larger than wholes.
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const FIELDS = ['tickets', 'workers', 'makespan_s', 'bound_s', 'ratio', 'overhead_ms_p50', 'overhead_ms_p95', 'pickup_ms_p50', 'pickup_ms_p95',
  'tracker_requests_per_ticket', 'peak_rss_mb'];

test('the benchmark prints one JSON object with the figures of a finished batch', async () => {
  const run = await execa(process.execPath, ['test/bench/bench.ts', '--json', '--tickets', '16', '--workers', '2', '--seconds', '3', '--seed', '7'], { cwd: ROOT, reject: false });
  expect(run.exitCode, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const figures = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  for (const field of FIELDS) expect(typeof figures[field], field).toBe('number');
  expect(figures).toHaveProperty('oracle_requests_per_check');
  expect(figures).toMatchObject({ tickets: 16, workers: 2, exit_code: 0, done_tickets: 16 });
  const n = (field: string) => Number(figures[field]);
  expect(n('makespan_s')).toBeGreaterThanOrEqual(n('bound_s'));
  expect(n('ratio')).toBeGreaterThanOrEqual(1);
  expect(n('pickup_harness_ms_p95')).toBeLessThanOrEqual(n('pickup_ms_p95'));
  expect(n('overhead_ms_p50')).toBeLessThanOrEqual(n('overhead_ms_p95'));
  expect(n('peak_rss_mb')).toBeLessThanOrEqual(n('tree_peak_rss_mb'));
  expect(n('harness_peak_pss_mb')).toBeGreaterThan(0);
  expect(n('harness_peak_pss_mb')).toBeLessThanOrEqual(n('tree_peak_rss_mb'));
  const byProcess = figures.loop_cpu_s_by_process as Record<string, number>;
  expect(Object.keys(byProcess).sort()).toEqual(['loop_self', 'oracle', 'short_lived', 'spawn_helper']);
  expect(byProcess.oracle).toBeGreaterThan(0);
  expect(Object.values(byProcess).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(n('loop_cpu_s') + 0.5);
});
