// Linear writes through the real SDK against the loopback simulator: what a move costs once the run
// knows the issue and its team's workflow, and a workflow a person changed mid-run (the kept state is
// gone) still moves the ticket, through a fresh read.
import { randomUUID } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { openLinearTracker } from '../../trackers/linear.ts';
import { parseBatch } from '../../trackers/batch.ts';
import { generateTickets } from '../sim/fixtures.ts';
import { startLinearSim } from '../sim/linear-server.ts';
import type { LinearSim } from '../sim/linear-server.ts';

let sim: LinearSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

test('a batch read and one move teach the run the ids and the workflow: the next move is one request', async () => {
  sim = await startLinearSim({ tickets: generateTickets('ENG', 1, 3, 0) });
  const tracker = openLinearTracker({ apiKey: sim.apiKey, apiUrl: sim.url });
  await tracker.readBatch(parseBatch('ENG-1..ENG-3'));
  const first = sim.requests();
  await tracker.moveTicket('ENG-1', 'in_progress');
  expect(sim.requests() - first).toBe(2); // the issue's team's states, then the update
  const second = sim.requests();
  const points = sim.points();
  await tracker.moveTicket('ENG-2', 'done');
  expect(sim.requests() - second).toBe(1);
  expect(sim.points() - points).toBeLessThan(10);
  const read = await tracker.readBatch(parseBatch('ENG-1..ENG-3'));
  expect(Object.fromEntries(read.tickets.map((t) => [t.key, t.state]))).toMatchObject({ 'ENG-1': 'in_progress', 'ENG-2': 'done' });
  expect(sim.rejected).toEqual([]);
});

test('a workflow state removed mid-run: the kept one is refused, the states are read again and the move lands', async () => {
  sim = await startLinearSim({ tickets: generateTickets('ENG', 1, 2, 0) });
  const tracker = openLinearTracker({ apiKey: sim.apiKey, apiUrl: sim.url, gate: { baseDelayMs: 1 } });
  await tracker.readBatch(parseBatch('ENG-1..ENG-2'));
  await tracker.moveTicket('ENG-1', 'in_progress');
  await tracker.moveTicket('ENG-2', 'todo');
  // a person replaces the team's "Done" with a new completed state
  const world = sim.world;
  const done = world.states.find((s) => s.type === 'completed');
  if (!done) throw new Error('no completed state');
  const shipped = { ...done, id: randomUUID(), name: 'Shipped' };
  world.states.splice(world.states.indexOf(done), 1, shipped);
  for (const issue of world.issues) if (issue.stateId === done.id) issue.stateId = shipped.id;
  expect(world.issues.find((i) => i.number === 2)?.stateId).not.toBe(shipped.id);
  await tracker.moveTicket('ENG-2', 'done');
  const read = await tracker.readBatch(parseBatch('ENG-1..ENG-2'));
  expect(read.tickets.find((t) => t.key === 'ENG-2')?.state).toBe('done');
});
