import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseBatch } from '../../trackers/batch.ts';
import { TrackerError } from '../../trackers/errors.ts';
import { openLocalTracker } from '../../trackers/local.ts';
import { tempDir, writeTickets } from '../helpers/repo.ts';

function fixture() {
  const path = join(tempDir(), 'tickets.json');
  writeTickets(path, 'DEMO', [
    { key: 'DEMO-1', verify: ['true'] },
    { key: 'DEMO-2', blockedBy: ['DEMO-1'] },
    { key: 'DEMO-3', state: 'done' },
    { key: 'DEMO-9', labels: [parseBatch('DEMO-1..DEMO-3').label] },
    { key: 'DEMO-10', labels: ['other'] },
  ]);
  return { path, tracker: openLocalTracker({ path, now: () => new Date('2026-01-02T03:04:05Z') }) };
}

describe('local tracker', () => {
  test('reads the range keys plus the tickets carrying the batch label', async () => {
    const { tracker } = fixture();
    const read = await tracker.readBatch(parseBatch('DEMO-1..DEMO-3'));
    expect(read.tickets.map((t) => t.key)).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3', 'DEMO-9']);
    expect(read.missing).toEqual([]);
    expect(read.tickets[1]?.blockedBy).toEqual(['DEMO-1']);
  });

  test('reports range keys the file does not have', async () => {
    const { tracker } = fixture();
    expect((await tracker.readBatch(parseBatch('DEMO-3..DEMO-5'))).missing).toEqual(['DEMO-4', 'DEMO-5']);
  });

  test('moves, comments (idempotently), labels and creates tickets with blocker edges', async () => {
    const { path, tracker } = fixture();
    await tracker.moveTicket('DEMO-1', 'in_progress');
    await tracker.comment('DEMO-1', 'hello');
    await tracker.comment('DEMO-1', 'hello');
    await tracker.addLabel('DEMO-1', 'serial');
    await tracker.addLabel('DEMO-1', 'serial');
    const created = await tracker.createTicket({ title: 'gap', description: 'found', labels: ['x'], blocks: ['DEMO-2'], blockedBy: ['DEMO-1'] });
    expect(created.key).toBe('DEMO-11');
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const byKey = Object.fromEntries(file.tickets.map((t: { key: string }) => [t.key, t]));
    expect(byKey['DEMO-1']).toMatchObject({ state: 'in_progress', labels: ['serial'], comments: [{ author: 'nightshift', body: 'hello', at: '2026-01-02T03:04:05.000Z' }] });
    expect(byKey['DEMO-2'].blockedBy).toEqual(['DEMO-1', 'DEMO-11']);
    expect(byKey['DEMO-11']).toMatchObject({ title: 'gap', state: 'todo', labels: ['x'], blockedBy: ['DEMO-1'] });
  });

  test('a failed change writes nothing', async () => {
    const { path, tracker } = fixture();
    const before = readFileSync(path, 'utf8');
    await expect(tracker.moveTicket('DEMO-77', 'done')).rejects.toThrow(/DEMO-77 is not in tickets file/);
    await expect(tracker.createTicket({ title: 't', description: '', labels: [], blocks: ['DEMO-404'], blockedBy: [] })).rejects.toThrow(/DEMO-404/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  test('concurrent writers lose no update (lock + atomic rename)', async () => {
    const { path } = fixture();
    const writers = Array.from({ length: 4 }, () => openLocalTracker({ path }));
    await Promise.all(Array.from({ length: 24 }, (_, i) => writers[i % 4]!.comment('DEMO-2', `comment ${i}`)));
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const bodies = file.tickets.find((t: { key: string }) => t.key === 'DEMO-2').comments.map((c: { body: string }) => c.body);
    expect(bodies.sort()).toEqual(Array.from({ length: 24 }, (_, i) => `comment ${i}`).sort());
  });

  test('invalid JSON names the file and the position, and nothing is rewritten', async () => {
    const { path, tracker } = fixture();
    writeFileSync(path, '{"project": "DEMO", "tickets": [');
    const error = await tracker.readBatch(parseBatch('DEMO-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackerError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/not valid JSON/);
    await expect(tracker.comment('DEMO-1', 'x')).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(path, 'utf8')).toBe('{"project": "DEMO", "tickets": [');
  });

  test('a schema problem is reported with its dotted JSON path', async () => {
    const { path, tracker } = fixture();
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.tickets[1].state = 'doing';
    file.tickets[2].blockedBy = ['not a key'];
    writeFileSync(path, JSON.stringify(file));
    const message = await tracker.readBatch(parseBatch('DEMO-1')).catch((e: Error) => e.message);
    expect(message).toContain('tickets.1.state');
    expect(message).toContain('tickets.2.blockedBy.0');
  });

  test('duplicate keys and keys outside the project are errors', async () => {
    const { path, tracker } = fixture();
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.tickets.push({ ...file.tickets[0] });
    writeFileSync(path, JSON.stringify(file));
    await expect(tracker.readBatch(parseBatch('DEMO-1'))).rejects.toThrow(/tickets\.5\.key: DEMO-1 appears twice/);
    file.tickets.pop();
    file.tickets.push({ ...file.tickets[0], key: 'OPS-1' });
    writeFileSync(path, JSON.stringify(file));
    await expect(tracker.readBatch(parseBatch('DEMO-1'))).rejects.toThrow(/OPS-1 is not in project DEMO/);
  });

  test('a missing file says how to get one', async () => {
    const tracker = openLocalTracker({ path: join(tempDir(), 'nope.json') });
    await expect(tracker.readBatch(parseBatch('DEMO-1'))).rejects.toThrow(/does not exist.*--tickets FILE/);
  });

  test('a text read before is not parsed again, yet every change on disk is seen and a failed change leaves nothing behind', async () => {
    const { path, tracker } = fixture();
    const batch = parseBatch('DEMO-1..DEMO-3');
    const first = await tracker.readBatch(batch);
    first.tickets[0]?.labels.push('mutated by a caller');
    // the same text: the same tickets, unharmed by what a caller did to an earlier answer
    expect((await tracker.readBatch(batch)).tickets[0]?.labels).toEqual([]);
    // a person edits the file: the next read sees it
    const edited = JSON.parse(readFileSync(path, 'utf8')) as { tickets: Array<{ key: string; title: string }> };
    edited.tickets[0]!.title = 'edited by a person';
    writeFileSync(path, JSON.stringify(edited));
    expect((await tracker.readBatch(batch)).tickets[0]?.title).toBe('edited by a person');
    // a change that fails (no such ticket) writes nothing and changes nothing read later
    const before = readFileSync(path, 'utf8');
    await expect(tracker.createTicket({ title: 'x', description: '', labels: [], blocks: ['DEMO-1'], blockedBy: ['DEMO-404'] })).rejects.toThrow(/DEMO-404/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    // a change made: read back from what was written, and again after a person's edit of it
    await tracker.moveTicket('DEMO-2', 'in_progress');
    expect((await tracker.readBatch(batch)).tickets.map((t) => [t.key, t.state, t.blockedBy])).toEqual([
      ['DEMO-1', 'todo', []], ['DEMO-2', 'in_progress', ['DEMO-1']], ['DEMO-3', 'done', []], ['DEMO-9', 'todo', []],
    ]);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"in_progress"', '"todo"'));
    expect((await tracker.readBatch(batch)).tickets[1]?.state).toBe('todo');
  });
});
