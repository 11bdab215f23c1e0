// Prepares a worktree before anything runs in it (an agent's pass, a finish line, a replay, the final
// audit): the set-up commands of oracle/prepare-detect.ts, paid once per set of lockfiles. The first
// preparation at a trusted commit (the target's head) installs, and the files the set-up added to the
// worktree (node_modules/, .venv/ ...) are copied to a store keyed by the commands, the lockfiles and
// manifests, the platform and node's version. Later worktrees get them as hard links (`cp -al`): a
// directory tree of links, near-zero cost, surviving nothing (a pooled worktree's `clean -ffdx` drops
// them and the next preparation links again). A store is checked against its manifest (size and mtime
// of every file) before each hand-out: a file written in place through a link is found, the entry
// dropped, and the worktree installs afresh. A worktree at another commit (a worker's branch that
// changed a lockfile) installs in place and never writes the store.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import type { SetupPlan } from './prepare-detect.ts';

export type Prepared =
  | { kind: 'none' }
  | { kind: 'cached'; key: string; ms: number }
  | { kind: 'installed'; key: string; ms: number; stored: boolean; dropped?: string }
  | { kind: 'failed'; key: string; command: string; exit: string; output: string; ms: number };

export type PrepareInput = {
  dir: string;
  plan: SetupPlan;
  cacheRoot: string;
  /** The worktree is at a commit the loop trusts (the target's head): its install may be stored. */
  trusted: boolean;
  logFile: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
};

/** Where prepared environments are kept: NIGHTSHIFT_CACHE_DIR, else the user's cache dir. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv): string {
  return env.NIGHTSHIFT_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'nightshift', 'env');
}

/** The cache key of a worktree's environment: what would make its set-up give other files. */
export function environmentKey(dir: string, plan: SetupPlan): string {
  const hash = createHash('sha256').update(JSON.stringify({ commands: plan.commands, platform: process.platform, arch: process.arch, node: process.version }));
  for (const file of plan.keyFiles) {
    const path = join(dir, file);
    hash.update(`\0${file}\0`).update(existsSync(path) ? readFileSync(path) : 'absent');
  }
  return hash.digest('hex').slice(0, 32);
}

type Manifest = Array<[path: string, size: number, mtimeMs: number]>;

function walk(root: string, rel = ''): Manifest {
  const out: Manifest = [];
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(root, path));
    else {
      const stat = lstatSync(join(root, path));
      out.push([path, stat.size, Math.floor(stat.mtimeMs)]);
    }
  }
  return out;
}

/**
 * The first file of the store that differs from its manifest, if any. The checks run 64 at a time (a
 * store of 11,000 files: about 0.3 s on a loaded 2-core host), beside the linking they vouch for.
 */
async function tampered(entry: string): Promise<string | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return 'the manifest cannot be read';
  }
  let next = 0;
  let found: string | undefined;
  const lane = async () => {
    while (found === undefined && next < manifest.length) {
      const [path, size, mtimeMs] = manifest[next++]!;
      try {
        const stat = await lstat(join(entry, 'tree', path));
        if (stat.size !== size || Math.floor(stat.mtimeMs) !== mtimeMs) found ??= `${path} changed since it was stored`;
      } catch {
        found ??= `${path} is missing`;
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return found;
}

async function run(file: string, args: string[], cwd: string): Promise<void> {
  const result = await execa(file, args, { cwd, reject: false, stdin: 'ignore', all: true });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${String(result.all ?? '').slice(-500)}`);
}

/** The top-level paths of `dir` the set-up added (untracked or ignored). */
async function addedPaths(dir: string): Promise<string[]> {
  const result = await execa('git', ['-C', dir, 'status', '--porcelain=v1', '-z', '--ignored=traditional', '--untracked-files=normal'], { reject: false, stdin: 'ignore' });
  const paths = new Set<string>();
  for (const record of result.stdout.split('\0')) {
    if (!record.startsWith('?? ') && !record.startsWith('!! ')) continue;
    const top = record.slice(3).split('/')[0];
    if (top) paths.add(top);
  }
  return [...paths].sort();
}

/** Hard-links the stored files into `dir`, replacing what is there under the same top-level names. */
async function linkInto(entry: string, dir: string): Promise<void> {
  const tops = readdirSync(join(entry, 'tree'));
  for (const top of tops) rmSync(join(dir, top), { recursive: true, force: true });
  if (tops.length > 0) await run('cp', ['-al', ...tops.map((t) => join(entry, 'tree', t)), `${dir}/`], dir);
}

async function store(entry: string, dir: string): Promise<void> {
  const staging = `${entry}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'tree'), { recursive: true });
  const tops = await addedPaths(dir);
  // a copy, not links: the worktree that installed goes on being used and must not write the store
  if (tops.length > 0) await run('cp', ['-a', ...tops.map((t) => join(dir, t)), join(staging, 'tree/')], dir);
  writeFileSync(join(staging, 'manifest.json'), JSON.stringify(walk(join(staging, 'tree'))));
  rmSync(entry, { recursive: true, force: true });
  renameSync(staging, entry);
}

