// A process replaced by its stripped image: same pid, the entry's own URL, no TypeScript stripper loaded,
// a module the walk could not see still loaded; and `nightshift serve` runs that way.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { stripGraph } from '../../../loop/process/stripped-image.ts';
import { ROOT } from '../../helpers/cli.ts';
import { startServe } from '../../helpers/serve.ts';

const IMAGE = `${ROOT}loop/process/stripped-image.ts`;
const STRIPPER = 'internal/deps/amaro';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-image-test-'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'a.ts'), `import type { B } from './b-types.ts';\nexport const a: string = 'a' as string;\nexport type A = B;\n`);
  writeFileSync(join(dir, 'lib', 'b-types.ts'), 'export type B = { b: number };\n');
  writeFileSync(join(dir, 'lib', 'lazy.ts'), `export const lazy = (n: number): number => n * 2;\n`);
  writeFileSync(join(dir, 'lib', 'hidden.ts'), `export const hidden: number = 7;\n`);
  writeFileSync(join(dir, 'entry.ts'), `import { execStripped, inStrippedImage } from ${JSON.stringify(`./${relative(dir, IMAGE)}`)};
import { a } from './lib/a.ts';
const before: number = process.pid;
const mode: string = process.argv[2] ?? '';
if (mode !== 'here') execStripped({ entry: new URL(import.meta.url).pathname, argv: ['here', String(before)], lazy: [new URL('./lib/lazy.ts', import.meta.url).pathname] });
const { lazy } = await import('./lib/lazy.ts');
const stripperBefore = process.moduleLoadList.some((m) => m.includes(${JSON.stringify(STRIPPER)}));
const name = 'hid' + 'den';
const { hidden } = await import('./lib/' + name + '.ts');
process.stdout.write(JSON.stringify({ a, lazy: lazy(21), hidden, pid: process.pid, parentPid: process.argv[3], url: import.meta.url, image: inStrippedImage(), stripperBefore, stripperAfter: process.moduleLoadList.some((m) => m.includes(${JSON.stringify(STRIPPER)})) }));
`);
  return dir;
}

test('the graph: static imports everywhere, literal dynamic imports only from the lazy roots, types erased', () => {
  const dir = project();
  const image = stripGraph([{ path: join(dir, 'entry.ts'), dynamic: false }]);
  const base = `${pathToFileURL(dir).href}/`;
  const names = [...image.keys()].filter((url) => url.startsWith(base)).map((url) => url.slice(base.length));
  expect(names.sort()).toEqual(['entry.ts', 'lib/a.ts']); // a type-only import is erased: not a module to load
  expect([...image.keys()].some((url) => url.endsWith('/loop/process/stripped-image.ts'))).toBe(true);
  expect(image.get(pathToFileURL(join(dir, 'lib', 'a.ts')).href)).not.toMatch(/: string|as string|type A/);
  const lazy = stripGraph([{ path: join(dir, 'entry.ts'), dynamic: true }]);
  expect([...lazy.keys()].some((url) => url.endsWith('/lib/lazy.ts'))).toBe(true);
  expect([...lazy.keys()].some((url) => url.endsWith('/lib/hidden.ts'))).toBe(false); // computed: not seen, loaded anyway below
});

test('the process is replaced in place by its image, without the stripper until a module the walk missed', async () => {
  const dir = project();
  const child = execa(process.execPath, [join(dir, 'entry.ts')], { cwd: dir, reject: false });
  const result = await child;
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const seen = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(seen).toMatchObject({ a: 'a', lazy: 42, hidden: 7, image: true, stripperBefore: false, stripperAfter: true });
  expect(seen.url).toBe(pathToFileURL(join(dir, 'entry.ts')).href);
  expect(String(seen.pid)).toBe(seen.parentPid); // execve: the same process, so signals and a supervisor's pid still reach it
  expect(seen.pid).toBe(child.pid);
});

test('`nightshift serve` is one process: the command line becomes the loop, which becomes its stripped image', async () => {
  const served = await startServe(['--all'], { ...process.env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'nightshift-image-state-')) }, 'cli');
  try {
    const argv = readFileSync(`/proc/${served.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.some((arg) => arg.endsWith('/boot.mjs'))).toBe(true);
    expect(argv).toContain('--max-semi-space-size=1'); // the pid the command line was started as
    expect(argv).toContain('--lite-mode');
    expect(argv).toContain(`${ROOT}loop/main.ts`);
    const answer = await fetch(`${served.url}api/batches`);
    expect(await answer.json()).toEqual({ batches: [] });
  } finally {
    await served.stop();
  }
});
