// The project's layout (test/helpers/layout.ts): this checkout passes it, and a made-up tree with each
// fault it looks for (a cycle between folders, an import its README does not allow, a missing README,
// frozen code importing the loop, a file too long) fails it with each fault named; and the test projects
// of test/vitest.config.ts name files that exist.
import { existsSync, globSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { checkLayout } from './helpers/layout.ts';
import { ROOT } from './helpers/cli.ts';
import { ORACLE, SLOW, TRIPWIRE } from './vitest.config.ts';

test('this checkout: no cycles, every loop/ folder says what it may import and keeps to it, no file over 300 lines', () => {
  const layout = checkLayout(ROOT);
  expect(layout.problems).toEqual([]);
  expect(layout.units.get('loop/land')).toContain('loop/git');
  expect(layout.units.get('oracle') ?? new Set()).not.toContain('loop/run');
});

test('a tree with each fault fails with each named', () => {
  const root = mkdtempSync(join(tmpdir(), 'nightshift-layout-'));
  const put = (path: string, text: string): void => { mkdirSync(dirname(join(root, path)), { recursive: true }); writeFileSync(join(root, path), text); };
  put('loop/a/README.md', '# loop/a\nMay import: loop/b.\n');
  put('loop/a/x.ts', "import { y } from '../b/y.ts';\nexport const x = y;\n");
  put('loop/b/README.md', '# loop/b\nMay import: nothing.\n');
  put('loop/b/y.ts', "import { x } from '../a/x.ts';\nexport const y = 1;\nexport const z = x;\n");
  put('loop/c/z.ts', "import { y } from '../b/y.ts';\nexport const z = y;\n");
  put('oracle/v.ts', "import { y } from '../loop/b/y.ts';\nexport const v = y;\n");
  put('trackers/long.ts', 'export const n = 1;\n'.repeat(301));
  put('trackers/longish.ts', 'export const n = 1;\n'.repeat(201));
  const { problems, warnings } = checkLayout(root);
  expect(problems.join('\n')).toContain('import cycle between loop/a, loop/b');
  expect(problems.join('\n')).toContain('import cycle between files: loop/a/x.ts, loop/b/y.ts');
  expect(problems.join('\n')).toContain('loop/b/y.ts imports loop/a/x.ts, but loop/b/README.md does not list loop/a');
  expect(problems.join('\n')).toContain('loop/c/README.md is missing');
  expect(problems.join('\n')).toContain('frozen set: oracle/v.ts: imports loop/b/y.ts');
  expect(problems.join('\n')).toContain('trackers/long.ts has 301 lines');
  expect(warnings.join('\n')).toContain('trackers/longish.ts has 201 lines');
  expect(problems.join('\n')).not.toContain('loop/a/x.ts imports loop/b/y.ts, but');
});

test('every file the test projects name exists, so a moved suite cannot fall silently into another project', () => {
  for (const path of [...SLOW, ...ORACLE, ...TRIPWIRE]) {
    if (path.includes('*')) expect(globSync(path, { cwd: ROOT }).length, path).toBeGreaterThan(0);
    else expect(existsSync(join(ROOT, path)), path).toBe(true);
  }
});
