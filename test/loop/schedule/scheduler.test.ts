// The ready set, the graph check, the budget and thrash detection as pure parts, plus the graph check
// through the real command line: a batch that can never finish is exit 2 before any worker starts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { Ticket, Tracker } from '../../../trackers/types.ts';
import { parseBatch } from '../../../trackers/batch.ts';
import { UsageError } from '../../../trackers/errors.ts';
import { spentInHistory } from '../../../loop/schedule/budget.ts';
import { checkGraph, depthsOf, describeGraphProblems, findCycles, findGraphProblems, heightsOf } from '../../../loop/schedule/graph.ts';
import { countStatuses, noteReadySince, pickReady, unblockedBy } from '../../../loop/schedule/scheduler.ts';
import type { SchedulerView } from '../../../loop/schedule/scheduler.ts';
import { statePaths } from '../../../loop/state/state.ts';
import { openThrashWatch } from '../../../loop/schedule/thrash.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';
import { ticket, view } from '../../helpers/views.ts';

const keys = (tickets: Ticket[]) => tickets.map((t) => t.key);

test('the ready set: blockers must be satisfied, passes left, not running or settling; tallest chain first', () => {
  const tickets = [ticket('A-1'), ticket('A-2'), ticket('A-3', ['A-2']), ticket('A-4', ['A-3']), ticket('A-5', ['A-1'])];
  expect(keys(pickReady(view(tickets), 10))).toEqual(['A-2', 'A-1']);
  expect(keys(pickReady(view(tickets), 1))).toEqual(['A-2']);
  expect(keys(pickReady(view(tickets), 0))).toEqual([]);
  expect(keys(pickReady(view(tickets, { satisfied: new Set(['A-1', 'A-2']) }), 10))).toEqual(['A-3', 'A-5']);
  expect(keys(pickReady(view(tickets, { running: new Set(['A-2']), settling: new Set(['A-1']) }), 10))).toEqual([]);
  expect(keys(pickReady(view(tickets, { passesUsed: (k) => (k === 'A-2' ? 3 : 0) }), 10))).toEqual(['A-1']);
  expect(countStatuses(view(tickets, { satisfied: new Set(['A-1']), running: new Set(['A-2']), passesUsed: (k) => (k === 'A-5' ? 3 : 0) }))).toEqual({
    satisfied: 1, gated: 0, running: 1, settling: 0, ready: 0, blocked: 2, exhausted: 1, canceled: 0,
  });
});

test('a ticket just unblocked starts before fresh ones of the same height', () => {
  const tickets = [ticket('U-1'), ticket('U-2'), ticket('U-3', ['U-2']), ticket('U-4')];
  expect(keys(pickReady(view(tickets, { satisfied: new Set(['U-2']) }), 1))).toEqual(['U-3']);
});

test('a ticket just unblocked starts before a fresh chain head, however tall (its pickup is what people wait on)', () => {
  const tickets = [ticket('V-1'), ticket('V-2', ['V-1']), ticket('V-3', ['V-2']), ticket('V-5'), ticket('V-4', ['V-5'])];
  expect(keys(pickReady(view(tickets, { satisfied: new Set(['V-5']) }), 1))).toEqual(['V-4']);
  expect(keys(pickReady(view(tickets, { satisfied: new Set(['V-5']) }), 2))).toEqual(['V-4', 'V-1']);
});

test('continuations start in the order they became ready, so a short one is not passed over slot after slot', () => {
  // W-2 ends a chain (nothing below it), W-4 heads a taller one: W-2 has waited longer, so it goes first
  const tickets = [ticket('W-1'), ticket('W-2', ['W-1']), ticket('W-3'), ticket('W-4', ['W-3']), ticket('W-5', ['W-4']), ticket('W-6')];
  const since = new Map<string, number>();
  noteReadySince(view(tickets, { satisfied: new Set(['W-1']) }), since, 1_000);
  noteReadySince(view(tickets, { satisfied: new Set(['W-1', 'W-3']) }), since, 2_000);
  expect(since).toEqual(new Map([['W-2', 1_000], ['W-4', 2_000]]));
  const both = view(tickets, { satisfied: new Set(['W-1', 'W-3']), readySince: since });
  expect(keys(pickReady(both, 1))).toEqual(['W-2']);
  expect(keys(pickReady(both, 3))).toEqual(['W-2', 'W-4', 'W-6']);
  // without the times (a loop just started), the taller chain goes first
  expect(keys(pickReady(view(tickets, { satisfied: new Set(['W-1', 'W-3']) }), 1))).toEqual(['W-4']);
  // a ticket no longer ready (started) is forgotten, and fresh tickets are never remembered
  noteReadySince(view(tickets, { satisfied: new Set(['W-1', 'W-3']), running: new Set(['W-2']) }), since, 3_000);
  expect([...since.keys()]).toEqual(['W-4']);
});

