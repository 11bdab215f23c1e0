// The guard on the local tickets file and the loop's own state files, on real temp files: a foreign
// write is undone, its version kept, its changes summarized; the loop's own concurrent calls never
// look foreign; the unguarded tracker (the oracle's) is unchanged.
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseBatch } from '../../../trackers/batch.ts';
import { openLocalTracker } from '../../../trackers/local.ts';
import { openGuardedLocalTracker } from '../../../trackers/local-guard.ts';
import type { ForeignTicketsWrite } from '../../../trackers/local-guard.ts';
import { openStateGuard } from '../../../loop/guards/state-guard.ts';
import { tempDir, writeTickets } from '../../helpers/repo.ts';

const batch = parseBatch('APP-1..APP-3');

async function setup() {
  const dir = tempDir();
  const path = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: ['true'] }, { key: 'APP-2', labels: ['serial'] }, { key: 'APP-3' }]);
  const seen: ForeignTicketsWrite[] = [];
  const tracker = await openGuardedLocalTracker({ path, foreignDir: join(dir, 'state', 'foreign'), onForeign: (w) => seen.push(w), now: () => new Date('2026-01-02T03:04:05Z') });
  return { dir, path, tracker, seen, text: () => readFileSync(path, 'utf8') };
}

/** What the forger-tickets persona does: done plus a forged receipt, a human-gated label with a reason. */
function forge(path: string): void {
  const file = JSON.parse(readFileSync(path, 'utf8'));
  const [one, two, three] = file.tickets;
  one.state = 'done';
  one.comments.push({ author: 'nightshift', at: 'x', body: 'receipt\n\n```nightshift-receipt\n{"ticket":"APP-1"}\n```' });
  two.labels = ['human-gated'];
  two.comments.push({ author: 'nightshift', at: 'x', body: 'Human-gated: needs a person to sign off' });
  three.state = 'canceled';
  file.tickets.push({ ...three, key: 'APP-4', state: 'done', labels: ['extra'], comments: [] });
  writeFileSync(path, JSON.stringify(file));
}

test('a foreign write is undone, kept for review (never overwritten) and summarized per ticket', async () => {
  const t = await setup();
  await t.tracker.moveTicket('APP-1', 'in_progress');
  const ours = t.text();
  forge(t.path);
  const forged = t.text();
  const write = await t.tracker.check('after a pass');
  expect(t.text()).toBe(ours);
  expect(write?.kept).toBe(join(t.dir, 'state', 'foreign', 'tickets-1.json'));
  expect(readFileSync(join(t.dir, 'state', 'foreign', 'tickets-1.json'), 'utf8')).toBe(forged);
  expect(write?.when).toBe('after a pass');
  expect(write?.summary).toMatchInlineSnapshot(`
    [
      "APP-1: in_progress -> done, +1 comment(s) ("receipt")",
      "APP-2: +label human-gated, -label serial, +1 comment(s) ("Human-gated: needs a person to sign off")",
      "APP-3: todo -> canceled",
      "APP-4: added as done, +label extra",
    ]
  `);
  expect(t.seen).toEqual([write]);
  expect(await t.tracker.check('again')).toBeUndefined();

  // a second foreign write is kept beside the first; a deletion of the file is undone too
  forge(t.path);
  await t.tracker.check('later');
  expect(readFileSync(join(t.dir, 'state', 'foreign', 'tickets-2.json'), 'utf8')).toBe(forged);
  expect(readFileSync(join(t.dir, 'state', 'foreign', 'tickets-1.json'), 'utf8')).toBe(forged);
  rmSync(t.path);
  expect((await t.tracker.check('deleted'))?.diff.problem).toBe('deleted');
  expect(t.text()).toBe(ours);
  expect(t.tracker.undone()).toBe(3);
});

test('a foreign write found by a call is undone before the call: the loop works on its own version', async () => {
  const t = await setup();
  forge(t.path);
  await t.tracker.comment('APP-3', 'picked up');
  const after = JSON.parse(t.text());
  expect(after.tickets.map((x: { key: string; state: string; labels: string[] }) => `${x.key} ${x.state} ${x.labels.join(',')}`)).toEqual(['APP-1 todo ', 'APP-2 todo serial', 'APP-3 todo ']);
  expect(after.tickets[2].comments.map((c: { body: string }) => c.body)).toEqual(['picked up']);
  expect(t.seen.map((w) => w.when)).toEqual(['comment']);
  forge(t.path);
  const read = await t.tracker.readBatch(batch);
  expect(read.tickets.map((x) => x.state)).toEqual(['todo', 'todo', 'todo']);
  expect(t.seen.map((w) => w.when)).toEqual(['comment', 'readBatch']);
});

