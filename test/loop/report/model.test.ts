// The batch model folded from the event log: what it says was spent, whatever order the loop's own
// running sum (`spent_usd` on schedule events) and the passes' costs (pass-end) arrive in.
import { expect, test } from 'vitest';
import { foldEvents } from '../../../loop/report/model.ts';
import type { StampedEvent } from '../../../loop/report/model.ts';

let clock = 0;
const at = (run: string, type: string, fields: Record<string, unknown> = {}): StampedEvent =>
  ({ ts: new Date(Date.UTC(2026, 11, 5, 3, 0, clock++)).toISOString(), run, type, ...fields }) as StampedEvent;

test('spent is the money once: the loop\'s sum logged before a pass ends is not added to that pass\'s cost', () => {
  const model = foldEvents([
    at('r1', 'pass-start', { ticket: 'T-1', pass: 1 }),
    at('r1', 'pass-start', { ticket: 'T-2', pass: 1 }),
    // the loop counts a pass's cost when its agent ends, and may log a schedule before its pass-end
    at('r1', 'schedule', { counts: {}, started: [], spent_usd: 0.4 }),
    at('r1', 'pass-end', { ticket: 'T-1', pass: 1, outcome: 'merged', cost_usd: 0.4 }),
    at('r1', 'pass-end', { ticket: 'T-2', pass: 1, outcome: 'merged', cost_usd: 0.8 }),
    at('r1', 'schedule', { counts: {}, started: [], spent_usd: 1.2 }),
  ]);
  expect(model.spentUsd).toBeCloseTo(1.2, 6);
});

test('a pass a crash cut short (no pass-end) still counts through the loop\'s sum; a later run adds its passes', () => {
  const model = foldEvents([
    at('r1', 'pass-start', { ticket: 'T-1', pass: 1 }),
    at('r1', 'schedule', { counts: {}, started: [], spent_usd: 0.5 }),
    // killed here: T-1's pass never ends in r1
    at('r2', 'graph', { tickets: 1, spent_usd: 0.5 }),
    at('r2', 'pass-start', { ticket: 'T-1', pass: 2 }),
    at('r2', 'pass-end', { ticket: 'T-1', pass: 2, outcome: 'merged', cost_usd: 0.25 }),
    at('r2', 'schedule', { counts: {}, started: [], spent_usd: 0.75 }),
  ]);
  expect(model.spentUsd).toBeCloseTo(0.75, 6);
});
