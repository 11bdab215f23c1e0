// The golden cases through this checkout's oracle process: every case gives its expected exit code and
// every oracle call reads the tracker; the case format, the FIFO read counter and the pinned batch label.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ticketsText } from '../../heal/golden-build.ts';
import { loadCases } from '../../heal/golden-case.ts';
import { serveFifo } from '../../heal/golden-fifo.ts';
import { runGolden } from '../../heal/golden.ts';
import { findReceipt } from '../../oracle/receipt.ts';
import { batchLabel } from '../../trackers/batch.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/repo.ts';

const CASES = join(ROOT, 'oracle', 'cases');

test('every golden case gives its expected exit code, each oracle call reading the tracker', async () => {
  const results = await runGolden({ checkout: ROOT, casesDir: CASES, workDir: tempDir('nightshift-golden-') });
  expect(results.filter((r) => r.kind !== 'passed')).toEqual([]);
  const reads = Object.fromEntries(results.map((r) => [r.name, r.kind === 'passed' ? r.reads : []]));
  expect(reads['all-done']).toEqual([1]);
  expect(reads['tracker-unreadable']).toEqual([0]);
  // simulator cases are called twice, each call making its own requests
  expect(reads['linear-all-done']?.every((n) => n >= 1)).toBe(true);
  expect(reads['linear-all-done']).toHaveLength(2);
});

test('the cases cover the required situations', () => {
  const names = loadCases(CASES).map((c) => c.name);
  expect(names.length).toBeGreaterThanOrEqual(14);
  for (const name of ['all-done', 'one-in-progress', 'done-without-receipt', 'receipt-merge-off-target', 'receipt-without-trailer', 'replay-failed', 'canceled',
    'human-gated-with-reason', 'human-gated-without-reason', 'discovered-open', 'range-key-missing', 'empty-batch', 'tracker-malformed', 'tracker-unreadable', 'linear-5xx', 'jira-timeout',
    'github-all-done', 'github-rate-limit-recovers', 'github-5xx']) {
    expect(names).toContain(name);
  }
});

test('the discovered-work cases pin the batch label literally, and it is today\'s label', () => {
  for (const golden of loadCases(CASES).filter((c) => c.name.includes('discovered'))) {
    const labels = 'tickets' in golden.tracker ? golden.tracker.tickets.flatMap((t) => t.labels) : [];
    expect(labels).toContain('nightshift-c7098a41');
  }
  expect(batchLabel('ENG-1..ENG-2')).toBe('nightshift-c7098a41');
});

test('a receipt written by a case is one the oracle reads', () => {
  const golden = loadCases(CASES).find((c) => c.name === 'all-done')!;
  const text = ticketsText(golden, new Map([['ENG-1', 'a'.repeat(40)], ['ENG-2', 'b'.repeat(40)], ['ENG-3', 'c'.repeat(40)]]))!;
  const ticket = (JSON.parse(text) as { tickets: Array<{ comments: Array<{ body: string }> }> }).tickets[0]!;
  expect(findReceipt(ticket.comments)).toMatchObject({ kind: 'found', receipt: { ticket: 'ENG-1', merge_commit: 'a'.repeat(40), replay: 'passed', target_branch: 'main' } });
});

test('the FIFO counts each open for reading, and a reader gets the content once', async () => {
  const path = join(tempDir(), 'tickets.json');
  const fifo = await serveFifo(path, '{"a":1}');
  expect(fifo.reads()).toBe(0);
  expect(await readFile(path, 'utf8')).toBe('{"a":1}');
  // another process, as the oracle is (a synchronous read here would block the loop that feeds the FIFO)
  expect((await execa('cat', [path])).stdout).toBe('{"a":1}');
  expect(fifo.reads()).toBe(2);
  await fifo.close();
  expect(fifo.reads()).toBe(2);
});

test('a bad case is an error naming the file and the field', () => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ version: 1, name: 'bad', about: 'x', batch: 'ENG-1', tracker: { kind: 'local', project: 'ENG', tickets: [] }, expect: { exit: 3 } }));
  expect(() => loadCases(dir)).toThrow(/golden case .*bad\.json is invalid:\n {2}expect\.exit: /);
  writeFileSync(join(dir, 'bad.json'), '{');
  expect(() => loadCases(dir)).toThrow(/bad\.json is not valid JSON/);
  expect(() => loadCases(tempDir())).toThrow(/holds no golden cases/);
});
