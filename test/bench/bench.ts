#!/usr/bin/env node
// `npm run bench -- --real [--json] [--workers N] [--keep]`: a batch on a real npm project instead (test/bench/real.ts).
// `npm run bench -- --serve [--json] [--tickets 200]`: the dashboard's load time and memory (test/bench/serve.ts).
// `npm run bench -- --sandbox-cost [--json] [--starts N]`: the agent sandbox's cost per agent start (test/bench/sandbox-cost.ts).
// `npm run bench -- --agents-alone [--json] ...`: the same batch run by its scripted agents alone, as the loop starts them (test/bench/agents-alone.ts).
// `npm run bench -- [--json] [--tickets N] [--workers N] [--seconds S] [--seed N] [--tracker local|linear|jira|github] [--keep]
//                   [--node-flags="--max-semi-space-size=8 --optimize-for-size"] [--agent-cpu] [--pair REV [--runs N]]`
// `npm run bench -- --queue-compare ...`: the same batch with --executor local and queue, 6 slots each (test/bench/queue.ts).
// Builds a simulated batch, runs the REAL loop (`node loop/main.ts run ...`, its oracle included) with
// scripted agents that sleep for their duration (or spin on a core: --agent-cpu) and commit, and
// reports makespan against its lower bound, harness overhead and pickup latency per ticket, tracker
// and oracle calls, CPU per ticket by kind of process, peak RSS, and the host's calibration
// (test/bench/host.ts). --pair REV runs another revision's loop on the same batch, alternately with
// this one (--runs N times each), and reports both side by side with the ratios between them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { LOOP_NODE_FLAGS } from '../../heal/supervisor.ts';
import { BATCH_OPTIONS, generateBatch, lowerBoundMs, positive, writeSimBatch } from './batch.ts';
import { calibrateHost } from './host.ts';
import { agentSpanFigures, agentSpanReport, figuresFromEvents, percentile, readEventsFile, round, sampleTreeRss } from './measure.ts';
import { PairError, cpuByKindPerTicket, runPaired } from './pair.ts';
import { linearTimerCost } from './tracker-timers.ts';

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