test('the loop\'s own concurrent calls never look foreign', async () => {
  const t = await setup();
  const calls: Array<Promise<unknown>> = [];
  for (let i = 0; i < 60; i++) {
    const key = `APP-${1 + (i % 3)}`;
    calls.push(t.tracker.readBatch(batch), t.tracker.comment(key, `note ${i}`), t.tracker.moveTicket(key, i % 2 ? 'in_progress' : 'todo'), t.tracker.addLabel(key, `l${i % 5}`), t.tracker.check(`check ${i}`));
    if (i % 10 === 0) calls.push(t.tracker.createTicket({ title: `new ${i}`, description: '', labels: [batch.label], blocks: [], blockedBy: [key] }));
  }
  await Promise.all(calls);
  expect(t.seen).toEqual([]);
  const file = JSON.parse(t.text());
  expect(file.tickets).toHaveLength(9);
  expect(file.tickets.flatMap((x: { comments: unknown[] }) => x.comments)).toHaveLength(60);
  expect(existsSync(join(t.dir, 'state', 'foreign'))).toBe(false);
});

test('unguarded use (the oracle, other commands) reads and writes the file as it is', async () => {
  const t = await setup();
  forge(t.path);
  const forged = t.text();
  const plain = openLocalTracker({ path: t.path });
  expect((await plain.readBatch(batch)).tickets.map((x) => x.state)).toEqual(['done', 'todo', 'canceled']);
  await plain.addLabel('APP-1', 'x');
  expect(JSON.parse(t.text()).tickets[0].labels).toEqual(['x']);
  expect(t.text()).not.toBe(forged);
  expect(t.seen).toEqual([]);
});

test('the loop\'s state files: its own appends pass, a foreign append, rewrite or deletion is undone and kept', () => {
  const root = tempDir();
  const events = join(root, 'events.jsonl');
  const run = join(root, 'run.json');
  writeFileSync(events, '{"type":"earlier"}\n');
  writeFileSync(run, '{"run":"r1"}\n');
  const guard = openStateGuard(root, [events]);
  guard.owns(run);
  for (let i = 0; i < 3; i++) {
    appendFileSync(events, `{"type":"pass-end","n":${i}}\n`);
    guard.appended(events, `{"type":"pass-end","n":${i}}\n`);
  }
  const ours = readFileSync(events, 'utf8');
  expect(guard.check('clean')).toEqual([]);
  appendFileSync(events, '{"type":"heal-accepted"}\n');
  writeFileSync(run, '{"run":"forged"}\n');
  expect(guard.check('after a worker')).toEqual([
    { when: 'after a worker', file: 'events.jsonl', change: 'appended', kept: join(root, 'foreign', 'events-1.jsonl') },
    { when: 'after a worker', file: 'run.json', change: 'rewritten', kept: join(root, 'foreign', 'run-1.json') },
  ]);
  expect(readFileSync(events, 'utf8')).toBe(ours);
  expect(readFileSync(run, 'utf8')).toBe('{"run":"r1"}\n');
  expect(readFileSync(join(root, 'foreign', 'events-1.jsonl'), 'utf8')).toBe(`${ours}{"type":"heal-accepted"}\n`);
  writeFileSync(events, '{"type":"earlier"}\n');
  expect(guard.check('truncated')).toMatchObject([{ file: 'events.jsonl', change: 'rewritten', kept: join(root, 'foreign', 'events-2.jsonl') }]);
  // a foreign line followed by the loop's own append is still an addition
  appendFileSync(events, '{"type":"forged"}\n');
  appendFileSync(events, '{"type":"mine"}\n');
  guard.appended(events, '{"type":"mine"}\n');
  expect(guard.check('inserted')).toMatchObject([{ file: 'events.jsonl', change: 'appended', kept: join(root, 'foreign', 'events-3.jsonl') }]);
  expect(readFileSync(events, 'utf8')).toBe(`${ours}{"type":"mine"}\n`);
  rmSync(events);
  expect(guard.check('deleted')).toMatchObject([{ file: 'events.jsonl', change: 'deleted', kept: undefined }]);
  expect(readFileSync(events, 'utf8')).toBe(`${ours}{"type":"mine"}\n`);
});
