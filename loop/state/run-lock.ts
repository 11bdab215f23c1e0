// One loop per batch, and the clean-up after a loop that died: the run lock (proper-lockfile, taken
// over at once when its owner is gone), the agent process groups and leftover processes of the dead
// loop (reaped), and its worktrees (removed; their branches keep every commit).
import { existsSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { Git } from '../git/git.ts';
import { UsageError } from '../../trackers/errors.ts';
import { makeStateDirs, processStartTime, readProcStat, removeStateEntries } from './state.ts';
import type { StatePaths } from './state.ts';
import { isAlive, killGroup } from '../process/subprocess.ts';

/** Every process the loop starts (verify commands, the oracle) carries this, with the state dir as value. */
export const LOOP_MARKER = 'NIGHTSHIFT_LOOP_STATE';

export type RunLock = { release: () => Promise<void>; reaped: number[] };

/**
 * Takes the one-loop-per-batch lock: a second loop gets a UsageError (exit 2). A lock left by a loop
 * that died (its pid gone, or reused by another process) is taken over, and what it left is reaped.
 */
export async function acquireRunLock(paths: StatePaths, onCompromised: (error: Error) => void = () => undefined): Promise<RunLock> {
  makeStateDirs(paths);
  const pidFile = join(paths.root, 'loop.pid');
  const lockTarget = join(paths.root, 'run');
  if (!existsSync(lockTarget)) writeFileSync(lockTarget, '');
  const take = () => lockfile.lock(lockTarget, { stale: 10_000, update: 2_000, realpath: false, retries: 0, onCompromised });
  const refuse = (owner: string) => new UsageError('run-locked', `another nightshift loop (${owner}) is running this batch with state dir ${paths.root}. Wait for it to finish, or stop it, before starting another.`);
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch {
    const owner = readOwner(pidFile);
    if (owner && owner.pid !== process.pid && ownerAlive(owner)) throw refuse(`pid ${owner.pid}`);
    // proper-lockfile only unlocks its own locks: move the dead owner's aside (a rename, so of two
    // loops taking over at the same moment only one succeeds) and take a fresh one
    try {
      renameSync(`${lockTarget}.lock`, `${lockTarget}.lock.stale-${process.pid}`);
      rmSync(`${lockTarget}.lock.stale-${process.pid}`, { recursive: true, force: true });
    } catch {
      // gone already (proper-lockfile removed it as stale) or taken over by another loop: take() decides
    }
    try {
      release = await take();
    } catch {
      throw refuse('one that started at the same moment');
    }
  }
  writeFileSync(pidFile, JSON.stringify({ pid: process.pid, started: processStartTime(process.pid) ?? null }));
  return { release, reaped: reapLeftovers(paths) };
}

type Owner = { pid: number; started: number | null };

function readOwner(pidFile: string): Owner | undefined {
  if (!existsSync(pidFile)) return undefined;
  const text = readFileSync(pidFile, 'utf8').trim();
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'number') return { pid: parsed, started: null };
    const { pid, started } = parsed as Partial<Owner>;
    return Number.isInteger(pid) && (pid as number) > 0 ? { pid: pid as number, started: typeof started === 'number' ? started : null } : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and the same process (not a later one that got the pid). */
function ownerAlive(owner: Owner): boolean {
  if (!isAlive(owner.pid)) return false;
  const now = processStartTime(owner.pid);
  return owner.started === null || now === undefined || now === owner.started;
}

/**
 * Kills what a dead loop left running: the agent process groups it recorded (unless the pid now
 * belongs to another process), and every process that carries this state dir in its environment
 * (agents, their children, verify commands, the oracle). Returns the pids it signalled.
 */
export function reapLeftovers(paths: StatePaths): number[] {
  const reaped = new Set<number>();
  for (const name of readdirSync(paths.agents)) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 1 && recordedGroupIsOurs(join(paths.agents, name), pid)) {
      killGroup(pid);
      reaped.add(pid);
    }
    rmSync(join(paths.agents, name), { force: true });
  }
  for (const pid of markedProcesses(paths.root)) {
    const stat = readProcStat(pid);
    const own = readProcStat(process.pid);
    if (stat && own && stat.pgid > 1 && stat.pgid !== own.pgid) killGroup(stat.pgid);
    killGroup(pid);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    reaped.add(pid);
  }
  return [...reaped];
}

function recordedGroupIsOurs(record: string, pid: number): boolean {
  let started: number | null = null;
  try {
    const parsed = JSON.parse(readFileSync(record, 'utf8')) as { started?: unknown };
    started = typeof parsed.started === 'number' ? parsed.started : null;
  } catch {
    // an old or cut record: the pid alone
  }
  if (isAlive(pid)) {
    const now = processStartTime(pid);
    return started === null || now === undefined || now === started;
  }
  // The leader is gone; while any member of its group lives, Linux does not hand the number out again.
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids (not ours) whose environment names this state dir (Linux /proc; none elsewhere). */
function markedProcesses(root: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  const markers = [`${LOOP_MARKER}=${root}\0`, `NIGHTSHIFT_RESULT_FILE=${join(root, 'passes')}/`];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || pid <= 1) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (markers.some((m) => environ.startsWith(m) || environ.includes(`\0${m}`))) found.push(pid);
  }
  return found;
}

/** Removes the worktrees a dead loop left under the state dir (branches and their commits stay). */
export async function removeStaleWorktrees(repo: Git, paths: StatePaths): Promise<string[]> {
  const list = await repo.raw(['worktree', 'list', '--porcelain']).catch(() => '');
  const removed: string[] = [];
  const roots = [paths.root, realpathSync(paths.root)].map((root) => `${root}/`);
  for (const block of list.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path || !roots.some((root) => path.startsWith(root))) continue;
    await repo.raw(['worktree', 'remove', '--force', '--force', path]).catch(() => undefined);
    removed.push(path);
  }
  removeStateEntries(join(paths.root, 'worktrees'));
  removeStateEntries(join(paths.root, 'scratch'));
  await repo.raw(['worktree', 'prune']).catch(() => undefined);
  return removed;
}
