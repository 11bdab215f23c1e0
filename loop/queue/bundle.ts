// Branches between machines as git bundles kept in Redis for a day: the loop's ticket branch (with the
// target) out, the agent's new commits (from the job's base) back. Only Redis is shared; no git server
// and no credentials are exposed. A bundle is read back without `git fetch` or `git bundle unbundle`:
// both walk every worktree's HEAD, and one half made beside them (a replay worktree) fails them. Its
// pack goes through `git index-pack` (which checks every object) and its refs are returned.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Git } from '../git/git.ts';
import { captureProcess } from '../process/subprocess.ts';
import { BUNDLE_TTL_S } from './job.ts';

/** Bundles `refs` of `git` (only what `exclude` lacks) into Redis under `key`; false when there is nothing new. */
export async function putBundle(git: Git, redis: Redis, key: string, refs: string[], exclude: string[] = []): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bundle-'));
  try {
    const file = join(dir, 'pass.bundle');
    try {
      await git.raw(['bundle', 'create', '--quiet', file, ...refs, ...exclude.map((rev) => `^${rev}`)]);
    } catch (error) {
      if (/empty bundle/i.test(String((error as Error).message))) return false;
      throw error;
    }
    await redis.set(key, readFileSync(file), 'EX', BUNDLE_TTL_S);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds the objects of the bundle under `key` to the repository at `repoDir`; returns its refs (name to id). */
export async function unpackBundle(repoDir: string, redis: Redis, key: string): Promise<Map<string, string>> {
  const bytes = await redis.getBuffer(key);
  if (!bytes) throw new Error(`the bundle ${key} is not in Redis (expired or never written)`);
  const end = bytes.indexOf('\n\n');
  const header = end < 0 ? [] : bytes.subarray(0, end).toString('utf8').split('\n');
  if (!/^# v[23] git bundle$/.test(header[0] ?? '')) throw new Error(`${key} is not a git bundle`);
  const refs = new Map<string, string>();
  for (const line of header.slice(1)) {
    const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line);
    if (match?.[1] && match[2]) refs.set(match[2], match[1]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bundle-'));
  try {
    const pack = join(dir, 'pass.pack');
    writeFileSync(pack, bytes.subarray(end + 2));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const indexed = await captureProcess('sh', ['-c', 'exec git index-pack --stdin --fix-thin < "$1"', 'sh', pack], { cwd: repoDir, env, kind: 'git:index-pack' });
    if (indexed.exitCode !== 0) throw new Error(`the bundle ${key} does not unpack in ${repoDir}: ${indexed.stderr.trim().slice(-2000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return refs;
}
