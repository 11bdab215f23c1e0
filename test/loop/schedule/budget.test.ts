// The three caps of a batch's budget: the batch's, one UTC day's and one ticket's, from the whole event
// history (every run of the state dir) and what this run adds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ledgerOf, openBudget } from '../../../loop/schedule/budget.ts';
import { statePaths } from '../../../loop/state/state.ts';

const paths = statePaths(mkdtempSync(join(tmpdir(), 'nightshift-budget-')));
const history = [
  { type: 'pass-end', ticket: 'ENG-1', pass: 1, cost_usd: 3, ts: '2026-12-03T23:00:00.000Z' },
  { type: 'pass-end', ticket: 'ENG-1', pass: 2, cost_usd: 2, ts: '2026-12-04T01:00:00.000Z' },
  { type: 'pass-end', ticket: 'ENG-2', pass: 1, cost_usd: 1.5, ts: '2026-12-04T02:00:00.000Z' },
  { type: 'heal-end', heal: 'h1', cost_usd: 0.5, ts: '2026-12-04T03:00:00.000Z' },
  // a pass a crash cut short: its reviews' cost still counts
  { type: 'agent-start', ticket: 'ENG-3', pass: 1, ts: '2026-12-04T04:00:00.000Z' },
  { type: 'review', ticket: 'ENG-3', pass: 1, cost_usd: 0.25, ts: '2026-12-04T04:10:00.000Z' },
];

test('the ledger sums every run per day and per ticket', () => {
  const ledger = ledgerOf(history, paths);
  expect(ledger.total).toBeCloseTo(7.25);
  expect(Object.fromEntries(ledger.byDay)).toEqual({ '2026-12-03': 3, '2026-12-04': 4.25 });
  expect(Object.fromEntries(ledger.byTicket)).toEqual({ 'ENG-1': 5, 'ENG-2': 1.5, 'ENG-3': 0.25 });
});

test('the day cap stops new passes for the rest of the day, the ticket cap for that ticket only', () => {
  let now = new Date('2026-12-04T12:00:00.000Z');
  const budget = openBudget(20, ledgerOf(history, paths), { dayUsd: 5, ticketUsd: 5, now: () => now });
  expect([budget.allowsNewPass(), budget.allowsTicket('ENG-1'), budget.allowsTicket('ENG-2')]).toEqual([true, false, true]);
  budget.add(0.75, 'ENG-2');
  expect([budget.spentToday(), budget.spentOn('ENG-2'), budget.allowsNewPass()]).toEqual([5, 2.25, false]);
  expect(budget.describe()).toBe('$8.00 of $20.00, today $5.00 of $5.00 a day, at most $5.00 a ticket');
  expect(budget.uses().map((u) => [u.scope, u.spentUsd])).toEqual([['batch', 8], ['day', 5], ['ticket:ENG-1', 5], ['ticket:ENG-2', 2.25], ['ticket:ENG-3', 0.25]]);
  // a new UTC day: the day's cap starts again, the batch's and the tickets' do not
  now = new Date('2026-12-05T00:00:01.000Z');
  expect([budget.spentToday(), budget.allowsNewPass(), budget.allowsTicket('ENG-1')]).toEqual([0, true, false]);
});