async function install(input: PrepareInput, key: string, started: number): Promise<Prepared | undefined> {
  for (const command of input.plan.commands) {
    appendFileSync(input.logFile, `$ ${command}\n`);
    const before = existsSync(input.logFile) ? readFileSync(input.logFile).length : 0;
    const result = await execa('/bin/sh', ['-c', command], {
      cwd: input.dir, env: input.env, extendEnv: false, reject: false, stdin: 'ignore', all: true, timeout: input.timeoutMs, killSignal: 'SIGKILL',
    });
    appendFileSync(input.logFile, `${String(result.all ?? '')}\n`);
    if (result.exitCode !== 0) {
      const exit = result.timedOut ? 'timed out' : result.exitCode === undefined ? `signal ${result.signal ?? '?'}` : `exit ${result.exitCode}`;
      return { kind: 'failed', key, command, exit, output: readFileSync(input.logFile, 'utf8').slice(before).slice(-4_000), ms: Date.now() - started };
    }
  }
  return undefined;
}

/** Prepares the worktree at `input.dir`; never leaves a half-written store entry. */
export async function prepareWorktree(input: PrepareInput): Promise<Prepared> {
  if (input.plan.commands.length === 0) return { kind: 'none' };
  const started = Date.now();
  const key = environmentKey(input.dir, input.plan);
  const entry = join(input.cacheRoot, key);
  mkdirSync(input.cacheRoot, { recursive: true });
  mkdirSync(dirname(input.logFile), { recursive: true });
  // a set-up whose result cannot move (a Python virtualenv) runs in every worktree
  if (!input.plan.cacheable) return installHere(input, key, started, undefined);
  // a stored entry is only ever replaced whole (a rename), so a hand-out needs no lock
  const linked: Linked = await linkStored(input, entry, key, started);
  if (linked.kind === 'cached') return linked;
  if (!input.trusted) return installHere(input, key, started, linked.dropped);
  // one install per key at a time: a second trusted preparation waits, then finds the first one's store
  const release = await lockfile.lock(input.cacheRoot, { lockfilePath: `${entry}.lock`, realpath: false, retries: { retries: 1_000, factor: 1, minTimeout: 100, maxTimeout: 300 } });
  try {
    const again: Linked = linked.dropped === undefined ? await linkStored(input, entry, key, started) : linked;
    if (again.kind === 'cached') return again;
    if (again.dropped !== undefined) rmSync(entry, { recursive: true, force: true });
    const installed = await installHere(input, key, started, again.dropped);
    if (installed.kind !== 'installed') return installed;
    await store(entry, input.dir);
    return { ...installed, stored: true };
  } finally {
    await release();
  }
}

/** Links a stored entry in, checked against its manifest beside the linking; a changed store is taken back out. */
type Linked = { kind: 'cached'; key: string; ms: number } | { kind: 'missing'; dropped: string | undefined };

async function linkStored(input: PrepareInput, entry: string, key: string, started: number): Promise<Linked> {
  if (!existsSync(join(entry, 'manifest.json'))) return { kind: 'missing', dropped: undefined };
  const [dropped] = await Promise.all([tampered(entry), linkInto(entry, input.dir)]);
  if (dropped === undefined) return { kind: 'cached', key, ms: Date.now() - started };
  for (const top of readdirSync(join(entry, 'tree'))) rmSync(join(input.dir, top), { recursive: true, force: true });
  appendFileSync(input.logFile, `the stored environment ${key} was dropped: ${dropped}\n`);
  return { kind: 'missing', dropped };
}

async function installHere(input: PrepareInput, key: string, started: number, dropped: string | undefined): Promise<Prepared> {
  const failed = await install(input, key, started);
  if (failed) return failed;
  return { kind: 'installed', key, ms: Date.now() - started, stored: false, ...(dropped ? { dropped } : {}) };
}
