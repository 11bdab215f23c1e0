// The batch's dependency graph, checked before any worker starts: a cycle, or a blocker that can never
// be done (not in the tracker, canceled, or outside the batch and not done), is a UsageError naming
// the tickets. Also the height of each ticket (longest chain of dependents), the scheduler's priority.
import type { Batch } from '../../trackers/batch.ts';
import { UsageError } from '../../trackers/errors.ts';
import type { BatchRead, Ticket, Tracker } from '../../trackers/types.ts';

export type GraphProblem =
  | { kind: 'missing-key'; key: string }
  | { kind: 'cycle'; keys: string[] }
  | { kind: 'missing-blocker'; ticket: string; blocker: string }
  | { kind: 'canceled-blocker'; ticket: string; blocker: string }
  | { kind: 'outside-blocker'; ticket: string; blocker: string; state: string };

/** Blockers named by batch tickets that are not batch tickets themselves. */
export function outsideBlockers(tickets: readonly Ticket[]): string[] {
  const inside = new Set(tickets.map((t) => t.key));
  return [...new Set(tickets.flatMap((t) => t.blockedBy).filter((key) => !inside.has(key)))].sort();
}

/** Every problem of the graph; `outside` holds what the tracker says of the blockers outside the batch. */
export function findGraphProblems(read: BatchRead, outside: ReadonlyMap<string, Ticket>): GraphProblem[] {
  const problems: GraphProblem[] = read.missing.map((key) => ({ kind: 'missing-key' as const, key }));
  const byKey = new Map(read.tickets.map((t) => [t.key, t]));
  for (const ticket of read.tickets) {
    for (const blocker of ticket.blockedBy) {
      const inside = byKey.get(blocker);
      const found = inside ?? outside.get(blocker);
      if (!found) problems.push({ kind: 'missing-blocker', ticket: ticket.key, blocker });
      else if (found.state === 'canceled') problems.push({ kind: 'canceled-blocker', ticket: ticket.key, blocker });
      else if (!inside && found.state !== 'done') problems.push({ kind: 'outside-blocker', ticket: ticket.key, blocker, state: found.state });
    }
  }
  for (const keys of findCycles(read.tickets)) problems.push({ kind: 'cycle', keys });
  return problems;
}

