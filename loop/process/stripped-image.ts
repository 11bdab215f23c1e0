// A long-lived, light process started from TypeScript without the TypeScript stripper in it.
//
// Node strips a .ts file's types with a WebAssembly build of swc that it loads on the first .ts module
// and keeps for the life of the process: about 20 MB of a process that serves a dashboard all night.
// `execStripped` strips the types of an entry's whole static import graph here (this process has the
// stripper already), writes the JavaScript to a private temp file, and replaces this process (same pid,
// same stdio, same signals: process.execve) with a fresh node that takes its modules from that file
// through a load hook. The module URLs stay the files' own, so `import.meta.url` and relative paths
// mean what they meant; a module the walk missed (a computed dynamic import) is still loaded, by
// Node's own stripper. Where execve is not available, the caller runs in this process as before.
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Relative specifiers of static imports and re-exports; of literal dynamic imports. */
const STATIC = /(?:\bfrom\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+\.ts)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(['"])(\.{1,2}\/[^'"\n]+\.ts)\1\s*\)/g;

/**
 * The JavaScript of every .ts module the roots reach, by file URL: through static imports, and through
 * literal dynamic imports from the roots marked `dynamic` and what they reach (a command table's entry
 * names every command's module lazily: only the one command's graph belongs in its image).
 */
export function stripGraph(roots: ReadonlyArray<{ path: string; dynamic: boolean }>): Map<string, string> {
  const image = new Map<string, string>();
  const pending = roots.map((root) => ({ path: resolve(root.path), dynamic: root.dynamic }));
  const followed = new Set<string>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const url = pathToFileURL(next.path).href;
    const key = `${String(next.dynamic)} ${url}`;
    if (followed.has(key)) continue;
    followed.add(key);
    const source = image.get(url) ?? strip(readFileSync(next.path, 'utf8'));
    image.set(url, source);
    const from = dirname(next.path);
    for (const match of source.matchAll(STATIC)) pending.push({ path: resolve(from, match[2] ?? ''), dynamic: next.dynamic });
    if (next.dynamic) for (const match of source.matchAll(DYNAMIC)) pending.push({ path: resolve(from, match[2] ?? ''), dynamic: true });
  }
  return image;
}

/** Node's own stripper, without the "experimental" warning it prints once (a user would read it as ours). */
export function strip(source: string): string {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).includes('stripTypeScriptTypes')) (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emit;
  }
}

const MARK = 'nightshift.strippedImage';

/** The new process's first code (boot.mjs beside image.json): read the image, hook module loading to it, run the entry. */
const BOOT = `import { registerHooks } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const image = new Map(JSON.parse(readFileSync(join(import.meta.dirname, 'image.json'), 'utf8')));
rmSync(import.meta.dirname, { recursive: true, force: true });
registerHooks({
  load(url, context, nextLoad) {
    const source = image.get(url);
    if (source === undefined) return nextLoad(url, context);
    image.delete(url);
    return { format: 'module', source, shortCircuit: true };
  },
});
globalThis[Symbol.for(${JSON.stringify(MARK)})] = true;
const [entry, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], entry, ...rest];
await import(pathToFileURL(entry).href);
`;

export type StrippedExec = {
  /** `node <nodeFlags> <entry> <argv>` */
  entry: string;
  argv: readonly string[];
  /** modules whose literal dynamic imports are followed too (the entry's are not) */
  lazy: readonly string[];
  nodeFlags?: readonly string[];
};

/**
 * Replaces this process by `node <nodeFlags> <entry> <argv>` without the TypeScript stripper. Returns
 * false (having changed nothing) where it cannot: no process.execve (Windows, a worker thread), node's
 * own binary not executable, a module that cannot be read or is not erasable TypeScript (said on
 * stderr), already in an image. On success it does not return. A failed execve() does not throw in
 * Node 24: it aborts the process; so what could make it fail is checked before.
 */
export function execStripped({ entry, argv, lazy, nodeFlags = [] }: StrippedExec): boolean {
  if (typeof process.execve !== 'function' || inStrippedImage()) return false;
  try {
    accessSync(process.execPath, constants.X_OK);
  } catch {
    return false;
  }
  let image: Map<string, string>;
  try {
    image = stripGraph([{ path: entry, dynamic: false }, ...lazy.map((path) => ({ path, dynamic: true }))]);
  } catch (error) {
    process.stderr.write(`nightshift: running without a stripped image (about 50 MB more): ${(error as Error).message}\n`);
    return false;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-image-'));
  writeFileSync(join(dir, 'image.json'), JSON.stringify([...image]), { mode: 0o600 });
  writeFileSync(join(dir, 'boot.mjs'), BOOT, { mode: 0o600 });
  const args = [process.execPath, ...nodeFlags, join(dir, 'boot.mjs'), resolve(entry), ...argv];
  process.execve(process.execPath, args, process.env); // boot.mjs removes `dir` once it has read it
  return true;
}

/** True in a process that `execStripped` started. */
export function inStrippedImage(): boolean {
  return (globalThis as Record<symbol, unknown>)[Symbol.for(MARK)] === true;
}
