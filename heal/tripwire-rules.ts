// The tripwire's cheap rules, pure functions of the trusted and the candidate tree: a heal changes only
// the healable folders, adds no symlink, submodule, dotfile, package manifest or node_modules, and adds
// no read of a named environment variable (a switch the behaviour checks would never flip).
import type { Tree } from './tripwire-candidate.ts';

/** The folders a heal may change (DESIGN.md, "Frozen vs healable"), less the frozen set's files in them. */
export const HEALABLE = ['loop', 'prompts', 'trackers'] as const;

const FORBIDDEN_NAMES = /^(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|tsconfig(\..*)?\.json|jsconfig\.json|deno\.jsonc?)$/;

/** Paths whose entry differs between the trees (added, removed, changed content or mode), sorted. */
export function changedPaths(base: Tree, head: Tree): string[] {
  const paths = new Set<string>();
  for (const [path, entry] of head) {
    const before = base.get(path);
    if (!before || before.id !== entry.id || before.mode !== entry.mode) paths.add(path);
  }
  for (const path of base.keys()) if (!head.has(path)) paths.add(path);
  return [...paths].sort();
}

function whyOutOfReach(path: string, frozen: ReadonlySet<string>): string | undefined {
  const segments = path.split('/');
  const top = segments[0] ?? '';
  const name = segments.at(-1) ?? '';
  if (path === 'ORACLE.lock') return 'the lock is out of a heal\'s reach';
  if (top === 'oracle' || top === 'heal') return `${top}/ is locked (the definition of done and the tripwire)`;
  if (top === 'test') return 'test/ is out of a heal\'s reach';
  if (frozen.has(path)) return 'it is in the frozen set (a file the oracle, the supervisor, the heal pass or the tripwire loads; listed in ORACLE.lock)';
  if (segments.some((s) => s.startsWith('.'))) return 'dotfiles and dot-folders are out of a heal\'s reach';
  if (segments.includes('node_modules')) return 'a node_modules folder could shadow a package';
  if (FORBIDDEN_NAMES.test(name)) return 'package manifests, lockfiles and TypeScript configs are out of a heal\'s reach';
  if (segments.length === 1 || !(HEALABLE as readonly string[]).includes(top)) return `outside the healable folders (${HEALABLE.map((h) => `${h}/`).join(', ')})`;
  return undefined;
}

/** One reason per changed path that breaks the path rule; `frozen` is the trusted checkout's frozen set. */
export function pathRule(base: Tree, head: Tree, frozen: ReadonlySet<string> = new Set()): string[] {
  const reasons: string[] = [];
  for (const path of changedPaths(base, head)) {
    const entry = head.get(path);
    const out = whyOutOfReach(path, frozen);
    if (out) reasons.push(`${path}: ${entry ? (base.has(path) ? 'changed' : 'added') : 'removed'}, but ${out}`);
    else if (entry?.mode === '120000') reasons.push(`${path}: a symlink (a heal adds no symlinks)`);
    else if (entry?.mode === '160000') reasons.push(`${path}: a submodule (a heal adds no submodules)`);
  }
  return reasons;
}

const ENV_READ: Array<[RegExp, string]> = [
  [/\bprocess\s*(\.\s*|\[\s*['"`])env\b/, 'process.env'],
  [/\bimport\.meta\.env\b/, 'import.meta.env'],
  [/\b(Deno|Bun)\s*\.\s*env\b/, 'a runtime env API'],
  [/\benv\s*(\?\.|\.)\s*[A-Z_][A-Z0-9_]*\b/, 'a named environment variable'],
  [/\benv\s*(\?\.)?\[\s*['"`]/, 'a named environment variable'],
  [/\bgetenv\b/, 'getenv'],
];

/** Lines of `after` that are not in `before` (a multiset difference: moved lines are not new). */
export function addedLines(before: string, after: string): string[] {
  const pool = new Map<string, number>();
  for (const line of before.split('\n')) pool.set(line, (pool.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after.split('\n')) {
    const left = pool.get(line) ?? 0;
    if (left > 0) pool.set(line, left - 1);
    else added.push(line);
  }
  return added;
}

/** One reason per changed code file that adds an environment read (passing `env` on whole stays allowed). */
export function envRule(changes: ReadonlyArray<{ path: string; before: string; after: string }>): string[] {
  const reasons: string[] = [];
  for (const change of changes) {
    if (!/\.(ts|mts|cts|js|mjs|cjs)$/.test(change.path)) continue;
    const hit = addedLines(change.before, change.after).flatMap((line) => ENV_READ.filter(([re]) => re.test(line)).map(([, what]) => what))[0];
    if (hit) reasons.push(`${change.path}: adds a read of ${hit}; an environment switch would act outside the tripwire's view (configuration is a person's change)`);
  }
  return reasons;
}
