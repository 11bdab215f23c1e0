// Slots kept for chains (loop/schedule/keep.ts), as a pure part over scheduler views: which freed slot is kept,
// for which heir, only when the heir would likely wait long otherwise, when it is given back, and the
// share of slot time keeping may spend.
import { expect, test } from 'vitest';
import { openSlotKeeper } from '../../../loop/schedule/keep.ts';
import { ticket, view } from '../../helpers/views.ts';

// A-1 -> A-2 is a chain; B-1, C-1, D-1 stand alone. A-1 is landing (its agent ended); B-1 and C-1 run.
const tickets = [ticket('A-1'), ticket('A-2', ['A-1']), ticket('B-1'), ticket('C-1'), ticket('D-1')];
const landingA = view(tickets, { running: new Set(['A-1', 'B-1', 'C-1']) });

test('a slot freed while a landing is under way is kept for its heir, and given back once the heir is ready', () => {
  const keeper = openSlotKeeper(4, 0, 1);
  keeper.freed('B-1', 1_000);
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), new Set(['C-1']), 1_000);
  expect(keeper.kept()).toEqual(new Map([['A-2', 'B-1']]));
  expect(keeper.size()).toBe(1);
  // still landing: still kept, and no other slot is kept for the same heir
  keeper.freed('C-1', 1_050);
  keeper.update(view(tickets, { running: new Set(['A-1']) }), new Set(['A-1']), new Set(), 1_050);
  expect(keeper.size()).toBe(1);
  // the oracle counts A-1: A-2 is ready, the slot is given back (the scheduler starts A-2 in it)
  keeper.update(view(tickets, { satisfied: new Set(['A-1']) }), new Set(), new Set(), 1_100);
  expect(keeper.size()).toBe(0);
  expect(keeper.spentMs(1_100)).toBe(100);
});

test('never the landing ticket\'s own slot, never while an unblocked ticket waits, never past the workers', () => {
  // A-1's own agent ended: its slot goes to the next ready ticket
  const own = openSlotKeeper(4, 0, 1);
  own.freed('A-1', 1_000);
  own.update(landingA, new Set(['A-1']), new Set(['B-1', 'C-1']), 1_000);
  expect(own.size()).toBe(0);
  // a continuation already waits (E-2, its blocker counted): the freed slot is its, nothing is kept
  const waiting = [...tickets, ticket('E-1'), ticket('E-2', ['E-1'])];
  const busy = openSlotKeeper(4, 0, 1);
  busy.freed('B-1', 1_000);
  busy.update(view(waiting, { running: new Set(['A-1', 'C-1']), satisfied: new Set(['E-1']) }), new Set(['A-1']), new Set(['C-1']), 1_000);
  expect(busy.size()).toBe(0);
  // every slot taken by running agents: nothing to keep
  const full = openSlotKeeper(1, 0, 1);
  full.freed('B-1', 1_000);
  full.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), new Set(['C-1']), 1_000);
  expect(full.size()).toBe(0);
});

test('a landing that fails gives its kept slot back', () => {
  const keeper = openSlotKeeper(4, 0, 1);
  keeper.freed('B-1', 1_000);
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1']) }), new Set(['A-1']), new Set(['C-1']), 1_000);
  expect(keeper.size()).toBe(1);
  // A-1's pass ended without landing: not running, not settling, not satisfied; A-2 is no longer coming
  keeper.update(view(tickets, { running: new Set(['C-1']) }), new Set(), new Set(['C-1']), 1_200);
  expect(keeper.size()).toBe(0);
  expect(keeper.spentMs(2_000)).toBe(200);
});

test('keeping stops once kept slots have idled for the share of the slot time since the start', () => {
  // 2 workers, 10% of their slot time: 200 ms of keeping per second of run
  const keeper = openSlotKeeper(2, 0, 0.1);
  const chains = [ticket('A-1'), ticket('A-2', ['A-1']), ticket('B-1'), ticket('B-2', ['B-1']), ticket('C-1'), ticket('D-1')];
  keeper.freed('C-1', 1_000);
  keeper.update(view(chains, { running: new Set(['A-1', 'B-1']) }), new Set(['A-1']), new Set(), 1_000);
  expect(keeper.size()).toBe(1);
  // kept 300 ms for A-2, more than 200 ms by t = 1.3 s: the next freed slot is not kept for B-2
  keeper.update(view(chains, { satisfied: new Set(['A-1']), running: new Set(['B-1']) }), new Set(), new Set(), 1_300);
  keeper.freed('D-1', 1_300);
  keeper.update(view(chains, { satisfied: new Set(['A-1']), running: new Set(['B-1', 'A-2']) }), new Set(['B-1']), new Set(['A-2']), 1_300);
  expect(keeper.size()).toBe(0);
  // later in the run the share allows it again
  keeper.freed('A-2', 5_000);
  keeper.update(view(chains, { satisfied: new Set(['A-1', 'A-2']), running: new Set(['B-1']) }), new Set(['B-1']), new Set(), 5_000);
  expect(keeper.kept()).toEqual(new Map([['B-2', 'A-2']]));
});

