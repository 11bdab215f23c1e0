#!/usr/bin/env node
// `npm run bench -- --real [--json] [--workers N] [--keep]`: a batch on a real npm project instead (test/bench/real.ts).
// `npm run bench -- --sandbox-cost [--json] [--starts N]`: the agent sandbox's cost per agent start (test/bench/sandbox-cost.ts).
// `npm run bench -- [--json] [--tickets N] [--workers N] [--seconds S] [--seed N] [--tracker local|linear|jira] [--keep]
//                   [--node-flags="--max-semi-space-size=8 --optimize-for-size"]`
// Builds a simulated batch, runs the REAL loop (`node loop/main.ts run ...`, its oracle included) with
// scripted agents that sleep for their duration and commit, and reports makespan against its lower
// bound, harness overhead and pickup latency per ticket, tracker and oracle calls, and peak RSS.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { LOOP_NODE_FLAGS } from '../../heal/supervisor.ts';
import { generateBatch, lowerBoundMs, writeSimBatch } from './batch.ts';
import { figuresFromEvents, percentile, readEventsFile, sampleTreeRss } from './measure.ts';

const LOOP_MAIN = fileURLToPath(new URL('../../loop/main.ts', import.meta.url));
const SIM_DIR = fileURLToPath(new URL('../sim/', import.meta.url));