test('the tickets landings in progress are about to unblock: every blocker satisfied or landing, in start order', () => {
  // X-2 waits on X-1 alone; X-4 on X-1 and X-3 (one landing, one not done); X-5 on X-1 and the done X-6
  const tickets = [ticket('X-1'), ticket('X-2', ['X-1']), ticket('X-3'), ticket('X-4', ['X-1', 'X-3']), ticket('X-6'), ticket('X-5', ['X-1', 'X-6']), ticket('X-7', ['X-5'])];
  const landing = new Set(['X-1']);
  const base = view(tickets, { satisfied: new Set(['X-6']), running: new Set(['X-1']) });
  expect(keys(unblockedBy(base, landing))).toEqual(['X-5', 'X-2']); // X-5 has a chain below it
  expect(keys(unblockedBy(base, new Set(['X-1', 'X-3'])))).toEqual(['X-5', 'X-2', 'X-4']);
  expect(keys(unblockedBy(base, new Set()))).toEqual([]);
  // one running already, or out of passes, is not coming
  expect(keys(unblockedBy(view(tickets, { satisfied: new Set(['X-6']), running: new Set(['X-1', 'X-2']), passesUsed: (k) => (k === 'X-5' ? 3 : 0) }), landing))).toEqual([]);
});

test('tickets labelled serial run one at a time, the others beside them', () => {
  const serial = { labels: ['serial'] };
  const tickets = [ticket('S-1', [], serial), ticket('S-2', [], serial), ticket('S-3'), ticket('S-4', [], serial)];
  expect(keys(pickReady(view(tickets), 4))).toEqual(['S-1', 'S-3']);
  expect(keys(pickReady(view(tickets, { running: new Set(['S-2']) }), 4))).toEqual(['S-3']);
});

test('heights and cycles on long chains do not overflow the stack', () => {
  const chain = Array.from({ length: 20_000 }, (_, i) => ticket(`C-${i + 1}`, i === 0 ? [] : [`C-${i}`]));
  expect(heightsOf(chain).get('C-1')).toBe(19_999);
  expect(findCycles(chain)).toEqual([]);
  chain[0] = ticket('C-1', ['C-20000']);
  expect(findCycles(chain)[0]?.length).toBe(20_000);
});

test('graph problems name the tickets: cycles, missing, canceled and outside blockers', () => {
  const tickets = [
    ticket('G-1', ['G-2']), ticket('G-2', ['G-3']), ticket('G-3', ['G-1']), ticket('G-4', ['G-4']),
    ticket('G-5', ['X-9']), ticket('G-6', ['X-1']), ticket('G-7', ['X-2']), ticket('G-8', ['G-9']), ticket('G-9', [], { state: 'canceled' }),
    ticket('G-10', ['X-3']),
  ];
  const outside = new Map([['X-1', ticket('X-1', [], { state: 'in_progress' })], ['X-2', ticket('X-2', [], { state: 'canceled' })], ['X-3', ticket('X-3', [], { state: 'done' })]]);
  expect(describeGraphProblems(findGraphProblems({ tickets, missing: ['G-11'] }, outside))).toMatchInlineSnapshot(`
    "  G-11: named by the batch but the tracker has no such ticket
      G-5: blocked by X-9, which the tracker does not have
      G-6: blocked by X-1, which is outside the batch and in_progress, so this run can never do it
      G-7: blocked by X-2, which is canceled
      G-8: blocked by G-9, which is canceled
      G-4 -> G-4: these tickets block each other in a cycle
      G-1 -> G-2 -> G-3 -> G-1: these tickets block each other in a cycle"
  `);
});