/** A keeper that has seen 13 agents run 1 s each, and a landing something waited on take `landingMs`. */
function seasoned(landingMs: number) {
  const keeper = openSlotKeeper(4, 0, 1);
  const chain = [ticket('Y-1'), ticket('Y-2', ['Y-1'])];
  for (let i = 1; i <= 12; i++) {
    keeper.started(`X-${i}`, 0);
    keeper.freed(`X-${i}`, 1_000);
  }
  keeper.update(view(chain), new Set(), new Set(), 1_000);
  keeper.started('Y-1', 1_000);
  keeper.freed('Y-1', 2_000);
  keeper.update(view(chain, { running: new Set(['Y-1']) }), new Set(['Y-1']), new Set(), 2_000);
  keeper.update(view(chain, { satisfied: new Set(['Y-1']) }), new Set(), new Set(), 2_000 + landingMs);
  return keeper;
}

/** At t = 10 s, B-1 frees its slot while A-1 lands; C-1 and D-1 run. Whether the slot is kept for A-2. */
function keptAt(input: { landingMs: number; landingStarted: number; cStarted: number }): boolean {
  const keeper = seasoned(input.landingMs);
  keeper.started('A-1', input.landingStarted - 1_000);
  keeper.started('B-1', 9_000);
  keeper.started('C-1', input.cStarted);
  keeper.started('D-1', 9_950);
  keeper.freed('A-1', input.landingStarted);
  keeper.freed('B-1', 10_000);
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1', 'D-1']) }), new Set(['A-1']), new Set(['C-1', 'D-1']), 10_000);
  return keeper.kept().get('A-2') === 'B-1';
}

test('once agents have been seen, a slot is kept only when the heir would likely wait long for another', () => {
  // landings take 200 ms and A-1's has 50 ms to go; every agent runs 1 s, and C-1 and D-1 (and whoever
  // took B-1's slot) have 900 ms or more left: none would end within 750 ms, so the slot is kept
  expect(keptAt({ landingMs: 200, landingStarted: 9_850, cStarted: 9_900 })).toBe(true);
  // C-1 has run 800 ms and usually ends 200 ms from now: A-2 would hardly wait, the slot is given away
  expect(keptAt({ landingMs: 200, landingStarted: 9_850, cStarted: 9_200 })).toBe(false);
  // landings take 2 s and A-1's has just begun: every agent running now ends before A-2 is ready
  expect(keptAt({ landingMs: 2_000, landingStarted: 10_000, cStarted: 9_900 })).toBe(false);
  // a landing nothing waited on (the oracle counts it only later) says nothing of how long landings take
  const keeper = seasoned(200);
  keeper.started('Z-1', 10_000);
  keeper.freed('Z-1', 11_000);
  keeper.update(view(tickets), new Set(['Z-1']), new Set(), 11_000);
  keeper.update(view(tickets, { satisfied: new Set(['Z-1']) }), new Set(), new Set(), 40_000);
  keeper.started('A-1', 40_000);
  keeper.started('B-1', 41_000);
  keeper.started('C-1', 41_900);
  keeper.started('D-1', 41_950);
  keeper.freed('A-1', 41_850);
  keeper.freed('B-1', 42_000);
  keeper.update(view(tickets, { running: new Set(['A-1', 'C-1', 'D-1']) }), new Set(['A-1']), new Set(['C-1', 'D-1']), 42_000);
  expect(keeper.kept().get('A-2')).toBe('B-1');
});

test('over the bench\'s batch in simulated time, keeping keeps the pickup tail under a second for under a point of makespan', async () => {
  // the pickup model runs the loop's own scheduler and this keeper; only time is simulated (seeds 1 to
  // 4, 200 tickets, 4 workers, landings of 150 ms)
  const { simulate } = await import('../../bench/pickup-model.ts');
  const { generateBatch } = await import('../../bench/batch.ts');
  const runs = [1, 2, 3, 4].map((seed) => {
    const tickets = generateBatch({ count: 200, seed, workers: 4, targetSeconds: 60 });
    return { conserving: simulate(tickets, 4, 150, 'work-conserving'), keeping: simulate(tickets, 4, 150, 'keep-during-landing') };
  });
  expect(Math.max(...runs.map((r) => r.conserving.pickup_ms_p95))).toBeGreaterThan(1_200);
  for (const { conserving, keeping } of runs) {
    expect(keeping.pickup_ms_p95).toBeLessThan(1_000);
    expect(keeping.ratio).toBeLessThan(conserving.ratio + 0.006);
  }
});
