// ORACLE.lock: the sha256 of every file under oracle/ and heal/ (the definition of done, its golden
// cases, the heal supervisor and the tripwire). `nightshift lock` rewrites it (a person, in a commit
// of their own); `nightshift tripwire --check-lock` fails when it is stale.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';

export const LOCKED_DIRS = ['oracle', 'heal'] as const;
export const LOCK_FILE = 'ORACLE.lock';

export const OracleLock = z.strictObject({
  version: z.literal(1),
  algorithm: z.literal('sha256'),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type OracleLock = z.infer<typeof OracleLock>;

function listFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(relative(root, join(root, rel)).split('\\').join('/'));
  }
  return out;
}

/** Hashes every file under the locked folders of `root`, sorted by path. */
export function computeLock(root: string): OracleLock {
  const files: Record<string, string> = {};
  for (const path of LOCKED_DIRS.flatMap((dir) => listFiles(root, dir)).sort()) {
    files[path] = createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
  }
  return { version: 1, algorithm: 'sha256', files };
}

export function readLock(root: string): OracleLock {
  const path = join(root, LOCK_FILE);
  const parsed = OracleLock.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a valid lock: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function writeLock(root: string): OracleLock {
  const lock = computeLock(root);
  writeFileSync(join(root, LOCK_FILE), `${JSON.stringify(lock, null, 2)}\n`);
  return lock;
}

/** Differences between a lock and the files: one line each (empty when they agree). */
export function compareLock(expected: OracleLock, actual: OracleLock): string[] {
  const problems: string[] = [];
  for (const [path, hash] of Object.entries(expected.files)) {
    const now = actual.files[path];
    if (now === undefined) problems.push(`${path}: locked but missing`);
    else if (now !== hash) problems.push(`${path}: hash differs from ${LOCK_FILE}`);
  }
  for (const path of Object.keys(actual.files)) {
    if (!(path in expected.files)) problems.push(`${path}: not in ${LOCK_FILE}`);
  }
  return problems;
}
