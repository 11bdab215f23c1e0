// The tracker contract as one scenario every adapter must pass with the same outcome: read a range
// (missing keys reported), a ticket's life with repeated writes that must not double, labels that pull
// a ticket into the batch, discovered work with blocker edges, cancel and reopen. Used by
// test/trackers/contract.test.ts against local, linear and jira, with and without injected faults.
import { expect } from 'vitest';
import { parseBatch } from '../../trackers/batch.ts';
import type { Ticket, Tracker } from '../../trackers/types.ts';
import type { SimTicket } from './fixtures.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

export const CONTRACT_TICKETS: SimTicket[] = [
  { key: 'ENG-1', title: 'Set up the thing', description: 'Make it.\n\n```verify\nnpm test\n```', state: 'todo', labels: [], blockedBy: [], comments: [{ author: 'Ada Lovelace', body: 'first note', at: at(0) }] },
  { key: 'ENG-2', title: 'Build on it', description: 'Needs ENG-1.', state: 'todo', labels: ['backend'], blockedBy: ['ENG-1'], comments: [] },
  { key: 'ENG-3', title: 'Half way', description: '', state: 'in_progress', labels: [], blockedBy: [], comments: [] },
  { key: 'ENG-4', title: 'Done without receipt', description: 'x', state: 'done', labels: [], blockedBy: [], comments: [{ author: 'Grace Hopper', body: 'shipped?\nmaybe', at: at(1) }, { author: 'Ada Lovelace', body: 'yes', at: at(2) }] },
  { key: 'ENG-5', title: 'Dropped', description: 'y', state: 'canceled', labels: [], blockedBy: [], comments: [] },
  { key: 'ENG-6', title: 'Outside the range', description: 'z', state: 'todo', labels: [], blockedBy: [], comments: [] },
];

export const BATCH = parseBatch('ENG-1..ENG-5');

const RECEIPT = 'Merged and replayed.\n\n```nightshift-receipt\n{"version":1,"ticket":"ENG-1"}\n```';

/** The comparable part of a ticket: no URL, no timestamps of comments nightshift wrote. */
export function normalize(tickets: ReadonlyArray<Ticket | SimTicket>): unknown[] {
  return [...tickets]
    .sort((a, b) => Number(a.key.split('-')[1]) - Number(b.key.split('-')[1]))
    .map((t) => ({
      key: t.key, title: t.title, description: t.description, state: t.state,
      labels: [...t.labels].sort(), blockedBy: [...t.blockedBy].sort(),
      comments: t.comments.map((c) => (c.author === 'nightshift' ? { author: c.author, body: c.body } : { ...c })),
    }));
}

const strip = (t: SimTicket) => normalize([t])[0];
const initial = CONTRACT_TICKETS.map(strip);

export const EXPECTED_FINAL = normalize([
  { ...CONTRACT_TICKETS[0]!, state: 'done', comments: [...CONTRACT_TICKETS[0]!.comments, { author: 'nightshift', body: 'Started.', at: '' }, { author: 'nightshift', body: RECEIPT, at: '' }] },
  { ...CONTRACT_TICKETS[1]!, state: 'canceled' },
  { ...CONTRACT_TICKETS[2]!, blockedBy: ['ENG-7'] },
  CONTRACT_TICKETS[3]!,
  { ...CONTRACT_TICKETS[4]!, state: 'todo' },
  { ...CONTRACT_TICKETS[5]!, labels: [BATCH.label] },
  { key: 'ENG-7', title: 'Discovered gap', description: 'Found while working ENG-1.\n\nNot live yet.', state: 'todo', labels: [BATCH.label], blockedBy: ['ENG-1'], comments: [] },
]);

/** Runs the contract against `tracker`; `truth` reads the tracker's own state behind the adapter. */
export async function runContract(tracker: Tracker, truth: () => SimTicket[]): Promise<void> {
  const first = await tracker.readBatch(BATCH);
  expect(normalize(first.tickets)).toEqual(initial.slice(0, 5));
  expect(first.missing).toEqual([]);
  expect((await tracker.readBatch(parseBatch('ENG-4..ENG-8'))).missing).toEqual(['ENG-7', 'ENG-8']);

  await tracker.moveTicket('ENG-1', 'in_progress');
  await tracker.moveTicket('ENG-1', 'in_progress');
  await tracker.comment('ENG-1', 'Started.');
  await tracker.comment('ENG-1', 'Started.');
  await tracker.comment('ENG-1', RECEIPT);
  await tracker.moveTicket('ENG-1', 'done');
  await tracker.moveTicket('ENG-1', 'done');

  await tracker.addLabel('ENG-6', BATCH.label);
  await tracker.addLabel('ENG-6', BATCH.label);
  const created = await tracker.createTicket({
    title: 'Discovered gap', description: 'Found while working ENG-1.\n\nNot live yet.', labels: [BATCH.label], blocks: ['ENG-3'], blockedBy: ['ENG-1'],
  });
  expect(normalize([created])).toEqual([EXPECTED_FINAL[6]]);
  await expect(tracker.createTicket({ title: 'x', description: '', labels: [], blocks: ['ENG-99'], blockedBy: [] })).rejects.toMatchObject({ code: 'ticket-missing' });

  await tracker.moveTicket('ENG-2', 'canceled');
  await tracker.moveTicket('ENG-5', 'todo');

  const final = await tracker.readBatch(BATCH);
  expect(final.missing).toEqual([]);
  expect(normalize(final.tickets)).toEqual(EXPECTED_FINAL);
  expect(normalize(truth())).toEqual(EXPECTED_FINAL);
  for (const comment of final.tickets.flatMap((t) => t.comments)) expect(Number.isNaN(Date.parse(comment.at))).toBe(false);
}
