// The merge lock's read beside merges, with deferred promises (no timers): it runs at once when nothing
// holds the lock, queues when a locked section runs, and runs again under the lock when a section
// started while it read, so what it returns was never read in the middle of a merge.
import { expect, test } from 'vitest';
import { openMergeLock } from '../../../loop/land/merge-lock.ts';

function deferred() {
  let release = () => {};
  const promise = new Promise<void>((resolve) => { release = resolve; });
  return { promise, release };
}

test('a read beside merges runs at once when no locked section runs', async () => {
  const lock = openMergeLock();
  const log: string[] = [];
  expect(await lock.readBeside(async () => { log.push('read'); return 1; })).toBe(1);
  expect(log).toEqual(['read']);
});

test('a read waits for a locked section under way and runs after it', async () => {
  const lock = openMergeLock();
  const log: string[] = [];
  const merge = deferred();
  const merging = lock.withLock(async () => { log.push('merge starts'); await merge.promise; log.push('merge ends'); });
  await Promise.resolve();
  const reading = lock.readBeside(async () => { log.push('read'); return 'seen'; });
  await Promise.resolve();
  expect(log).toEqual(['merge starts']);
  merge.release();
  await merging;
  expect(await reading).toBe('seen');
  expect(log).toEqual(['merge starts', 'merge ends', 'read']);
});

test('a read during which a locked section started is read again under the lock, after the section', async () => {
  const lock = openMergeLock();
  const log: string[] = [];
  const firstRead = deferred();
  let reads = 0;
  const reading = lock.readBeside(async () => {
    reads++;
    log.push(`read ${reads}`);
    if (reads === 1) await firstRead.promise;
    return reads;
  });
  const merging = lock.withLock(async () => { log.push('merge'); });
  await merging;
  firstRead.release();
  expect(await reading).toBe(2);
  expect(log).toEqual(['read 1', 'merge', 'read 2']);
});
