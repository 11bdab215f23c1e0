// The frozen set, computed from the code: every file under the frozen folders (oracle/, heal/) and every
// file their code imports, transitively (static imports, re-exports, literal dynamic imports). It is
// what ORACLE.lock hashes and what a heal may not touch. Frozen code may import trackers/ (the oracle's
// read path is then frozen with it) but never the loop or its prompts, and never by a computed path.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Folders whose every file is frozen. */
export const FROZEN_DIRS = ['oracle', 'heal'] as const;
/** Folders frozen code may never import from: a heal's own ground. */
export const NEVER_FROZEN = ['loop', 'prompts'] as const;

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

export type Closure = {
  /** Every frozen file, repo-relative with `/`, sorted. */
  files: string[];
  /** What makes the set unsound: a frozen file importing a healable folder, a computed or missing import. */
  problems: string[];
};

function listFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

/** Comments blanked (strings kept), so an import in a comment is not one. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`\\])\/\/[^\n]*/g, (match, lead: string | undefined) => (lead === undefined ? match.replace(/[^\n]/g, ' ') : `${lead}`));
}

/** The module specifiers a source file loads, and the dynamic imports whose target is computed. */
export function importsOf(source: string): { specifiers: string[]; computed: number } {
  const code = stripComments(source);
  const specifiers: string[] = [];
  const statement = /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?(['"])([^'"\n]+)\1/g;
  for (const match of code.matchAll(statement)) specifiers.push(match[2] ?? '');
  let computed = 0;
  for (const match of code.matchAll(/\b(?:import|require)\s*\(\s*([^)]*)\)/g)) {
    const literal = /^(['"])([^'"`\n]+)\1\s*$/.exec(match[1]?.trim() ?? '');
    if (literal) specifiers.push(literal[2] ?? '');
    else computed++;
  }
  return { specifiers, computed };
}

/** The frozen set of the checkout at `root`. */
export function computeClosure(root: string): Closure {
  const files = new Set<string>();
  const problems: string[] = [];
  const queue = FROZEN_DIRS.flatMap((dir) => listFiles(root, dir));
  for (const file of queue) files.add(file);
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!CODE.test(file)) continue;
    const { specifiers, computed } = importsOf(readFileSync(join(root, file), 'utf8'));
    if (computed > 0) problems.push(`${file}: loads ${computed} module(s) by a computed path; a frozen file names what it loads`);
    for (const specifier of specifiers) {
      if (!specifier.startsWith('.')) continue; // a package or node: builtin
      const target = relative(root, resolve(root, dirname(file), specifier)).split('\\').join('/');
      const top = target.split('/')[0] ?? '';
      if (target.startsWith('..')) problems.push(`${file}: imports ${specifier}, outside the checkout`);
      else if ((NEVER_FROZEN as readonly string[]).includes(top)) problems.push(`${file}: imports ${target}; frozen code never imports ${top}/ (move what it needs into a frozen folder)`);
      else if (!existsSync(join(root, target))) problems.push(`${file}: imports ${target}, which does not exist`);
      else if (!files.has(target)) {
        files.add(target);
        queue.push(target);
      }
    }
  }
  return { files: [...files].sort(), problems };
}
