#!/usr/bin/env node
// `node test/bench/pickup-model.ts [--json] [--tickets N] [--workers N] [--land-ms MS] [--start-ms MS] [--seeds N]`
// A discrete-event model of the bench's batch (the same seeded tickets and lower bound as bench.ts) that
// shows the trade-off behind pickup latency, without the noise of a real run. A ticket's agent frees its
// slot when it ends; its landing (verify, reviews, merge, replay, receipt, the oracle's answer) takes
// `--land-ms` more before its dependents are ready. Two ways to use the freed slot:
//   work-conserving: give it at once to the next ready ticket, as the loop does (its own scheduler,
//     loop/schedule/scheduler.ts, picks);
//   hold-for-dependent: keep it idle until the landing, for the dependent it will unblock;
//   keep-during-landing: the loop's way now (loop/schedule/keep.ts, run here): give the freed slot away, but keep
//     a slot another agent frees while a landing is under way for that landing's dependent, when the
//     dependent would likely wait long for another (by the agent durations seen so far).
// The first keeps every slot busy (makespan near its bound) but a dependent that becomes ready while all
// slots are busy waits for the next agent to end; the second starts dependents at once but idles slots;
// the third idles slots only for what is left of landings, only where the wait would be long, within a
// share of the slot time.
import { parseArgs } from 'node:util';
import { depthsOf, heightsOf } from '../../loop/schedule/graph.ts';
import { openSlotKeeper } from '../../loop/schedule/keep.ts';
import { noteReadySince, pickReady } from '../../loop/schedule/scheduler.ts';
import type { SchedulerView } from '../../loop/schedule/scheduler.ts';
import type { Ticket } from '../../trackers/types.ts';
import { generateBatch, lowerBoundMs } from './batch.ts';
import type { SimTicket } from './batch.ts';
import { percentile } from './measure.ts';

type Policy = 'work-conserving' | 'hold-for-dependent' | 'keep-during-landing';
/** Pass start to agent start in the loop: 2 ms p50 in the bench now that passes are prepared ahead (45 before). */
const START_MS = 2;

/**
 * Runs the batch through the loop's own scheduler (pickReady, noteReadySince, the graph's heights and
 * depths); only time is simulated: agents take their durations, landings take `landMs`.
 */
export function simulate(sims: readonly SimTicket[], workers: number, landMs: number, policy: Policy, startMs = START_MS) {
  const tickets: Ticket[] = sims.map((t) => ({ key: t.key, title: t.key, description: '', state: 'todo', labels: t.labels, blockedBy: t.blockedBy, comments: [] }));
  const satisfied = new Set<string>();
  const started = new Set<string>();
  const doneAt = new Map<string, number>();
  const agentStart = new Map<string, number>();
  const readySince = new Map<string, number>();
  const held = new Map<string, string>();
  const events: Array<{ at: number; kind: 'agent-end' | 'landed'; key: string }> = [];
  const view: SchedulerView = { tickets, satisfied, running: started, passesUsed: () => 0, maxPasses: 1, heights: heightsOf(tickets), depths: depthsOf(tickets), readySince };
  const duration = new Map(sims.map((t) => [t.key, t.durationMs]));
  let free = workers;
  let now = 0;
  const keeper = openSlotKeeper(workers, 0);
  const landing = new Set<string>();
  const inAgent = new Set<string>();
  const push = (event: (typeof events)[number]) => {
    events.push(event);
    events.sort((a, b) => a.at - b.at);
  };
  const start = (key: string) => {
    started.add(key);
    inAgent.add(key);
    keeper.started(key, now);
    agentStart.set(key, now + startMs);
    push({ at: now + startMs + (duration.get(key) ?? 0), kind: 'agent-end', key });
  };
  const fill = () => {
    noteReadySince(view, readySince, now);
    if (policy === 'keep-during-landing') keeper.update(view, landing, inAgent, now);
    for (const t of pickReady(view, free - keeper.size())) {
      free--;
      start(t.key);
    }
  };
  fill();
  let last = 0;
  for (let event = events.shift(); event; event = events.shift()) {
    now = event.at;
    if (event.kind === 'agent-end') {
      const heir = tickets.find((t) => t.blockedBy.includes(event.key) && !started.has(t.key) && t.blockedBy.every((b) => b === event.key || satisfied.has(b)));
      if (policy === 'hold-for-dependent' && heir) held.set(event.key, heir.key);
      else free++;
      inAgent.delete(event.key);
      if (policy === 'keep-during-landing') keeper.freed(event.key, now);
      landing.add(event.key);
      push({ at: now + landMs, kind: 'landed', key: event.key });
    } else {
      satisfied.add(event.key);
      landing.delete(event.key);
      doneAt.set(event.key, now);
      last = now;
      const heir = held.get(event.key);
      held.delete(event.key);
      if (heir) start(heir);
    }
    fill();
  }
  const pickups = tickets.filter((t) => t.blockedBy.length > 0)
    .map((t) => (agentStart.get(t.key) ?? 0) - Math.max(...t.blockedBy.map((b) => doneAt.get(b) ?? 0)));
  const { boundMs } = lowerBoundMs(sims, workers);
  return { ratio: Number((last / boundMs).toFixed(3)), pickup_ms_p50: Math.round(percentile(pickups, 50)), pickup_ms_p95: Math.round(percentile(pickups, 95)) };
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      tickets: { type: 'string', default: '200' },
      workers: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '60' },
      'land-ms': { type: 'string', default: '180' },
      'start-ms': { type: 'string', default: String(START_MS) },
      seeds: { type: 'string', default: '3' },
    },
  });
  const [count, workers, seconds, landMs, startMs, seeds] = [values.tickets, values.workers, values.seconds, values['land-ms'], values['start-ms'], values.seeds].map(Number) as [number, number, number, number, number, number];
  if (![count, workers, seconds, seeds].every((n) => Number.isInteger(n) && n > 0) || !(landMs >= 0) || !(startMs >= 0)) {
    process.stderr.write('pickup-model: --tickets, --workers, --seconds and --seeds must be positive whole numbers, --land-ms and --start-ms numbers >= 0.\n');
    process.exit(2);
  }
  const rows = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const tickets = generateBatch({ count, seed, workers, targetSeconds: seconds });
    for (const policy of ['work-conserving', 'hold-for-dependent', 'keep-during-landing'] as const) rows.push({ seed, policy, land_ms: landMs, start_ms: startMs, ...simulate(tickets, workers, landMs, policy, startMs) });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else for (const row of rows) process.stdout.write(`seed ${row.seed}  ${row.policy.padEnd(19)}  ratio ${row.ratio.toFixed(3)}  pickup p50 ${row.pickup_ms_p50} ms  p95 ${row.pickup_ms_p95} ms\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
