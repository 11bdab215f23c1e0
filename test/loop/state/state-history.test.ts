// What a restarted loop rebuilds from events.jsonl: passes spent per ticket, with passes a dead loop cut
// short given back (a kill must not starve a ticket), but only up to a cap (a pass that kills the loop
// every time must still run out).
import { expect, test } from 'vitest';
import { INTERRUPTED_REFUNDS, passesInHistory } from '../../../loop/state/state.ts';
import type { LoopEvent } from '../../../loop/state/state.ts';

const ev = (type: string, fields: Record<string, unknown> = {}): LoopEvent => ({ ts: '2026-11-21T00:00:00Z', run: 'r', type, ...fields }) as LoopEvent;
const pass = (ticket: string, n: number, ended: boolean): LoopEvent[] => [
  ev('pass-start', { ticket, pass: n }), ev('agent-start', { ticket, pass: n }),
  ...(ended ? [ev('pass-end', { ticket, pass: n, reason: `pass ${n} failed` })] : []),
];

test('ended passes count; a pass cut short by the loop dying is given back', () => {
  const history = [ev('run-start'), ...pass('A-1', 1, true), ...pass('A-2', 1, false), ev('run-start'), ...pass('A-2', 2, true)];
  const { passesUsed, passNumbers, lastNote } = passesInHistory(history);
  expect(passesUsed.get('A-1')).toBe(1);
  expect(passesUsed.get('A-2')).toBe(1);
  expect(passNumbers.get('A-2')).toBe(2);
  expect(lastNote.get('A-2')).toBe('pass 2 failed');
});

test('the pass running when the loop died is given back even without a later run-start', () => {
  expect(passesInHistory([ev('run-start'), ...pass('A-1', 1, true), ...pass('A-1', 2, false)]).passesUsed.get('A-1')).toBe(1);
});

test(`at most ${INTERRUPTED_REFUNDS} cut-short passes per ticket are given back`, () => {
  const history: LoopEvent[] = [];
  for (let n = 1; n <= INTERRUPTED_REFUNDS + 2; n++) history.push(ev('run-start'), ...pass('A-1', n, false));
  expect(passesInHistory(history).passesUsed.get('A-1')).toBe(2);
});

test('a rate-limit rerun of the same pass is not a new pass', () => {
  const history = [ev('run-start'), ...pass('A-1', 1, false), ev('agent-start', { ticket: 'A-1', pass: 1, rerun: 5 }), ev('pass-end', { ticket: 'A-1', pass: 1, reason: 'x' })];
  expect(passesInHistory(history).passesUsed.get('A-1')).toBe(1);
});
