// The tripwire's cheap rules as pure functions: which paths a heal may change, and which added lines
// read the environment.
import { expect, test } from 'vitest';
import type { Tree } from '../../heal/tripwire-candidate.ts';
import { addedLines, envRule, pathRule } from '../../heal/tripwire-rules.ts';

const file = (id: string, mode = '100644') => ({ mode, id });
const base: Tree = new Map([
  ['loop/run/run.ts', file('1')], ['oracle/verdict.ts', file('2')], ['prompts/worker.md', file('3')], ['package.json', file('4')], ['README.md', file('5')],
]);

test('the path rule: healable folders only, no links, manifests, dotfiles or node_modules', () => {
  const head: Tree = new Map(base);
  head.set('loop/run/run.ts', file('9'));
  head.set('prompts/new.md', file('8'));
  head.delete('prompts/worker.md');
  expect(pathRule(base, head)).toEqual([]);
  head.set('oracle/verdict.ts', file('7'));
  head.set('loop/link.ts', file('6', '120000'));
  head.set('trackers/vendor', file('5', '160000'));
  head.set('trackers/.env', file('4'));
  head.set('loop/node_modules/zod/index.js', file('3'));
  head.set('loop/package.json', file('2'));
  head.set('loop/tsconfig.build.json', file('2'));
  head.set('README.md', file('1'));
  head.delete('package.json');
  expect(pathRule(base, head)).toEqual([
    'README.md: changed, but outside the healable folders (loop/, prompts/, trackers/)',
    'loop/link.ts: a symlink (a heal adds no symlinks)',
    'loop/node_modules/zod/index.js: added, but a node_modules folder could shadow a package',
    'loop/package.json: added, but package manifests, lockfiles and TypeScript configs are out of a heal\'s reach',
    'loop/tsconfig.build.json: added, but package manifests, lockfiles and TypeScript configs are out of a heal\'s reach',
    'oracle/verdict.ts: changed, but oracle/ is locked (the definition of done and the tripwire)',
    'package.json: removed, but package manifests, lockfiles and TypeScript configs are out of a heal\'s reach',
    'trackers/.env: added, but dotfiles and dot-folders are out of a heal\'s reach',
    'trackers/vendor: a submodule (a heal adds no submodules)',
  ]);
});

test('the environment rule: a new read of a named variable is rejected; passing env on is not', () => {
  const reads = ['if (process.env.FAST) return;', "const x = process['env'];", 'const on = env.NIGHTSHIFT_X === "1";', "ctx.env['SKIP']", 'deps.env?.FORCE', 'import.meta.env.MODE'];
  for (const line of reads) expect(envRule([{ path: 'trackers/local.ts', before: '', after: line }]), line).toHaveLength(1);
  const fine = ['const child = spawn(file, { env: ctx.env });', 'const env = { ...deps.env, LANG: "C" };', 'run({ env })'];
  for (const line of fine) expect(envRule([{ path: 'loop/run/run.ts', before: '', after: line }]), line).toEqual([]);
  // an existing read that moves is not new; a prompt may mention anything
  expect(envRule([{ path: 'loop/run/run.ts', before: 'a\nprocess.env.X\nb', after: 'process.env.X\na\nb' }])).toEqual([]);
  expect(envRule([{ path: 'prompts/worker.md', before: '', after: 'process.env.X' }])).toEqual([]);
});

test('added lines are a multiset difference', () => {
  expect(addedLines('a\nb\na', 'a\nb\na\na\nc')).toEqual(['a', 'c']);
});
