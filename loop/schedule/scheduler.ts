// The ready set over the dependency graph, recomputed on every event: a ticket is ready when it still
// needs work, every blocker is satisfied, it is not running, it has passes left, and (for tickets
// labelled `serial`) no other serial ticket runs. Unblocked continuations start first, then longest chains.
import type { Ticket } from '../../trackers/types.ts';

export const SERIAL_LABEL = 'serial';
const GATED = 'human-gated';

export type SchedulerView = {
  tickets: readonly Ticket[];
  /** Keys the oracle counts as satisfied. */
  satisfied: ReadonlySet<string>;
  running: ReadonlySet<string>;
  passesUsed: (key: string) => number;
  maxPasses: number;
  /** Longest chain of dependents per key (graph.ts heightsOf). */
  heights?: ReadonlyMap<string, number>;
  /** Longest chain of blockers per key (graph.ts depthsOf). */
  depths?: ReadonlyMap<string, number>;
  /** Landed (or gated) by this loop since the oracle's last answer: not started again until it answers. */
  settling?: ReadonlySet<string>;
  /** When the loop first saw each ready ticket ready (ms): continuations start in the order they became ready. */
  readySince?: ReadonlyMap<string, number>;
};

export type TicketStatus = 'satisfied' | 'gated' | 'running' | 'settling' | 'ready' | 'blocked' | 'exhausted' | 'canceled';

export function statusOf(ticket: Ticket, view: SchedulerView): TicketStatus {
  if (view.satisfied.has(ticket.key)) return ticket.labels.includes(GATED) ? 'gated' : 'satisfied';
  if (ticket.labels.includes(GATED)) return 'gated';
  if (view.running.has(ticket.key)) return 'running';
  if (view.settling?.has(ticket.key)) return 'settling';
  if (ticket.state === 'canceled') return 'canceled';
  if (view.passesUsed(ticket.key) >= view.maxPasses) return 'exhausted';
  // A blocker counts only when the oracle counts it (merged and replayed, or gated by a person), or,
  // outside the batch, when the tracker had it done before the run (run.ts adds those to `satisfied`).
  return ticket.blockedBy.some((blocker) => !view.satisfied.has(blocker)) ? 'blocked' : 'ready';
}

/**
 * The tickets to start now, respecting the worker count and the serial lock. A ticket whose blockers
 * landed goes first (a chain already under way is the critical path in the making, and its pickup is
 * the latency people see), the one that has waited longest first, so no continuation is passed over
 * slot after slot; then the longest chain of dependents below (critical path first keeps the makespan
 * near its bound), then the longest chain above, then tracker order.
 */
export function pickReady(view: SchedulerView, freeSlots: number): Ticket[] {
  const byKey = new Map(view.tickets.map((t) => [t.key, t]));
  let serialRunning = [...view.running].some((key) => byKey.get(key)?.labels.includes(SERIAL_LABEL));
  const picked: Ticket[] = [];
  if (freeSlots <= 0) return picked;
  const height = (key: string) => view.heights?.get(key) ?? 0;
  const depth = (key: string) => view.depths?.get(key) ?? 0;
  const continues = (ticket: Ticket) => (ticket.blockedBy.length > 0 ? 1 : 0);
  const waited = (ticket: Ticket) => (continues(ticket) ? view.readySince?.get(ticket.key) ?? Infinity : 0);
  const longerWait = (a: Ticket, b: Ticket) => (waited(a) === waited(b) ? 0 : waited(a) < waited(b) ? -1 : 1);
  // only the ready ones are ordered: at 1,000 tickets most of the batch is done or blocked
  const order = view.tickets
    .map((ticket, position) => ({ ticket, position }))
    .filter((entry) => statusOf(entry.ticket, view) === 'ready')
    .sort((a, b) => continues(b.ticket) - continues(a.ticket) || longerWait(a.ticket, b.ticket)
      || height(b.ticket.key) - height(a.ticket.key)
      || depth(b.ticket.key) - depth(a.ticket.key) || a.position - b.position)
    .map((entry) => entry.ticket);
  for (const ticket of order) {
    if (picked.length >= freeSlots) break;
    if (ticket.labels.includes(SERIAL_LABEL)) {
      if (serialRunning) continue;
      serialRunning = true;
    }
    picked.push(ticket);
  }
  return picked;
}

/** Remembers when each continuation (a ticket with blockers) was first seen ready; forgets the rest. */
export function noteReadySince(view: SchedulerView, since: Map<string, number>, now: number): void {
  for (const ticket of view.tickets) {
    if (ticket.blockedBy.length > 0 && statusOf(ticket, view) === 'ready') {
      if (!since.has(ticket.key)) since.set(ticket.key, now);
    } else {
      since.delete(ticket.key);
    }
  }
}

/** Counts tickets per status, for the progress line and the report. */
export function countStatuses(view: SchedulerView): Record<TicketStatus, number> {
  const counts: Record<TicketStatus, number> = { satisfied: 0, gated: 0, running: 0, settling: 0, ready: 0, blocked: 0, exhausted: 0, canceled: 0 };
  for (const ticket of view.tickets) counts[statusOf(ticket, view)]++;
  return counts;
}

/**
 * The tickets that landings in progress are about to unblock, in the order they would start: each
 * would be ready were every key of `landing` satisfied, and waits on at least one of them.
 */
export function unblockedBy(view: SchedulerView, landing: ReadonlySet<string>): Ticket[] {
  if (landing.size === 0) return [];
  const waits = view.tickets.filter((t) => t.blockedBy.some((b) => landing.has(b)) && statusOf(t, view) === 'blocked');
  if (waits.length === 0) return [];
  const satisfied = new Set([...view.satisfied, ...landing]);
  return pickReady({ ...view, tickets: waits, satisfied, running: new Set() }, waits.length);
}
