// The run's state dir: the JSONL event log, per-ticket journals and pass files, the worktrees, and
// the lock that keeps one loop per batch. Everything here can be rebuilt from the tracker and git,
// except the history it records.
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOptions } from '../../oracle/run-options.ts';

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

/** One event of the JSONL log; `type` says what happened, the rest are its facts. */
export type LoopEvent = { type: string; ticket?: string; [field: string]: unknown };

/** What identifies a run and lets a part record into it (a slice of the loop's context). */
export type RunParts = { run: string; options: RunOptions; paths: StatePaths; env: NodeJS.ProcessEnv; log: EventLog };

export type EventLog = {
  emit: (event: LoopEvent) => void;
};

/** Appends events (one JSON object per line, with time and run id) and hands each to `listeners`. */
export function openEventLog(path: string, run: string, listeners: Array<(event: LoopEvent & { ts: string; run: string }) => void>): EventLog {
  // a line cut short by a crash must not swallow the first event of this run
  if (!endsWithNewline(path)) appendFileSync(path, '\n');
  return {
    emit(event) {
      const stamped = { ts: new Date().toISOString(), run, ...event };
      appendFileSync(path, `${JSON.stringify(stamped)}\n`);
      for (const listener of listeners) listener(stamped);
    },
  };
}


/** What earlier runs of this state dir did: passes started per ticket, and how each ticket's last pass ended. */
/**
 * What the history says of each ticket's passes: `passNumbers` counts every pass ever started (pass
 * numbers never repeat), `passesUsed` only those since the last accepted heal (passes a broken harness
 * burned do not count against the ticket once the harness is repaired). A rerun after a usage limit is
 * the same pass.
 */
/** Passes of one ticket that a dead loop cut short and that are given back (the rest count). */
export const INTERRUPTED_REFUNDS = 3;

export function passesInHistory(history: ReadonlyArray<LoopEvent>): { passesUsed: Map<string, number>; passNumbers: Map<string, number>; lastNote: Map<string, string> } {
  const passesUsed = new Map<string, number>();
  const passNumbers = new Map<string, number>();
  const lastNote = new Map<string, string>();
  // a pass the loop's own death cut short (started, never ended) is given back, up to INTERRUPTED_REFUNDS
  // per ticket: a killed loop must not starve a ticket, but a pass that kills the loop every time must end
  const open = new Set<string>();
  const refunded = new Map<string, number>();
  const closeInterrupted = () => {
    for (const ticket of open) {
      if ((refunded.get(ticket) ?? 0) >= INTERRUPTED_REFUNDS) continue;
      refunded.set(ticket, (refunded.get(ticket) ?? 0) + 1);
      passesUsed.set(ticket, Math.max(0, (passesUsed.get(ticket) ?? 0) - 1));
    }
    open.clear();
  };
  for (const event of history) {
    if (event.type === 'heal-accepted') passesUsed.clear();
    if (event.type === 'run-start') closeInterrupted();
    if (event.type === 'agent-start' && event.ticket && event.rerun === undefined) {
      passesUsed.set(event.ticket, (passesUsed.get(event.ticket) ?? 0) + 1);
      passNumbers.set(event.ticket, Math.max(passNumbers.get(event.ticket) ?? 0, typeof event.pass === 'number' ? event.pass : 0, (passNumbers.get(event.ticket) ?? 0) + 1));
      open.add(event.ticket);
    }
    // the final audit reopened a landed ticket: its next pass starts from the audit's evidence, with its passes back
    if (event.type === 'audit-failed' && event.ticket) {
      passesUsed.delete(event.ticket);
      if (typeof event.reason === 'string') lastNote.set(event.ticket, event.reason);
    }
    if (event.type === 'pass-end' && event.ticket) {
      open.delete(event.ticket);
      if (typeof event.reason === 'string') lastNote.set(event.ticket, event.reason);
    }
  }
  closeInterrupted();
  return { passesUsed, passNumbers, lastNote };
}

/** Creates the state dir's folders. */
export function makeStateDirs(paths: StatePaths): void {
  for (const dir of ['journal', 'passes', 'worktrees', 'scratch', 'agents']) mkdirSync(join(paths.root, dir), { recursive: true });
}

export function appendJournal(paths: StatePaths, key: string, text: string): void {
  appendFileSync(paths.journal(key), `\n## ${new Date().toISOString()}\n${text.trim()}\n`);
}

function endsWithNewline(path: string): boolean {
  if (!existsSync(path)) return true;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Records an agent's process group (with its start time, against pid reuse) so a later loop can reap it. */
export function recordAgent(paths: StatePaths, pid: number): void {
  writeFileSync(join(paths.agents, String(pid)), JSON.stringify({ loop: process.pid, started: processStartTime(pid) ?? null }));
}

export function forgetAgent(paths: StatePaths, pid: number): void {
  rmSync(join(paths.agents, String(pid)), { force: true });
}

/** The kernel's start time of a process (clock ticks since boot), or undefined when it is gone or not on Linux. */
export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/** The few fields of /proc/<pid>/stat the reaper needs. */
export function readProcStat(pid: number): { pgid: number; tty: number; startTime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgid = Number(fields[2]);
  const tty = Number(fields[4]);
  const startTime = Number(fields[19]);
  return Number.isFinite(startTime) ? { pgid, tty, startTime } : undefined;
}

export function removeStateEntries(dir: string): void {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) rmSync(join(dir, name), { recursive: true, force: true });
}
