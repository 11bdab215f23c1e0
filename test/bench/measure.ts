// What the benchmark measures: figures from the run's events.jsonl (overhead per ticket, pickup
// latency, oracle and tracker calls) and the peak RSS of the loop's process tree, sampled from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lowerBoundMs } from './batch.ts';
import type { SimTicket } from './batch.ts';

type Event = { type: string; ts: string; ticket?: string; pass?: number; duration_ms?: number; [field: string]: unknown };

export function readEventsFile(path: string): Event[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '').flatMap((line) => {
    try {
      return [JSON.parse(line) as Event];
    } catch {
      return [];
    }
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** A figure for the JSON: rounded to `digits`, null where it is not a number (no samples). */
export const round = (n: number, digits = 0) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

export type EventFigures = {
  overheadMs: number[];
  pickupMs: number[];
  /** Pickup less the wait for a free agent slot: from the later of "ready" and "a slot came free" to the start. */
  pickupHarnessMs: number[];
  oracleCalls: number;
  trackerCalls: number;
  trackerRequests: number;
  /** Agent-slot time the loop kept idle for chains' next tickets (loop/schedule/keep.ts), summed over runs. */
  keptSlotMs: number;
  passes: number;
  doneTickets: number;
};

/**
 * Overhead of a ticket: for each of its passes, the pass's wall time minus the time inside the
 * worker agent (reviews, merge, replay, worktrees and tracker writes all count as harness).
 * Pickup: the last blocker's `ticket-done` to the dependent's first `agent-start` after it. Its
 * harness part starts at the later of that `ticket-done` and the last `agent-end` before the start
 * (with every slot busy, a ready ticket waits for an agent to end: that wait is the batch's, not the
 * harness's).
 */
export function figuresFromEvents(events: readonly Event[], tickets: readonly SimTicket[]): EventFigures {
  const time = (e: Event) => Date.parse(e.ts);
  const passStart = new Map<string, number>();
  const agentMs = new Map<string, number>();
  const overhead = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const agentStarts = new Map<string, number[]>();
  const agentEnds: number[] = [];
  let oracleCalls = 0;
  let passes = 0;
  let trackerCalls = 0;
  let trackerRequests = 0;
  let keptSlotMs = 0;
  for (const e of events) {
    const id = `${e.ticket ?? ''}#${String(e.pass)}`;
    switch (e.type) {
      case 'oracle': oracleCalls++; break;
      case 'pass-start': passStart.set(id, time(e)); break;
      case 'agent-start': agentStarts.set(e.ticket ?? '', [...(agentStarts.get(e.ticket ?? '') ?? []), time(e)]); break;
      case 'agent-end': agentMs.set(id, Number(e.duration_ms ?? 0)); agentEnds.push(time(e)); break;
      case 'ticket-done': if (!doneAt.has(e.ticket ?? '')) doneAt.set(e.ticket ?? '', time(e)); break;
      case 'pass-end': {
        const started = passStart.get(id);
        if (started === undefined) break;
        passes++;
        const key = e.ticket ?? '';
        overhead.set(key, (overhead.get(key) ?? 0) + Math.max(0, time(e) - started - (agentMs.get(id) ?? 0)));
        break;
      }
      case 'run-end':
        trackerCalls += Number(e.tracker_calls ?? 0);
        trackerRequests += Number(e.tracker_requests ?? 0);
        keptSlotMs += Number(e.kept_slot_ms ?? 0);
        break;
    }
  }
  const pickupMs: number[] = [];
  const pickupHarnessMs: number[] = [];
  agentEnds.sort((a, b) => a - b);
  for (const t of tickets) {
    if (t.blockedBy.length === 0) continue;
    const ready = Math.max(...t.blockedBy.map((b) => doneAt.get(b) ?? Number.NaN));
    const start = (agentStarts.get(t.key) ?? []).find((at) => at >= ready);
    if (!Number.isFinite(ready) || start === undefined) continue;
    pickupMs.push(start - ready);
    const slotFree = agentEnds.findLast((at) => at <= start) ?? ready;
    pickupHarnessMs.push(start - Math.max(ready, slotFree));
  }
  return { overheadMs: [...overhead.values()], pickupMs, pickupHarnessMs, oracleCalls, trackerCalls, trackerRequests, keptSlotMs, passes, doneTickets: doneAt.size };
}

export type TreeSample = {
  /** The summed RSS of every process of the tree (shared pages counted in each), at its peak. */
  peakMb: number;
  /** The root process's own peak RSS (its VmHWM: the kernel's high-water mark, not a sample). */
  rootPeakMb: number;
  /** The summed PSS (shared pages split among their users) of the root and its long-lived helpers, at its peak. */
  harnessPeakPssMb: number;
  cpuSByProcess: Record<string, number>;
};

/** The long-lived processes of a loop, told apart by their command line (the rest live too briefly to sample). */
function processClass(pid: number, root: number): string | undefined {
  if (pid === root) return 'loop_self';
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (cmdline.includes('oracle/cli.ts')) return 'oracle';
  if (/spawner-(child\.(ts|mjs)|helper\.py)/.test(cmdline)) return 'spawn_helper';
  return undefined;
}

/**
 * Samples the summed RSS of a process and all its descendants (Linux /proc) until stopped, the summed
 * PSS of the process and its long-lived helpers (the oracle session, the spawn helper), and the own
 * CPU time of those (clock ticks of 1/100 s, the Linux default).
 */
export function sampleTreeRss(root: number, everyMs = 100): { stop: () => TreeSample } {
  let peak = 0;
  let rootPeak = 0;
  let harnessPeak = 0;
  /** The last own CPU (utime + stime) seen of each long-lived process, and its class. */
  const ownTicks = new Map<number, { kind: string; ticks: number }>();
  const own = new Map<number, number>();
  const sample = () => {
    const parents = new Map<number, number>();
    own.clear();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parents.set(pid, Number(fields[1]));
        own.set(pid, Number(fields[11]) + Number(fields[12]));
      } catch {
        // gone meanwhile
      }
    }
    const tree = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, parent] of parents) {
        if (!tree.has(pid) && tree.has(parent)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    let total = 0;
    let harness = 0;
    for (const pid of tree) {
      const known = ownTicks.get(pid);
      const kind = known?.kind ?? processClass(pid, root);
      if (kind) ownTicks.set(pid, { kind, ticks: own.get(pid) ?? known?.ticks ?? 0 });
      const kb = rssKb(pid);
      total += kb;
      if (kind) harness += pssKb(pid);
      if (pid === root) rootPeak = Math.max(rootPeak, kb, hwmKb(pid));
    }
    peak = Math.max(peak, total);
    harnessPeak = Math.max(harnessPeak, harness);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    stop: () => {
      clearInterval(timer);
      // what the long-lived processes used, as last sampled
      const byProcess: Record<string, number> = { loop_self: 0, oracle: 0, spawn_helper: 0 };
      for (const { kind, ticks } of ownTicks.values()) byProcess[kind] = (byProcess[kind] ?? 0) + ticks / 100;
      return { peakMb: peak / 1024, rootPeakMb: rootPeak / 1024, harnessPeakPssMb: harnessPeak / 1024, cpuSByProcess: byProcess };
    },
  };
}

