// ORACLE.lock: the sha256 of every file of the frozen set (heal/closure.ts: oracle/, heal/ and what their
// code imports: the definition of done, its golden cases, the supervisor, the heal pass, the tripwire,
// the oracle's tracker read path). `nightshift lock` rewrites it (a person, in a commit of their own);
// `nightshift tripwire --check-lock` fails when it is stale or the frozen set is unsound.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { computeClosure } from './closure.ts';

export const LOCK_FILE = 'ORACLE.lock';

export const OracleLock = z.strictObject({
  version: z.literal(1),
  algorithm: z.literal('sha256'),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type OracleLock = z.infer<typeof OracleLock>;

/** Hashes every file of the frozen set of `root`, sorted by path. */
export function computeLock(root: string): OracleLock {
  const files: Record<string, string> = {};
  for (const path of computeClosure(root).files) {
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

/** Rewrites the lock; refuses while the frozen set is unsound (a frozen file imports healable code). */
export function writeLock(root: string): OracleLock {
  const { problems } = computeClosure(root);
  if (problems.length > 0) throw new Error(`the frozen set is unsound, nothing written:\n${problems.map((p) => `  ${p}`).join('\n')}`);
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
