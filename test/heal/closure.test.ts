// The frozen set is computed from the code (heal/closure.ts): the real checkout's set is sound and is
// exactly what ORACLE.lock hashes; a frozen file that imports the loop, or loads a module by a computed
// path, makes it unsound (no lock is written, the lock check fails); and a heal touching any file of the
// set falls to the path rule, wherever the file lives.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { computeClosure, importsOf } from '../../heal/closure.ts';
import { readLock, writeLock } from '../../heal/lock.ts';
import type { Tree } from '../../heal/tripwire-candidate.ts';
import { pathRule } from '../../heal/tripwire-rules.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-closure-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the checkout\'s frozen set is sound, holds the oracle\'s tracker read path and no loop code, and is what ORACLE.lock hashes', () => {
  const closure = computeClosure(ROOT);
  expect(closure.problems).toEqual([]);
  expect(closure.files.filter((f) => /^(loop|prompts)\//.test(f))).toEqual([]);
  for (const f of ['oracle/verdict.ts', 'heal/supervisor.ts', 'heal/tripwire.ts', 'trackers/open.ts', 'trackers/local.ts', 'trackers/linear.ts', 'trackers/jira.ts', 'trackers/retry.ts']) expect(closure.files).toContain(f);
  // the loop's own tracker helpers stay healable
  expect(closure.files).not.toContain('trackers/local-guard.ts');
  expect(Object.keys(readLock(ROOT).files)).toEqual(closure.files);
});

test('the import scanner finds what TypeScript finds in every frozen file', () => {
  for (const file of computeClosure(ROOT).files.filter((f) => /\.(ts|mjs)$/.test(f))) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const expected = ts.preProcessFile(source, true, true).importedFiles.map((i) => i.fileName);
    expect(importsOf(source).specifiers.sort(), file).toEqual(expected.sort());
  }
});

test('a frozen file importing the loop, a computed import, or an import in a comment', () => {
  const dir = tree({
    'oracle/cli.ts': "import { x } from '../trackers/a.ts';\n// import { y } from '../loop/commented.ts';\n/* import('../loop/also-commented.ts') */\n",
    'trackers/a.ts': "export { y } from '../loop/run/run.ts';\nexport const x = 1;\n",
    'heal/cli.ts': "const name = 'run';\nawait import(`../loop/${name}.ts`);\nawait import('../trackers/b.ts');\n",
    'trackers/b.ts': 'export const b = 2;\n',
    'loop/run/run.ts': 'export const y = 1;\n',
    'ORACLE.lock': '{}',
  });
  const closure = computeClosure(dir);
  expect(closure.files).toEqual(['heal/cli.ts', 'oracle/cli.ts', 'trackers/a.ts', 'trackers/b.ts']);
  expect(closure.problems).toEqual([
    'heal/cli.ts: loads 1 module(s) by a computed path; a frozen file names what it loads',
    'trackers/a.ts: imports loop/run/run.ts; frozen code never imports loop/ (move what it needs into a frozen folder)',
  ]);
  expect(() => writeLock(dir)).toThrow(/the frozen set is unsound, nothing written/);
  expect(readFileSync(join(dir, 'ORACLE.lock'), 'utf8')).toBe('{}');
});

test('a heal touching a frozen file outside oracle/ and heal/ falls to the path rule; the loop\'s tracker helpers do not', () => {
  const file = (id: string) => ({ mode: '100644', id });
  const base: Tree = new Map([['trackers/linear.ts', file('1')], ['trackers/local-guard.ts', file('2')], ['loop/run/run.ts', file('3')]]);
  const head: Tree = new Map([['trackers/linear.ts', file('4')], ['trackers/local-guard.ts', file('5')], ['loop/run/run.ts', file('6')]]);
  expect(pathRule(base, head, new Set(computeClosure(ROOT).files))).toEqual([
    'trackers/linear.ts: changed, but it is in the frozen set (a file the oracle, the supervisor, the heal pass or the tripwire loads; listed in ORACLE.lock)',
  ]);
});