function statusField(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const rssKb = (pid: number) => statusField(pid, 'VmRSS');
const hwmKb = (pid: number) => statusField(pid, 'VmHWM');

/** Proportional set size: each shared page split among the processes that map it (0 if unreadable). */
function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export type AgentSpanFigures = {
  /** Per agent run: what the loop timed (`agent-end`'s duration) beyond the ticket's scripted duration. */
  beyondMs: number[];
  /** Of that, inside the agent's own script: the sleep's overshoot and its own `git add` and commit. */
  ownMs: number[];
  /** Of that, outside it: the process start (the spawn helper and its lane, bubblewrap, the shell) and exit. */
  startExitMs: number[];
  /** The batch's lower bound with each ticket's scripted duration replaced by its agents' own spans. */
  ownSpanBoundMs: number;
  runs: number;
};

/**
 * Where the agent time beyond the scripted durations goes, from the spans the scripted agent stamps
 * (test/fixtures/agents/sleep-agent.sh: the kernel's uptime at its start, after its sleep and at its
 * end, in `agent-span.txt` of its pass dir). Uptime has a 10 ms grain. Runs without a span file (an
 * agent killed before its end) are left out.
 */
export function agentSpanFigures(stateDir: string, events: readonly Event[], tickets: readonly SimTicket[], workers: number): AgentSpanFigures {
  const scripted = new Map(tickets.map((t) => [t.key, t.durationMs]));
  const ownSpan = new Map<string, number>();
  const figures: AgentSpanFigures = { beyondMs: [], ownMs: [], startExitMs: [], ownSpanBoundMs: Number.NaN, runs: 0 };
  for (const e of events) {
    if (e.type !== 'agent-end' || e.ticket === undefined || e.pass === undefined) continue;
    let stamps: number[];
    try {
      stamps = readFileSync(join(stateDir, 'passes', e.ticket, String(e.pass), 'agent-span.txt'), 'utf8').trim().split(/\s+/).map((s) => Number(s) * 1000);
    } catch {
      continue;
    }
    const [start, , end] = stamps;
    if (stamps.length !== 3 || !stamps.every(Number.isFinite) || start === undefined || end === undefined) continue;
    const duration = scripted.get(e.ticket) ?? 0;
    const took = Number(e.duration_ms ?? 0);
    figures.runs++;
    figures.beyondMs.push(took - duration);
    figures.ownMs.push(end - start - duration);
    figures.startExitMs.push(took - (end - start));
    ownSpan.set(e.ticket, (ownSpan.get(e.ticket) ?? 0) + (end - start));
  }
  if (figures.runs > 0) {
    const own = tickets.map((t) => ({ ...t, durationMs: ownSpan.get(t.key) ?? t.durationMs }));
    figures.ownSpanBoundMs = lowerBoundMs(own, workers).boundMs;
  }
  return figures;
}

/**
 * The bench's fields for the agents' time beyond their scripted durations (at nice 10, behind the
 * harness): what the loop timed, split into the agents' own part (the sleep's overshoot, their own add
 * and commit) and their start and exit (spawn helper and its lane, bubblewrap, shell); and the ratio
 * against the lower bound made of the agents' own spans (what the harness alone adds).
 */
export function agentSpanReport(spans: AgentSpanFigures, makespanMs: number): Record<string, number | null> {
  return {
    agent_beyond_duration_ms_p50: round(percentile(spans.beyondMs, 50)),
    agent_beyond_duration_ms_mean: round(mean(spans.beyondMs)),
    agent_own_beyond_duration_ms_p50: round(percentile(spans.ownMs, 50)),
    agent_start_exit_ms_p50: round(percentile(spans.startExitMs, 50)),
    agent_start_exit_ms_mean: round(mean(spans.startExitMs)),
    ratio_to_agent_spans: round(makespanMs / spans.ownSpanBoundMs, 3),
  };
}
