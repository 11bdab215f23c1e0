// Tickets and scheduler views as the scheduler's pure parts take them (scheduler and keep tests).
import { depthsOf, heightsOf } from '../../loop/schedule/graph.ts';
import type { SchedulerView } from '../../loop/schedule/scheduler.ts';
import type { Ticket } from '../../trackers/types.ts';

export function ticket(key: string, blockedBy: string[] = [], extra: Partial<Ticket> = {}): Ticket {
  return { key, title: key, description: '', state: 'todo', labels: [], blockedBy, comments: [], ...extra };
}

/** A view of `tickets` with nothing satisfied or running, 3 passes each, and the graph's heights and depths. */
export function view(tickets: Ticket[], extra: Partial<SchedulerView> = {}): SchedulerView {
  return { tickets, satisfied: new Set(), running: new Set(), passesUsed: () => 0, maxPasses: 3, heights: heightsOf(tickets), depths: depthsOf(tickets), ...extra };
}
