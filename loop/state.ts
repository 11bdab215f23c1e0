// The run's state dir: the JSONL event log, per-ticket journals and pass files, the worktrees, and
// the lock that keeps one loop per batch. Everything here can be rebuilt from the tracker and git,
// except the history it records.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { UsageError } from '../trackers/errors.ts';
import { isAlive, killGroup } from './subprocess.ts';

export type StatePaths = {
  root: string;
  events: string;
  journal: (key: string) => string;
  passDir: (key: string, pass: number) => string;
  worktree: (key: string) => string;
  scratch: (name: string) => string;
  agents: string;
};

export function statePaths(root: string): StatePaths {
  return {
    root,
    events: join(root, 'events.jsonl'),
    journal: (key) => join(root, 'journal', `${key}.md`),
    passDir: (key, pass) => join(root, 'passes', key, String(pass)),
    worktree: (key) => join(root, 'worktrees', key),
    scratch: (name) => join(root, 'scratch', name),
    agents: join(root, 'agents'),
  };
}

/** Default state dir: outside the repo and every worktree, one per repo and batch. */
export function defaultStateDir(repo: string, label: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  const repoId = `${basename(repo)}-${createHash('sha256').update(resolve(repo)).digest('hex').slice(0, 8)}`;
  return join(base, 'nightshift', repoId, label);
}

/** One event of the JSONL log; `type` says what happened, the rest are its facts. */
export type LoopEvent = { type: string; ticket?: string; [field: string]: unknown };

export type EventLog = {
  emit: (event: LoopEvent) => void;
};

/** Appends events (one JSON object per line, with time and run id) and hands each to `listeners`. */
export function openEventLog(path: string, run: string, listeners: Array<(event: LoopEvent & { ts: string; run: string }) => void>): EventLog {
  return {
    emit(event) {
      const stamped = { ts: new Date().toISOString(), run, ...event };
      appendFileSync(path, `${JSON.stringify(stamped)}\n`);
      for (const listener of listeners) listener(stamped);
    },
  };
}

export function readEvents(path: string): Array<LoopEvent & { ts: string; run: string }> {
  if (!existsSync(path)) return [];
  const events: Array<LoopEvent & { ts: string; run: string }> = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as LoopEvent & { ts: string; run: string });
    } catch {
      // a line cut short by a crash: the rest of the log still counts
    }
  }
  return events;
}

export function appendJournal(paths: StatePaths, key: string, text: string): void {
  appendFileSync(paths.journal(key), `\n## ${new Date().toISOString()}\n${text.trim()}\n`);
}

/**
 * Takes the one-loop-per-batch lock. A lock left by a loop that died (its pid is gone) is taken over,
 * and the agent process groups it left behind are killed.
 */
export async function acquireRunLock(paths: StatePaths): Promise<{ release: () => Promise<void>; reaped: number[] }> {
  for (const dir of ['journal', 'passes', 'worktrees', 'scratch', 'agents']) mkdirSync(join(paths.root, dir), { recursive: true });
  const pidFile = join(paths.root, 'loop.pid');
  const lockTarget = join(paths.root, 'run');
  if (!existsSync(lockTarget)) writeFileSync(lockTarget, '');
  const take = () => lockfile.lock(lockTarget, { stale: 10_000, update: 2_000, realpath: false, retries: 0 });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch {
    const owner = Number(existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : NaN);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new UsageError('run-locked', `another nightshift loop (pid ${owner}) is running this batch with state dir ${paths.root}. Wait for it, or stop it, before starting another.`);
    }
    await lockfile.unlock(lockTarget, { realpath: false }).catch(() => undefined);
    release = await take();
  }
  writeFileSync(pidFile, String(process.pid));
  return { release, reaped: reapAgents(paths) };
}

/** Records an agent's process group so a later loop can reap it if this one dies. */
export function recordAgent(paths: StatePaths, pid: number): void {
  writeFileSync(join(paths.agents, String(pid)), String(process.pid));
}

export function forgetAgent(paths: StatePaths, pid: number): void {
  rmSync(join(paths.agents, String(pid)), { force: true });
}

function reapAgents(paths: StatePaths): number[] {
  const reaped: number[] = [];
  for (const name of readdirSync(paths.agents)) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      killGroup(pid);
      reaped.push(pid);
    }
    rmSync(join(paths.agents, name), { force: true });
  }
  return reaped;
}