async function main(): Promise<number> {
  if (process.argv.includes('--serve')) {
    const { runServeBench } = await import('./serve.ts');
    return runServeBench(process.argv.slice(2).filter((arg) => arg !== '--serve'));
  }
  if (process.argv.includes('--sandbox-cost')) {
    const { runSandboxCost } = await import('./sandbox-cost.ts');
    return runSandboxCost(process.argv.slice(2).filter((arg) => arg !== '--sandbox-cost'));
  }
  if (process.argv.includes('--agents-alone')) {
    const { runAgentsAlone } = await import('./agents-alone.ts');
    return runAgentsAlone(process.argv.slice(2).filter((arg) => arg !== '--agents-alone'));
  }
  if (process.argv.includes('--real')) {
    const { runRealBench } = await import('./real.ts');
    return runRealBench(process.argv.slice(2).filter((arg) => arg !== '--real'));
  }
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      ...BATCH_OPTIONS,
      tracker: { type: 'string', default: 'local' },
      keep: { type: 'boolean', default: false },
      // the flags heal/supervisor.ts starts the loop with (LOOP_NODE_FLAGS)
      'node-flags': { type: 'string', default: LOOP_NODE_FLAGS.join(' ') },
      pair: { type: 'string' },
      runs: { type: 'string', default: '1' },
      'queue-compare': { type: 'boolean', default: false },
    },
  });
  const count = Math.round(positive('tickets', values.tickets));
  const workers = Math.round(positive('workers', values.workers));
  const seconds = positive('seconds', values.seconds);
  const seed = Math.round(positive('seed', values.seed));
  const tracker = values.tracker;
  if (tracker !== 'local' && tracker !== 'linear' && tracker !== 'jira' && tracker !== 'github') {
    process.stderr.write(`bench: --tracker must be local, linear, jira or github, not "${tracker}".\n`);
    return 2;
  }
  const harnessFile = join(SIM_DIR, 'harness.ts');
  if (tracker !== 'local' && !existsSync(harnessFile)) {
    const message = `bench: --tracker ${tracker} needs the tracker simulators (${harnessFile}), which do not exist yet. Skipped; use --tracker local.`;
    process.stderr.write(`${message}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ skipped: true, tracker, reason: message })}\n`);
    return 0;
  }

  const config: BenchConfig = { count, workers, seconds, seed, tracker, keep: values.keep, json: values.json, nodeFlags: values['node-flags'], agentCpu: values['agent-cpu'], sandbox: values.sandbox === 'off' ? 'off' : 'on' };
  if (values['queue-compare']) {
    const { runQueueCompare } = await import('./queue.ts');
    const compared = await runQueueCompare(LOOP_MAIN, config.sandbox, (extraArgs) => runOnce({ ...config, workers: 6, extraArgs }, LOOP_MAIN));
    process.stdout.write(`${JSON.stringify(compared.report, null, values.json ? undefined : 1)}\n`);
    return compared.exitCode;
  }
  if (values.pair !== undefined) {
    const runs = Math.round(positive('runs', values.runs));
    let paired: Awaited<ReturnType<typeof runPaired>>;
    try {
      paired = await runPaired({ rev: values.pair, runs, run: (loopMain) => runOnce(config, loopMain) });
    } catch (error) {
      if (!(error instanceof PairError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stdout.write(`${JSON.stringify(paired.report, null, values.json ? undefined : 1)}\n`);
    return paired.exitCode;
  }
  const { report, exitCode } = await runOnce(config, LOOP_MAIN);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const [name, value] of Object.entries(report)) if (value !== undefined) process.stdout.write(`${name.padEnd(28)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
  }
  if (exitCode !== 0) {
    process.stderr.write(`bench: the loop exited ${String(exitCode)}, not 0: the figures describe an unfinished batch.\n`);
    return 1;
  }
  return 0;
}

type BenchConfig = { count: number; workers: number; seconds: number; seed: number; tracker: 'local' | 'linear' | 'jira' | 'github'; keep: boolean; json: boolean; nodeFlags: string; agentCpu: boolean; sandbox: 'on' | 'off'; extraArgs?: string[] };

/** One bench run of the loop at `loopMain` (this checkout's, or a paired revision's). */
async function runOnce(config: BenchConfig, loopMain: string): Promise<{ report: Record<string, unknown>; exitCode: number | null }> {
  const { count, workers, seconds, seed, tracker } = config;
  const host = calibrateHost();
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
  const tickets = generateBatch({ count, seed, workers, targetSeconds: seconds });
  const setup = writeSimBatch(dir, tickets, { workers, maxPasses: 3, agentCpu: config.agentCpu });
  const bound = lowerBoundMs(tickets, workers);
  // linear|jira: the same tickets served by the loopback simulator, the real adapters talking HTTP to it
  const sim = tracker === 'local' ? undefined : await startSimulator(tracker, setup.tickets);
  const runArgs = [...(sim ? swapTrackerFlags(setup.runArgs, sim.args) : setup.runArgs), '--sandbox', config.sandbox, ...(config.extraArgs ?? [])];
  if (!config.json) process.stderr.write(`bench: ${count} tickets, ${workers} workers, bound ${(bound.boundMs / 1000).toFixed(1)} s, in ${dir}\n`);

  const started = Date.now();
  // the loop starts as heal/supervisor.ts starts it; --node-flags tries V8 flags on it (reported in the JSON)
  const nodeFlags = config.nodeFlags.split(' ').filter((f) => f !== '');
  const child = execa(process.execPath, [...nodeFlags, loopMain, 'run', ...runArgs], {
    reject: false, stdin: 'ignore', stdout: { file: join(dir, 'loop.log') }, stderr: { file: join(dir, 'loop.err') }, cwd: dir,
    // the delta reads' overlap (2 min in the field) shrinks with the agents: 2 min of a field run is this much of the bench's
    env: { ...process.env, NIGHTSHIFT_VIEW: 'plain', NIGHTSHIFT_TRACKER_OVERLAP_MS: String(Math.max(1, Math.round(120_000 / (FIELD_AGENT_S / Math.max(0.001, bound.totalWorkMs / count / 1000))))), ...sim?.env },
  });
  const rss = sampleTreeRss(child.pid ?? 0);
  const cpuBefore = reapedChildrenCpuS();
  const result = await child;
  // the loop's whole tree: the loop, once reaped, brings the CPU of every process it reaped in turn
  const loopCpuS = reapedChildrenCpuS() - cpuBefore;
  const makespanMs = Date.now() - started;
  const memory = rss.stop();
  const simRequests = sim?.requests() ?? 0;
  const simPoints = sim?.points() ?? 0;
  await sim?.close();

  const events = readEventsFile(join(setup.state, 'events.jsonl'));
  const figures = figuresFromEvents(events, tickets);
  const spans = agentSpanFigures(setup.state, events, tickets, workers);
  const processCpu = events.findLast((e) => e.type === 'run-end')?.process_cpu as Record<string, { count: number; cpu_ms: number }> | undefined;
  const byKind = cpuByKindPerTicket(memory.cpuSByProcess, processCpu, loopCpuS, count);
  const loadAfter = (await import('node:os')).loadavg().map((n) => round(n, 2));
  const report = {
    tickets: count,
    workers,
    tracker,
    seed,
    agent_cpu: config.agentCpu,
    sandbox: config.sandbox,
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
    ...agentSpanReport(spans, makespanMs),
    pickup_ms_p50: round(percentile(figures.pickupMs, 50)),
    pickup_ms_p95: round(percentile(figures.pickupMs, 95)),
    pickup_harness_ms_p50: round(percentile(figures.pickupHarnessMs, 50)),
    pickup_harness_ms_p95: round(percentile(figures.pickupHarnessMs, 95)),
    // slot time kept idle for chains' next tickets (loop/schedule/keep.ts), as a share of the run's slot time
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
    ...await trackerPerHour(sim ? { requests: simRequests, points: simPoints } : undefined, makespanMs, bound.boundMs, bound.totalWorkMs / count, tracker, count),
    loop_cpu_s: round(loopCpuS, 1),
    loop_cpu_ms_per_ticket: round((loopCpuS * 1000) / count),
    loop_cpu_s_by_process: cpuByProcess(memory.cpuSByProcess, loopCpuS),
    // the same CPU per ticket, by kind: the long-lived processes (sampled), each kind of command the
    // spawn helper ran (run-end's process_cpu: git by subcommand, agents by role, verify, replay), and
    // what neither accounts for (commands started by the loop itself, the loop's own git at start)
    cpu_ms_per_ticket_by_kind: byKind.cpuMs,
    count_per_ticket_by_kind: byKind.counts,
    // the tree's CPU per ticket in units of the host's CPU loop: travels between hosts better than ms
    cpu_per_ticket_in_cpu_loops: round((loopCpuS * 1000) / count / host.cpu_loop_ms, 2),
    host: { ...host, load_average_after: loadAfter },
    load_average: loadAfter,
    // the loop process, as `/usr/bin/time -v` would report it; then the harness's processes together (the
    // loop, its oracle session and its spawn helper; shared pages counted once); then every process of
    // the run summed, sleeping agents and git included, shared pages counted in each
    peak_rss_mb: round(memory.rootPeakMb, 1),
    harness_peak_pss_mb: round(memory.harnessPeakPssMb, 1),
    tree_peak_rss_mb: round(memory.peakMb, 1),
    dir: config.keep ? dir : undefined,
  };
  if (!config.keep) rmSync(dir, { recursive: true, force: true });
  return { report, exitCode: result.exitCode ?? null };
}

/** What an agent takes in the field: agent time stretches by this over the scripted agents' mean. */
const FIELD_AGENT_S = 15 * 60;
/** The loop's field timers (loop/tracker/watch.ts, loop/tracker/snapshot.ts), priced per hour below. */
const FIELD_POLL_S = 45;
const FIELD_RECONCILE_S = 3600;

/**
 * The tracker's cost per field hour: every request the simulator received (the loop's and the
 * oracle's, all event-driven) over the run's field duration (agent time, the lower bound, stretched to
 * 15-minute agents; the harness's own time beyond it kept as measured), plus the timer-driven reads at
 * their field rate (a short run sees few of them): an empty delta read every 45 s and a full
 * reconcile hourly, priced by the simulator's complexity rules.
 */
async function trackerPerHour(counts: { requests: number; points: number } | undefined, makespanMs: number, boundMs: number, meanAgentMs: number, tracker: string, tickets: number) {
  if (!counts) return { tracker_points_per_hour: null, tracker_requests_per_hour: null, tracker_basis: 'local tracker: no HTTP requests; measured with --tracker linear|jira' };
  const scale = FIELD_AGENT_S / Math.max(0.001, meanAgentMs / 1000);
  const fieldS = makespanMs / 1000 + (boundMs / 1000) * (scale - 1);
  // a quiet delta read is one request on Jira and GitHub; a full reconcile is Jira's search pages of 100, GitHub's GraphQL queries of 50
  const fullRead = tracker === 'github' ? Math.ceil(tickets / 50) : Math.ceil(tickets / 100) + 1;
  const timers = tracker === 'linear' ? await linearTimerCost(tickets, FIELD_POLL_S, FIELD_RECONCILE_S) : { requests: 3600 / FIELD_POLL_S + fullRead * (3600 / FIELD_RECONCILE_S), points: 0 };
  const perHour = (n: number, timer: number) => Math.round((n / fieldS) * 3600 + timer);
  return {
    tracker_points_per_hour: tracker === 'linear' ? perHour(counts.points, timers.points) : null,
    tracker_requests_per_hour: perHour(counts.requests, timers.requests),
    tracker_points: tracker === 'linear' ? Math.round(counts.points) : null,
    tracker_requests: counts.requests,
    tracker_timer_per_hour: { requests: Math.round(timers.requests), points: tracker === 'linear' ? Math.round(timers.points) : null },
    tracker_basis: `simulator requests (loop and oracle) over ${(fieldS / 3600).toFixed(2)} field hours (makespan + lower bound x (${scale.toFixed(0)} - 1): scripted agents of ${(meanAgentMs / 1000).toFixed(2)} s stretched to ${FIELD_AGENT_S} s), plus the timers at field rate (a delta read every ${FIELD_POLL_S} s, a full reconcile every ${FIELD_RECONCILE_S} s)${tracker === 'linear' ? '; points as the simulator prices them (Linear\'s published rules)' : tracker === 'github' ? '; REST requests and GraphQL queries counted alike (GitHub budgets them apart: 5,000 requests and 5,000 points an hour)' : '; Jira prices requests only'}`,
  };
}

/** Starts the simulator through test/sim/harness.ts with the tickets of the local file. */
async function startSimulator(kind: 'linear' | 'jira' | 'github', ticketsFile: string) {
  const { startHarness } = await import('../sim/harness.ts');
  const { tickets } = JSON.parse(readFileSync(ticketsFile, 'utf8')) as { tickets: unknown[] };
  // the run's time is compressed (see trackerPerHour): the hourly budget is not enforced, only measured
  const harness = await startHarness(kind, { tickets, complexityBudget: Number.MAX_SAFE_INTEGER });
  return { args: harness.args, env: harness.env, requests: () => harness.requests(), points: () => harness.points(), close: () => harness.close() };
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