/** cutime + cstime of this process: the CPU of every child it has reaped (and of theirs, reaped by them). */
function reapedChildrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The sampled long-lived processes, and the rest of the tree's CPU (agents, git, verify commands). */
function cpuByProcess(sampled: Record<string, number>, totalS: number): Record<string, number> {
  const rounded = Object.fromEntries(Object.entries(sampled).map(([k, v]) => [k, Number(v.toFixed(1))]));
  const known = Object.values(sampled).reduce((a, b) => a + b, 0);
  return { ...rounded, short_lived: Number(Math.max(0, totalS - known).toFixed(1)) };
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`bench: --${name} must be a positive number, not "${text}".\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  if (process.argv.includes('--sandbox-cost')) {
    const { runSandboxCost } = await import('./sandbox-cost.ts');
    return runSandboxCost(process.argv.slice(2).filter((arg) => arg !== '--sandbox-cost'));
  }
  if (process.argv.includes('--real')) {
    const { runRealBench } = await import('./real.ts');
    return runRealBench(process.argv.slice(2).filter((arg) => arg !== '--real'));
  }
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      tickets: { type: 'string', default: '200' },
      workers: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      tracker: { type: 'string', default: 'local' },
      keep: { type: 'boolean', default: false },
      // the flags heal/supervisor.ts starts the loop with (LOOP_NODE_FLAGS)
      'node-flags': { type: 'string', default: LOOP_NODE_FLAGS.join(' ') },
    },
  });
  const count = Math.round(positive('tickets', values.tickets));
  const workers = Math.round(positive('workers', values.workers));
  const seconds = positive('seconds', values.seconds);
  const seed = Math.round(positive('seed', values.seed));
  const tracker = values.tracker;
  if (tracker !== 'local' && tracker !== 'linear' && tracker !== 'jira') {
    process.stderr.write(`bench: --tracker must be local, linear or jira, not "${tracker}".\n`);
    return 2;
  }
  const harnessFile = join(SIM_DIR, 'harness.ts');
  if (tracker !== 'local' && !existsSync(harnessFile)) {
    const message = `bench: --tracker ${tracker} needs the tracker simulators (${harnessFile}), which do not exist yet. Skipped; use --tracker local.`;
    process.stderr.write(`${message}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ skipped: true, tracker, reason: message })}\n`);
    return 0;
  }

  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
  const tickets = generateBatch({ count, seed, workers, targetSeconds: seconds });
  const setup = writeSimBatch(dir, tickets, { workers, maxPasses: 3 });
  const bound = lowerBoundMs(tickets, workers);
  // linear|jira: the same tickets served by the loopback simulator, the real adapters talking HTTP to it
  const sim = tracker === 'local' ? undefined : await startSimulator(tracker, setup.tickets);
  const runArgs = sim ? swapTrackerFlags(setup.runArgs, sim.args) : setup.runArgs;
  if (!values.json) process.stderr.write(`bench: ${count} tickets, ${workers} workers, bound ${(bound.boundMs / 1000).toFixed(1)} s, in ${dir}\n`);

  const started = Date.now();
  // the loop starts as heal/supervisor.ts starts it; --node-flags tries V8 flags on it (reported in the JSON)
  const nodeFlags = values['node-flags'].split(' ').filter((f) => f !== '');
  const child = execa(process.execPath, [...nodeFlags, LOOP_MAIN, 'run', ...runArgs], {
    reject: false, stdin: 'ignore', stdout: { file: join(dir, 'loop.log') }, stderr: { file: join(dir, 'loop.err') }, cwd: dir,
    env: { ...process.env, NIGHTSHIFT_VIEW: 'plain', ...sim?.env },
  });
  const rss = sampleTreeRss(child.pid ?? 0);
  const cpuBefore = reapedChildrenCpuS();
  const result = await child;
  // the loop's whole tree: the loop, once reaped, brings the CPU of every process it reaped in turn
  const loopCpuS = reapedChildrenCpuS() - cpuBefore;
  const makespanMs = Date.now() - started;
  const memory = rss.stop();
  const simRequests = sim?.requests() ?? 0;
  await sim?.close();

  const events = readEventsFile(join(setup.state, 'events.jsonl'));
  const figures = figuresFromEvents(events, tickets);
  const round = (n: number, digits = 0) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);
  const report = {
    tickets: count,
    workers,
    tracker,
    seed,
    node_flags: nodeFlags.join(' '),
    exit_code: result.exitCode ?? null,
    done_tickets: figures.doneTickets,
    passes: figures.passes,
    makespan_s: round(makespanMs / 1000, 2),
    bound_s: round(bound.boundMs / 1000, 2),
    critical_path_s: round(bound.criticalPathMs / 1000, 2),
    total_work_s: round(bound.totalWorkMs / 1000, 2),
    ratio: round(makespanMs / bound.boundMs, 3),
    overhead_ms_p50: round(percentile(figures.overheadMs, 50)),
    overhead_ms_p95: round(percentile(figures.overheadMs, 95)),
    pickup_ms_p50: round(percentile(figures.pickupMs, 50)),
    pickup_ms_p95: round(percentile(figures.pickupMs, 95)),
    pickup_harness_ms_p50: round(percentile(figures.pickupHarnessMs, 50)),
    pickup_harness_ms_p95: round(percentile(figures.pickupHarnessMs, 95)),
    // slot time kept idle for chains' next tickets (loop/keep.ts), as a share of the run's slot time
    kept_slot_s: round(figures.keptSlotMs / 1000, 1),
    kept_slot_share: round(figures.keptSlotMs / (workers * makespanMs), 3),
    tracker_requests_per_ticket: sim ? round(figures.trackerRequests / count, 2) : round(figures.trackerCalls / count, 2),
    tracker_requests_basis: sim
      ? 'HTTP requests the loop made to the simulator (the adapter\'s own count), per ticket'
      : 'calls through the Tracker port by the loop (local: each is one read of the tickets file or one locked rewrite)',
    tracker_calls_per_ticket: round(figures.trackerCalls / count, 2),
    oracle_calls: figures.oracleCalls,
    oracle_calls_per_ticket: round(figures.oracleCalls / count, 2),
    oracle_requests_per_check: sim ? round((simRequests - figures.trackerRequests) / Math.max(1, figures.oracleCalls), 2) : null,
    oracle_requests_basis: sim
      ? 'requests the simulator received minus the loop\'s own, per oracle call'
      : 'local tracker: the oracle reads the tickets file once per check; HTTP requests per check are measured with --tracker linear|jira',
    loop_cpu_s: round(loopCpuS, 1),
    loop_cpu_ms_per_ticket: round((loopCpuS * 1000) / count),
    loop_cpu_s_by_process: cpuByProcess(memory.cpuSByProcess, loopCpuS),
    load_average: (await import('node:os')).loadavg().map((n) => round(n, 2)),
    // the loop process, as `/usr/bin/time -v` would report it; then the harness's processes together (the
    // loop, its oracle session and its spawn helper; shared pages counted once); then every process of
    // the run summed, sleeping agents and git included, shared pages counted in each
    peak_rss_mb: round(memory.rootPeakMb, 1),
    harness_peak_pss_mb: round(memory.harnessPeakPssMb, 1),
    tree_peak_rss_mb: round(memory.peakMb, 1),
    dir: values.keep ? dir : undefined,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const [name, value] of Object.entries(report)) if (value !== undefined) process.stdout.write(`${name.padEnd(28)} ${String(value)}\n`);
  }
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  if (result.exitCode !== 0) {
    process.stderr.write(`bench: the loop exited ${String(result.exitCode)}, not 0: the figures describe an unfinished batch.\n`);
    return 1;
  }
  return 0;
}

/** Starts the simulator through test/sim/harness.ts with the tickets of the local file. */
async function startSimulator(kind: 'linear' | 'jira', ticketsFile: string) {
  const { startHarness } = await import('../sim/harness.ts');
  const { tickets } = JSON.parse(readFileSync(ticketsFile, 'utf8')) as { tickets: unknown[] };
  const harness = await startHarness(kind, { tickets });
  return { args: harness.args, env: harness.env, requests: () => harness.requests(), close: () => harness.close() };
}

/** The run args with `--tracker local --tickets FILE` replaced by the simulator's flags. */
function swapTrackerFlags(args: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--tracker' || args[i] === '--tickets') {
      i++;
      continue;
    }
    out.push(args[i] as string);
  }
  return [...out, ...flags];
}

process.exitCode = await main();
