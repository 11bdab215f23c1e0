// The project's layout, checked from the code: the import graph between folders (each sub-folder of
// loop/ is one unit, a file at loop/'s root is its own; oracle/, heal/, trackers/ are one unit each),
// what each loop/ folder says in its README.md it may import, import cycles between units and between
// files, frozen code never importing healable code (heal/closure.ts), and file sizes (over 300 lines is
// an error, over 200 a warning). `node test/helpers/layout.ts` prints the findings; `npm run check` and
// test/layout.test.ts run it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeClosure, importsOf } from '../../heal/closure.ts';

export const MAX_LINES = 300;
export const WARN_LINES = 200;
const SOURCE_DIRS = ['loop', 'oracle', 'heal', 'trackers'];
const CODE = /\.(ts|mts|mjs|js)$/;

export type Layout = {
  units: Map<string, Set<string>>;
  problems: string[];
  warnings: string[];
};

function walk(root: string, dir: string, skip: (rel: string) => boolean): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (skip(rel)) continue;
    if (entry.isDirectory()) out.push(...walk(root, rel, skip));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The unit a source file belongs to: `loop/<folder>`, `loop/<file>` at loop/'s root, or its top folder. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'loop') return parts.length > 2 ? `loop/${parts[1]}` : file;
  if (parts[0] === 'test' && parts[1] === 'sim') return 'test/sim';
  return parts[0] ?? file;
}

/** Strongly connected components of a graph with more than one node (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do { w = stack.pop(); if (w !== undefined) { on.delete(w); scc.push(w); } } while (w !== undefined && w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** What a loop/ folder's README.md allows: the units after "May import:" (`-`/`nothing` for none). */
function allowedImports(root: string, unit: string): Set<string> | string {
  const readme = join(root, unit, 'README.md');
  if (!existsSync(readme)) return `${unit}/README.md is missing: each loop/ folder says what it owns and, on a "May import:" line, which folders it may import`;
  const line = readFileSync(readme, 'utf8').split('\n').find((l) => /^may import:/i.test(l.trim()));
  if (!line) return `${unit}/README.md has no "May import:" line`;
  const list = line.replace(/^\s*may import:/i, '').replace(/\.\s*$/, '').split(',').map((s) => s.trim().replace(/^`|`$/g, '').replace(/\/$/, '')).filter((s) => s !== '' && s !== '-' && s !== 'nothing');
  return new Set(list);
}

export function checkLayout(root: string): Layout {
  const problems: string[] = [];
  const warnings: string[] = [];
  const files = SOURCE_DIRS.flatMap((d) => walk(root, d, (rel) => rel.includes('node_modules'))).filter((f) => CODE.test(f));
  const fileGraph = new Map<string, Set<string>>();
  const units = new Map<string, Set<string>>();
  const edgeWitness = new Map<string, string>();
  for (const file of files) {
    const { specifiers } = importsOf(readFileSync(join(root, file), 'utf8'));
    const targets = new Set<string>();
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), spec)).split('\\').join('/');
      if (!existsSync(join(root, target)) || !CODE.test(target)) continue;
      targets.add(target);
      const from = unitOf(file);
      const to = unitOf(target);
      if (from === to) continue;
      if (!units.has(from)) units.set(from, new Set());
      units.get(from)?.add(to);
      if (!edgeWitness.has(`${from}>${to}`)) edgeWitness.set(`${from}>${to}`, `${file} imports ${target}`);
    }
    fileGraph.set(file, targets);
  }
  for (const scc of cycles(units)) {
    const edges = [...edgeWitness.entries()].filter(([k]) => { const [a, b] = k.split('>'); return scc.includes(a ?? '') && scc.includes(b ?? ''); }).map(([, w]) => w);
    problems.push(`import cycle between ${scc.join(', ')}: ${edges.join('; ')}`);
  }
  for (const scc of cycles(fileGraph)) problems.push(`import cycle between files: ${scc.join(', ')}`);
  const loopUnits = new Set(files.map(unitOf).filter((u) => u.startsWith('loop/') && !u.endsWith('.ts') && !u.endsWith('.mjs')));
  for (const unit of [...loopUnits].sort()) {
    const allowed = allowedImports(root, unit);
    if (typeof allowed === 'string') { problems.push(allowed); continue; }
    for (const to of units.get(unit) ?? []) {
      const top = to.split('/')[0] ?? to;
      if (allowed.has(to) || (!to.startsWith('loop/') && allowed.has(top))) continue;
      problems.push(`${edgeWitness.get(`${unit}>${to}`)}, but ${unit}/README.md does not list ${to} under "May import:"`);
    }
  }
  problems.push(...computeClosure(root).problems.map((p) => `frozen set: ${p}`));
  const sized = [...files, ...walk(root, 'test', (rel) => rel.startsWith('test/fixtures') || rel.includes('node_modules')).filter((f) => CODE.test(f))];
  for (const file of sized) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n').length - 1;
    if (lines > MAX_LINES) problems.push(`${file} has ${lines} lines (at most ${MAX_LINES}: split it where it has two jobs)`);
    else if (lines > WARN_LINES) warnings.push(`${file} has ${lines} lines (over ${WARN_LINES})`);
  }
  return { units, problems, warnings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const layout = checkLayout(root);
  if (process.argv.includes('--graph')) {
    for (const [from, to] of [...layout.units.entries()].sort()) process.stdout.write(`${from} -> ${[...to].sort().join(', ')}\n`);
  }
  for (const w of layout.warnings) process.stderr.write(`layout: warning: ${w}\n`);
  for (const p of layout.problems) process.stderr.write(`layout: ${p}\n`);
  if (layout.problems.length > 0) process.exit(1);
  process.stdout.write(`layout: ok (${layout.units.size} units, no cycles, ${layout.warnings.length} files over ${WARN_LINES} lines)\n`);
}
