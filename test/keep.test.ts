// Slots kept for chains (loop/keep.ts), as a pure part over scheduler views: which freed slot is kept,
// for which heir, when it is given back, and the share of slot time keeping may spend.
import { expect, test } from 'vitest';
import { openSlotKeeper } from '../loop/keep.ts';
import { ticket, view } from './helpers/views.ts';

// A-1 -> A-2 is a chain; B-1, C-1, D-1 stand alone. A-1 is landing (its agent ended); B-1 and C-1 run.
const tickets = [ticket('A-1'), ticket('A-2', ['A-1']), ticket('B-1'), ticket('C-1'), ticket('D-1')];
const landingA = view(tickets, { running: new Set(['A-1', 'B-1', 'C-1']) });

test('a slot freed while a landing is under way is kept for its heir, and given back once the heir is ready', () => {
  const keeper = openSlotKeeper(4, 0, 1);
  keeper.freed('B-1');
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), 1, 1_000);
  expect(keeper.kept()).toEqual(new Map([['A-2', 'B-1']]));
  expect(keeper.size()).toBe(1);
  // still landing: still kept, and no other slot is kept for the same heir
  keeper.freed('C-1');
  keeper.update(view(tickets, { running: new Set(['A-1']) }), new Set(['A-1']), 0, 1_050);
  expect(keeper.size()).toBe(1);
  // the oracle counts A-1: A-2 is ready, the slot is given back (the scheduler starts A-2 in it)
  keeper.update(view(tickets, { satisfied: new Set(['A-1']) }), new Set(), 0, 1_100);
  expect(keeper.size()).toBe(0);
  expect(keeper.spentMs(1_100)).toBe(100);
});

test('never the landing ticket\'s own slot, never while an unblocked ticket waits, never past the workers', () => {
  // A-1's own agent ended: its slot goes to the next ready ticket
  const own = openSlotKeeper(4, 0, 1);
  own.freed('A-1');
  own.update(landingA, new Set(['A-1']), 2, 1_000);
  expect(own.size()).toBe(0);
  // a continuation already waits (E-2, its blocker counted): the freed slot is its, nothing is kept
  const waiting = [...tickets, ticket('E-1'), ticket('E-2', ['E-1'])];
  const busy = openSlotKeeper(4, 0, 1);
  busy.freed('B-1');
  busy.update(view(waiting, { running: new Set(['A-1', 'C-1']), satisfied: new Set(['E-1']) }), new Set(['A-1']), 1, 1_000);
  expect(busy.size()).toBe(0);
  // every slot taken by running agents: nothing to keep
  const full = openSlotKeeper(1, 0, 1);
  full.freed('B-1');
  full.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), 1, 1_000);
  expect(full.size()).toBe(0);
});

test('a landing that fails gives its kept slot back', () => {
  const keeper = openSlotKeeper(4, 0, 1);
  keeper.freed('B-1');
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), 1, 1_000);
  expect(keeper.size()).toBe(1);
  // A-1's pass ended without landing: not running, not settling, not satisfied; A-2 is no longer coming
  keeper.update(view(tickets, { running: new Set(['C-1']) }), new Set(), 1, 1_200);
  expect(keeper.size()).toBe(0);
  expect(keeper.spentMs(2_000)).toBe(200);
});

test('keeping stops once kept slots have idled for the share of the slot time since the start', () => {
  // 2 workers, 10% of their slot time: 200 ms of keeping per second of run
  const keeper = openSlotKeeper(2, 0, 0.1);
  const chains = [ticket('A-1'), ticket('A-2', ['A-1']), ticket('B-1'), ticket('B-2', ['B-1']), ticket('C-1'), ticket('D-1')];
  keeper.freed('C-1');
  keeper.update(view(chains, { running: new Set(['A-1', 'B-1']) }), new Set(['A-1']), 0, 1_000);
  expect(keeper.size()).toBe(1);
  // kept 300 ms for A-2, more than 200 ms by t = 1.3 s: the next freed slot is not kept for B-2
  keeper.update(view(chains, { satisfied: new Set(['A-1']), running: new Set(['B-1']) }), new Set(), 0, 1_300);
  keeper.freed('D-1');
  keeper.update(view(chains, { satisfied: new Set(['A-1']), running: new Set(['B-1', 'A-2']) }), new Set(['B-1']), 1, 1_300);
  expect(keeper.size()).toBe(0);
  // later in the run the share allows it again
  keeper.freed('A-2');
  keeper.update(view(chains, { satisfied: new Set(['A-1', 'A-2']), running: new Set(['B-1']) }), new Set(['B-1']), 0, 5_000);
  expect(keeper.kept()).toEqual(new Map([['B-2', 'A-2']]));
});

test('over the bench\'s batch in simulated time, keeping cuts the pickup tail for a point or so of makespan', async () => {
  // the pickup model runs the loop's own scheduler and this keeper; only time is simulated (seed 1,
  // 200 tickets, 4 workers, landings of 150 ms)
  const { simulate } = await import('./bench/pickup-model.ts');
  const { generateBatch } = await import('./bench/batch.ts');
  const tickets = generateBatch({ count: 200, seed: 1, workers: 4, targetSeconds: 60 });
  const conserving = simulate(tickets, 4, 150, 'work-conserving');
  const keeping = simulate(tickets, 4, 150, 'keep-during-landing');
  expect(conserving.pickup_ms_p95).toBeGreaterThan(1_000);
  expect(keeping.pickup_ms_p95).toBeLessThan(0.7 * conserving.pickup_ms_p95);
  expect(keeping.ratio).toBeLessThan(conserving.ratio + 0.02);
});
