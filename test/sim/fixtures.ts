// Fixture tickets for the tracker simulators, in the local tracker's ticket shape (DESIGN.md), and a
// seeded generator of larger batches (states, labels, blockers, comments) for tests and the benchmark.
import { z } from 'zod';
import { Comment, StateCategory as State, TicketKey } from '../../trackers/types.ts';
import type { StateCategory, Ticket } from '../../trackers/types.ts';
import { seededRandom } from './faults.ts';

/** A ticket as a simulator is seeded with it (the `url` is the simulator's to make). */
export type SimTicket = Omit<Ticket, 'url'>;

const SeedTicket = z.object({
  key: TicketKey,
  title: z.string().default(''),
  description: z.string().default(''),
  state: State.default('todo'),
  labels: z.array(z.string()).default([]),
  blockedBy: z.array(TicketKey).default([]),
  comments: z.array(Comment).default([]),
});

/** Seed tickets as a local tickets file holds them (missing fields take the file format's defaults). */
export function seedTickets(raw: readonly unknown[]): SimTicket[] {
  return raw.map((t, i) => {
    const parsed = SeedTicket.safeParse(t);
    if (!parsed.success) throw new Error(`seed ticket ${i} is not a ticket: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return parsed.data;
  });
}

/** Splits `ENG-12` into its project/team key and number. */
export function splitKey(key: string): { prefix: string; number: number } {
  const at = key.lastIndexOf('-');
  return { prefix: key.slice(0, at), number: Number(key.slice(at + 1)) };
}

const STATES: StateCategory[] = ['todo', 'todo', 'in_progress', 'done', 'canceled'];

/** `count` tickets `PREFIX-from..`, reproducible from `seed`. */
export function generateTickets(prefix: string, from: number, count: number, seed = 1): SimTicket[] {
  const random = seededRandom(seed);
  const tickets: SimTicket[] = [];
  for (let i = 0; i < count; i++) {
    const n = from + i;
    const blockedBy = i > 0 && random() < 0.2 ? [`${prefix}-${from + Math.floor(random() * i)}`] : [];
    const comments = Array.from({ length: Math.floor(random() * 3) }, (_, c) => ({
      author: 'Ada Lovelace',
      body: `note ${c + 1} on ${prefix}-${n}`,
      at: new Date(Date.UTC(2026, 0, 1, 0, i, c)).toISOString(),
    }));
    tickets.push({
      key: `${prefix}-${n}`,
      title: `Ticket ${n}`,
      description: `Do thing ${n}.\n\n\`\`\`verify\nnpm test\n\`\`\``,
      state: STATES[Math.floor(random() * STATES.length)] ?? 'todo',
      labels: random() < 0.3 ? ['backend'] : [],
      blockedBy,
      comments,
    });
  }
  return tickets;
}