/** Strongly connected components with a cycle (Tarjan, iterative so a 5,000-ticket chain cannot overflow). */
export function findCycles(tickets: readonly Ticket[]): string[][] {
  const edges = new Map(tickets.map((t) => [t.key, t.blockedBy.filter((b) => b !== t.key)]));
  const selfLoops = tickets.filter((t) => t.blockedBy.includes(t.key)).map((t) => [t.key]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ key: string; next: number }> = [{ key: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { key: string; next: number };
      const out = edges.get(frame.key) ?? [];
      if (frame.next < out.length) {
        const to = out[frame.next++] as string;
        if (!edges.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ key: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.key, Math.min(low.get(frame.key) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.key, Math.min(low.get(parent.key) as number, low.get(frame.key) as number));
      if (low.get(frame.key) === index.get(frame.key)) {
        const component: string[] = [];
        let key: string | undefined;
        do {
          key = stack.pop() as string;
          onStack.delete(key);
          component.push(key);
        } while (key !== frame.key);
        if (component.length > 1) cycles.push(component.sort(compareKeys));
      }
    }
  }
  return [...selfLoops, ...cycles];
}

/** One line per problem, with what to do about it. */
export function describeGraphProblems(problems: readonly GraphProblem[]): string {
  return problems.map((p) => {
    switch (p.kind) {
      case 'missing-key': return `  ${p.key}: named by the batch but the tracker has no such ticket`;
      case 'cycle': return `  ${p.keys.join(' -> ')} -> ${p.keys[0] ?? ''}: these tickets block each other in a cycle`;
      case 'missing-blocker': return `  ${p.ticket}: blocked by ${p.blocker}, which the tracker does not have`;
      case 'canceled-blocker': return `  ${p.ticket}: blocked by ${p.blocker}, which is canceled`;
      case 'outside-blocker': return `  ${p.ticket}: blocked by ${p.blocker}, which is outside the batch and ${p.state}, so this run can never do it`;
    }
  }).join('\n');
}

/**
 * Reads the blockers outside the batch and throws a UsageError (exit 2) when the graph can never be
 * finished. Returns the outside blockers that are done (they count as satisfied for the ready set).
 */
export async function checkGraph(tracker: Tracker, batch: Batch, read: BatchRead): Promise<Set<string>> {
  const outside = await readOutside(tracker, batch, outsideBlockers(read.tickets));
  const problems = findGraphProblems(read, outside);
  if (problems.length > 0) {
    throw new UsageError('bad-graph', `the batch ${batch.spec} can never be finished as the tracker has it:\n${describeGraphProblems(problems)}\nFix the blockers in the tracker (or add the blocking tickets to the batch), then run again. No worker was started.`);
  }
  return new Set([...outside.values()].filter((t) => t.state === 'done').map((t) => t.key));
}

/** Reads tickets by key through the port (a batch of just those keys). */
export async function readOutside(tracker: Tracker, batch: Batch, keys: readonly string[]): Promise<Map<string, Ticket>> {
  if (keys.length === 0) return new Map();
  const read = await tracker.readBatch({ spec: keys.join(','), keys: [...keys], label: batch.label });
  const wanted = new Set(keys);
  return new Map(read.tickets.filter((t) => wanted.has(t.key)).map((t) => [t.key, t]));
}

/** Blockers a person added while the batch runs: the new outside ones are read once; the done ones count. */
export async function noteNewOutsideBlockers(tracker: Tracker, batch: Batch, read: BatchRead, known: Set<string>, done: Set<string>): Promise<void> {
  const added = outsideBlockers(read.tickets).filter((key) => !known.has(key));
  if (added.length === 0) return;
  for (const key of added) known.add(key);
  for (const t of (await readOutside(tracker, batch, added)).values()) if (t.state === 'done') done.add(t.key);
}

/** Longest chain of dependents below each ticket (0 for a ticket nothing waits on). */
export function heightsOf(tickets: readonly Ticket[]): Map<string, number> {
  const dependents = new Map<string, string[]>(tickets.map((t) => [t.key, []]));
  for (const t of tickets) for (const b of t.blockedBy) dependents.get(b)?.push(t.key);
  const height = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (root: string): void => {
    const work: Array<{ key: string; next: number }> = [{ key: root, next: 0 }];
    visiting.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { key: string; next: number };
      const below = dependents.get(frame.key) ?? [];
      if (frame.next < below.length) {
        const child = below[frame.next++] as string;
        if (!height.has(child) && !visiting.has(child)) {
          visiting.add(child);
          work.push({ key: child, next: 0 });
        }
        continue;
      }
      work.pop();
      visiting.delete(frame.key);
      height.set(frame.key, below.reduce((max, child) => Math.max(max, 1 + (height.get(child) ?? 0)), 0));
    }
  };
  for (const t of tickets) if (!height.has(t.key)) visit(t.key);
  return height;
}

export function compareKeys(a: string, b: string): number {
  const [pa = '', na = '0'] = a.split('-');
  const [pb = '', nb = '0'] = b.split('-');
  return pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1;
}

/** Longest chain of blockers above each ticket (0 for a ticket nothing blocks); ties go to the deeper. */
export function depthsOf(tickets: readonly Ticket[]): Map<string, number> {
  const byKey = new Map(tickets.map((t) => [t.key, t]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  for (const root of tickets) {
    if (depth.has(root.key)) continue;
    const work: Array<{ key: string; next: number }> = [{ key: root.key, next: 0 }];
    visiting.add(root.key);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { key: string; next: number };
      const above = byKey.get(frame.key)?.blockedBy.filter((b) => byKey.has(b)) ?? [];
      if (frame.next < above.length) {
        const blocker = above[frame.next++] as string;
        if (!depth.has(blocker) && !visiting.has(blocker)) {
          visiting.add(blocker);
          work.push({ key: blocker, next: 0 });
        }
        continue;
      }
      work.pop();
      visiting.delete(frame.key);
      depth.set(frame.key, above.reduce((max, b) => Math.max(max, 1 + (depth.get(b) ?? 0)), 0));
    }
  }
  return depth;
}