test('checkGraph reads outside blockers through the port and counts the done ones as satisfied', async () => {
  const dir = tempDir();
  const file = writeTickets(join(dir, 't.json'), 'P', [{ key: 'P-1', blockedBy: ['P-9'] }, { key: 'P-2' }, { key: 'P-9', state: 'done' }, { key: 'P-8', state: 'todo' }]);
  const { openLocalTracker } = await import('../../../trackers/local.ts');
  const tracker: Tracker = openLocalTracker({ path: file });
  const batch = parseBatch('P-1..P-2');
  expect([...await checkGraph(tracker, batch, await tracker.readBatch(batch))]).toEqual(['P-9']);
  writeTickets(file, 'P', [{ key: 'P-1', blockedBy: ['P-8'] }, { key: 'P-2' }, { key: 'P-8' }]);
  const error = await checkGraph(tracker, batch, await tracker.readBatch(batch)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toContain('P-1: blocked by P-8, which is outside the batch and todo');
});

test('the budget counts finished passes once, a pass cut short by a crash from its result file, and heals', () => {
  const paths = statePaths(tempDir());
  mkdirSync(paths.passDir('B-2', 1), { recursive: true });
  writeFileSync(join(paths.passDir('B-2', 1), 'result.json'), JSON.stringify({ status: 'complete', cost_usd: 0.25 }));
  const events = [
    { type: 'agent-start', ticket: 'B-1', pass: 1 }, { type: 'review', ticket: 'B-1', pass: 1, cost_usd: 0.1 },
    { type: 'pass-end', ticket: 'B-1', pass: 1, cost_usd: 0.6 },
    { type: 'agent-start', ticket: 'B-2', pass: 1 }, { type: 'review', ticket: 'B-2', pass: 1, cost_usd: 0.05 },
    { type: 'agent-start', ticket: 'B-3', pass: 1 },
  ];
  expect(spentInHistory(events, paths)).toBeCloseTo(0.9);
  expect(existsSync(paths.passDir('B-3', 1))).toBe(false);
  // a heal's agent (between loop processes) and the blocked-check of a pass cut short count too
  const more = [...events,
    { type: 'heal-start', heal: 'h1' }, { type: 'heal-end', heal: 'h1', cost_usd: 0.3 },
    { type: 'agent-start', ticket: 'B-4', pass: 1 }, { type: 'blocked-check', ticket: 'B-4', pass: 1, cost_usd: 0.02 },
    { type: 'blocked-check', ticket: 'B-1', pass: 1, cost_usd: 0.5 }, // already in B-1's pass-end
  ];
  expect(spentInHistory(more, paths)).toBeCloseTo(1.22);
});

test('the same finish-line failure three passes running asks for the root cause first', () => {
  const fail = (command: string) => ({ type: 'pass-end', ticket: 'T-1', finish_line_command: command, finish_line_output: `${command} failed\nline 2` });
  const watch = openThrashWatch([fail('npm test'), fail('npm test')]);
  expect(watch.rootCauseNote('T-1')).toBe('');
  watch.record('T-1', { command: 'npm test', output: 'expected 2, got 3' });
  expect(watch.streak('T-1')).toBe(3);
  expect(watch.rootCauseNote('T-1')).toContain('ROOT CAUSE FIRST. The finish line has failed the same way 3 passes running');
  expect(watch.rootCauseNote('T-1')).toContain('expected 2, got 3');
  watch.record('T-1', { command: 'npm run lint', output: '' });
  expect(watch.rootCauseNote('T-1')).toBe('');
  expect(openThrashWatch([fail('a'), fail('a'), { type: 'pass-end', ticket: 'T-1' }, fail('a')]).streak('T-1')).toBe(1);
});

test('a batch that can never be finished is exit 2 naming the tickets, and no worker starts', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const tickets = writeTickets(join(dir, 't.json'), 'CY', [
    { key: 'CY-1', blockedBy: ['CY-3'] }, { key: 'CY-2', blockedBy: ['CY-1'] }, { key: 'CY-3', blockedBy: ['CY-2'] }, { key: 'CY-4', blockedBy: ['CY-7'] },
  ]);
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, '{}');
  const agent = `command:${process.execPath} ${SCRIPTED_AGENT} ${plan}`;
  const run = await runCli(['run', 'CY-1..CY-4', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent, '--review', `${agent},${agent}`, '--state', join(dir, 'state')]);
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toContain('CY-4: blocked by CY-7, which the tracker does not have');
  expect(run.stderr).toContain('CY-1 -> CY-2 -> CY-3 -> CY-1: these tickets block each other in a cycle');
  expect(run.stderr).toContain('No worker was started');
  // the call log exists (made for the sandbox to let the scripted agent write it) but no agent wrote to it
  expect(existsSync(`${plan}.calls`) ? readFileSync(`${plan}.calls`, 'utf8') : '').toBe('');
});
