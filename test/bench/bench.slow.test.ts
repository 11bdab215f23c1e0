// `npm run bench -- --json` as its contract says: one JSON object with the figures, from a real loop run
// of a small simulated batch. No timing is asserted (the machines are shared); only what must hold on any
// machine: every ticket done, a makespan no shorter than its lower bound, parts no larger than wholes.
// Also `--pair` and `--agents-alone`.
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const FIELDS = ['tickets', 'workers', 'makespan_s', 'bound_s', 'ratio', 'overhead_ms_p50', 'overhead_ms_p95', 'pickup_ms_p50', 'pickup_ms_p95',
  'tracker_requests_per_ticket', 'peak_rss_mb', 'agent_beyond_duration_ms_p50', 'agent_own_beyond_duration_ms_p50', 'agent_start_exit_ms_p50', 'ratio_to_agent_spans'];

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
  // every agent sleeps its duration and then commits: its own span is longer, the bound from the spans higher
  expect(n('agent_own_beyond_duration_ms_p50')).toBeGreaterThan(0);
  expect(n('ratio_to_agent_spans')).toBeLessThan(n('ratio'));
  expect(n('ratio_to_agent_spans')).toBeGreaterThanOrEqual(1);
  expect(n('pickup_harness_ms_p95')).toBeLessThanOrEqual(n('pickup_ms_p95'));
  expect(n('overhead_ms_p50')).toBeLessThanOrEqual(n('overhead_ms_p95'));
  expect(n('peak_rss_mb')).toBeLessThanOrEqual(n('tree_peak_rss_mb'));
  expect(n('harness_peak_pss_mb')).toBeGreaterThan(0);
  expect(n('harness_peak_pss_mb')).toBeLessThanOrEqual(n('tree_peak_rss_mb'));
  const byProcess = figures.loop_cpu_s_by_process as Record<string, number>;
  expect(Object.keys(byProcess).sort()).toEqual(['loop_self', 'oracle', 'short_lived', 'spawn_helper']);
  expect(byProcess.oracle).toBeGreaterThan(0);
  expect(Object.values(byProcess).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(n('loop_cpu_s') + 0.5);
  // CPU by kind: every kind the helper ran is named (git by subcommand, agents by role), one worker per
  // ticket at least, two reviews each, and the parts add up to at most the tree's CPU per ticket
  const byKind = figures.cpu_ms_per_ticket_by_kind as Record<string, number>;
  const counts = figures.count_per_ticket_by_kind as Record<string, number>;
  expect(Object.keys(byKind)).toEqual(expect.arrayContaining(['loop_self', 'oracle', 'spawn_helper', 'agent:worker', 'agent:reviewer', 'verify', 'replay', 'git:merge-tree', 'unattributed']));
  expect(counts['agent:worker']).toBeGreaterThanOrEqual(1);
  expect(counts['agent:reviewer']).toBeGreaterThanOrEqual(2);
  expect(Object.values(byKind).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(n('loop_cpu_ms_per_ticket') * 1.05 + Object.keys(byKind).length);
  const host = figures.host as Record<string, unknown>;
  for (const field of ['cores', 'cpu_loop_ms', 'spawn_true_ms', 'spawn_git_ms', 'spawn_node_ms']) expect(Number(host[field]), field).toBeGreaterThan(0);
  expect(host.load_average_after).toHaveLength(3);
});

test('--pair runs another revision alternately on the same batch and reports both with their ratios; a revision that does not exist is exit 2 material', async () => {
  const run = await execa(process.execPath, ['test/bench/bench.ts', '--json', '--tickets', '6', '--workers', '2', '--seconds', '2', '--pair', 'HEAD'], { cwd: ROOT, reject: false });
  expect(run.exitCode, run.stderr).toBe(0);
  const report = JSON.parse(run.stdout.trim()) as { pair: { a: { runs: unknown[] }; b: { rev: string; runs: Array<Record<string, unknown>> } }; medians: Record<string, { b_over_a: number | null }> };
  expect(report.pair.a.runs).toHaveLength(1);
  expect(report.pair.b.runs[0]).toMatchObject({ exit_code: 0, done_tickets: 6 });
  expect(typeof report.medians.ratio?.b_over_a).toBe('number');
  const bad = await execa(process.execPath, ['test/bench/bench.ts', '--json', '--tickets', '6', '--pair', 'no-such-rev-nightshift'], { cwd: ROOT, reject: false });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--pair no-such-rev-nightshift: no such revision');
});

test('--agents-alone runs the same batch by its agents alone, as the loop starts them, in dependency order; bad input is exit 2', async () => {
  const run = await execa(process.execPath, ['test/bench/bench.ts', '--agents-alone', '--json', '--tickets', '12', '--workers', '2', '--seconds', '2', '--seed', '7'], { cwd: ROOT, reject: false });
  expect(run.exitCode, run.stderr).toBe(0);
  const report = JSON.parse(run.stdout.trim()) as { agents_alone: Record<string, number>; host: Record<string, unknown> };
  expect(report.agents_alone).toMatchObject({ tickets: 12, workers: 2, sandbox: 'on' });
  // every agent takes at least its duration: no schedule of them beats the lower bound
  expect(report.agents_alone.makespan_s).toBeGreaterThanOrEqual(report.agents_alone.bound_s ?? Infinity);
  expect(report.agents_alone.ratio).toBeGreaterThanOrEqual(1);
  expect(report.agents_alone.agent_beyond_duration_ms_p50).toBeGreaterThan(0);
  expect(report.host.load_average_after).toHaveLength(3);
  const bad = await execa(process.execPath, ['test/bench/bench.ts', '--agents-alone', '--workers', 'none'], { cwd: ROOT, reject: false });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--workers must be a positive number');
});
