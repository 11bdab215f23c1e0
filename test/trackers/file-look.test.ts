// The guards' file comparison on real files: same, missing, different (with a copy of the bytes that
// later looks cannot change), files larger than the reused buffer, and the growing byte buffer.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { growingBytes, openFileLooker } from '../../trackers/file-look.ts';
import { tempDir } from '../helpers/repo.ts';

test('a look tells same, missing and different, and hands out a copy of different bytes', () => {
  const path = join(tempDir(), 'events.jsonl');
  const looker = openFileLooker();
  writeFileSync(path, 'one\n');
  expect(looker.look(path, Buffer.from('one\n'))).toEqual({ kind: 'same' });
  expect(looker.look(path, Buffer.from('one'))).toMatchObject({ kind: 'different' });
  expect(looker.look(path, Buffer.from('one\ntwo\n'))).toMatchObject({ kind: 'different' });
  const different = looker.look(path, Buffer.from('zero\n'));
  writeFileSync(path, 'xxx\n');
  expect(looker.look(path, Buffer.from('xxx\n'))).toEqual({ kind: 'same' });
  // the copy handed out before is not the reused buffer: the later look did not change it
  expect(different.kind === 'different' && different.bytes.toString()).toBe('one\n');
  rmSync(path);
  expect(looker.look(path, Buffer.from(''))).toEqual({ kind: 'missing' });
});

test('files far larger than the first buffer compare whole, a change in the last byte included', () => {
  const path = join(tempDir(), 'tickets.json');
  const looker = openFileLooker();
  const big = Buffer.alloc(1_500_000, 'a');
  writeFileSync(path, big);
  expect(looker.look(path, big)).toEqual({ kind: 'same' });
  const changed = Buffer.from(big);
  changed[changed.length - 1] = 'b'.charCodeAt(0);
  writeFileSync(path, changed);
  const look = looker.look(path, big);
  expect(look.kind).toBe('different');
  expect(look.kind === 'different' && look.bytes.equals(changed)).toBe(true);
  writeFileSync(path, 'small');
  expect(looker.look(path, Buffer.from('small'))).toEqual({ kind: 'same' });
});

test('growing bytes keep every append in order, across regrowth', () => {
  const bytes = growingBytes(Buffer.from('start\n'));
  const lines = Array.from({ length: 5_000 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 50)}"}\n`);
  for (const line of lines) bytes.append(Buffer.from(line));
  expect(bytes.view().toString()).toBe(`start\n${lines.join('')}`);
});
