// Short commands (git plumbing) are spawned by a small helper process instead of the loop itself.
// fork() copies the spawning process's page tables, so its cost grows with the spawner's memory:
// measured here, a spawn blocks a 53 MB process for ~1 ms and a 237 MB one for ~8 ms; in a 200-ticket
// benchmark the loop (about 190 MB) spent 24 s of its 35 s of CPU inside spawn(), its event loop
// blocked meanwhile. The helper is about 60 MB and is started on first use; when it cannot start or
// dies, commands are run in-process as before (a command in flight when it died reports a failure,
// never a success, since git plumbing is not safe to run twice). Long commands (agents, reviewers,
// verify commands) start there too, each in its own process group: the loop learns their pid and exit,
// and signals their group itself.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strip } from './stripped-image.ts';

export type Captured = { exitCode: number; stdout: string; stderr: string };
type Request = {
  file: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv; input?: string;
  /** What the command is, for the CPU kept per kind (`git:<subcommand>`, `agent:<role>`, `verify`, ...). */
  kind?: string;
  /** A nice value for a long command and all it starts (agents run below the loop and its landings). */
  niceness?: number;
};
/** Commands the helper ran, per kind: how many, and the CPU they used with everything they reaped. */
export type ProcessCpu = Record<string, { count: number; cpu_ms: number }>;
type StatsReply = { id: number; phase: 'stats'; byKind: ProcessCpu };
type Reply = { id: number; exitCode: number; stdout: string; stderr: string };
type RunReply =
  | { id: number; phase: 'spawned'; pid: number }
  | { id: number; phase: 'failed'; message: string }
  | { id: number; phase: 'exited'; exitCode: number | null; signal: string | null };
/** How a long command ended: its exit, or `lost` when the helper died first (its outcome is unknown). */
export type LongEnd = { kind: 'exited'; exitCode: number | null; signal: string | null } | { kind: 'lost'; message: string };
export type LongStart = { kind: 'spawned'; pid: number; ended: Promise<LongEnd> } | { kind: 'failed'; message: string };

const CHILD = fileURLToPath(new URL('./spawner-child.ts', import.meta.url));

/**
 * The helper as JavaScript (spawner-child.ts imports nothing of ours): a node that loads no .ts file
 * never loads Node's TypeScript stripper, and with V8's lite mode its fork()s cost 3.0 ms of its CPU
 * instead of 4.3 (measured: 300 spawns of `true`), about 40 ms a ticket. The copy is written to a private
 * temp dir, which the helper removes once it has loaded it; where it cannot be written, the .ts file is
 * forked as before.
 */
function childScript(): { file: string; args: string[]; flags: string[]; done: () => void } {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
    const file = join(dir, 'spawner-child.mjs');
    writeFileSync(file, strip(readFileSync(CHILD, 'utf8')), { mode: 0o600 });
    return { file, args: ['--remove-own-dir'], flags: ['--lite-mode'], done: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    return { file: CHILD, args: [], flags: [], done: () => undefined };
  }
}

let helper: ChildProcess | undefined;
let broken = false;
let nextId = 1;
let deaths = 0;
/** A helper that keeps dying is given up on: commands then run in the loop itself. */
const MAX_DEATHS = 3;
/** Short commands in flight, with the helper that runs them. */
const pending = new Map<number, { helper: ChildProcess; resolve: (reply: Captured) => void }>();
/** Long commands in flight, with their helper: the first reply settles `start`, the exit settles `end`. */
const runs = new Map<number, { helper: ChildProcess; start: (start: LongStart) => void; end: (end: LongEnd) => void }>();
/** Questions for the helper's CPU per kind, in flight. */
const statsAsked = new Map<number, (stats: ProcessCpu | undefined) => void>();
/** Helpers ended on purpose (stopSpawnHelper): their exit is not a death. */
const retired = new WeakSet<ChildProcess>();

/** What a helper that exited was running fails (never a success); another helper's commands go on. */
function settleAll(gone: ChildProcess, message: string): void {
  for (const [id, entry] of pending) {
    if (entry.helper !== gone) continue;
    pending.delete(id);
    entry.resolve({ exitCode: -1, stdout: '', stderr: message });
  }
  for (const [id, run] of runs) {
    if (run.helper !== gone) continue;
    runs.delete(id);
    run.start({ kind: 'failed', message });
    run.end({ kind: 'lost', message });
  }
}

function onRunReply(child: ChildProcess, reply: RunReply): void {
  const run = runs.get(reply.id);
  if (!run) return;
  if (reply.phase === 'spawned') {
    let settle!: (end: LongEnd) => void;
    const ended = new Promise<LongEnd>((resolve) => { settle = resolve; });
    const start = run.start;
    run.end = settle;
    start({ kind: 'spawned', pid: reply.pid, ended });
    return;
  }
  runs.delete(reply.id);
  if (reply.phase === 'failed') run.start({ kind: 'failed', message: reply.message });
  else run.end({ kind: 'exited', exitCode: reply.exitCode, signal: reply.signal });
  if (inFlight(child) === 0) idle(child);
}

/** Commands a helper still runs: while there are any, it keeps the loop alive. */
function inFlight(child: ChildProcess): number {
  let count = 0;
  for (const entry of pending.values()) if (entry.helper === child) count++;
  for (const run of runs.values()) if (run.helper === child) count++;
  return count;
}

function start(): ChildProcess | undefined {
  if (broken) return undefined;
  if (helper?.connected) return helper;
  try {
    const script = childScript();
    const child = fork(script.file, script.args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { PATH: process.env.PATH ?? '' },
      execArgv: ['--max-old-space-size=64', '--max-semi-space-size=1', ...script.flags],
    });
    child.once('error', script.done); // never started: nothing removed it
    child.on('message', (reply: Reply | RunReply | StatsReply) => {
      if ('phase' in reply && reply.phase === 'stats') {
        statsAsked.get(reply.id)?.(reply.byKind);
        statsAsked.delete(reply.id);
        return;
      }
      if ('phase' in reply) {
        onRunReply(child, reply);
        return;
      }
      const entry = pending.get(reply.id);
      pending.delete(reply.id);
      entry?.resolve({ exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr });
      if (inFlight(child) === 0) idle(child);
    });
    const gone = () => {
      if (helper === child) helper = undefined;
      if (!retired.has(child) && ++deaths >= MAX_DEATHS) broken = true;
      settleAll(child, 'the spawn helper exited while the command ran; its outcome is unknown');
    };
    child.on('exit', gone);
    child.on('error', () => {
      broken = true;
      gone();
    });
    helper = child;
    idle(child);
    return child;
  } catch {
    broken = true;
    return undefined;
  }
}

/** The helper must not keep the loop alive when nothing is asked of it. */
function idle(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

/** Runs `file args` through the helper; `undefined` when there is no helper (run it in-process then). */
export function spawnViaHelper(request: Request): Promise<Captured> | undefined {
  const child = start();
  if (!child) return undefined;
  const id = nextId++;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env)) if (value !== undefined) env[name] = value;
  const reply = new Promise<Captured>((resolve) => pending.set(id, { helper: child, resolve }));
  try {
    child.ref();
    child.channel?.ref();
    child.send({ id, file: request.file, args: [...request.args], cwd: request.cwd, env, ...(request.input !== undefined ? { input: request.input } : {}), ...(request.kind ? { kind: request.kind } : {}) });
  } catch {
    pending.delete(id); // never sent: the caller runs it itself
    if (inFlight(child) === 0) idle(child);
    return undefined;
  }
  return reply;
}

/**
 * Starts a long command through the helper in its own process group, its output appended to
 * `logFile`; `undefined` when there is no helper (start it in-process then). The caller signals the
 * group itself (timeouts, aborts) and learns the exit from `ended`.
 */
export function startViaHelper(request: Omit<Request, 'input'> & { logFile: string }): Promise<LongStart> | undefined {
  const child = start();
  if (!child) return undefined;
  const id = nextId++;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env)) if (value !== undefined) env[name] = value;
  const started = new Promise<LongStart>((resolve) => runs.set(id, { helper: child, start: resolve, end: () => undefined }));
  try {
    child.ref();
    child.channel?.ref();
    child.send({ id, file: request.file, args: [...request.args], cwd: request.cwd, env, logFile: request.logFile, ...(request.kind ? { kind: request.kind } : {}), ...(request.niceness ? { niceness: request.niceness } : {}) });
  } catch {
    runs.delete(id); // never sent: the caller starts it itself
    if (inFlight(child) === 0) idle(child);
    return undefined;
  }
  return started;
}

/**
 * The commands the helper ran so far, per kind, with their CPU (undefined without a helper, or when it
 * does not answer within a second).
 */
export async function spawnHelperCpu(): Promise<ProcessCpu | undefined> {
  const child = helper;
  if (!child?.connected) return undefined;
  const id = nextId++;
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<ProcessCpu | undefined>((resolve) => {
    statsAsked.set(id, resolve);
    timer = setTimeout(() => { statsAsked.delete(id); resolve(undefined); }, 1_000);
  });
  try {
    child.ref();
    child.channel?.ref();
    child.send({ id, stats: true });
  } catch {
    statsAsked.delete(id);
    clearTimeout(timer);
    return undefined;
  }
  const stats = await answer;
  clearTimeout(timer);
  if (inFlight(child) === 0) idle(child);
  return stats;
}

/**
 * Ends the helper and waits (up to 2 s) for it to exit, so that no process outlives the loop and the
 * CPU of every command it ran is counted as the loop's. A later command starts a new helper.
 */
export async function stopSpawnHelper(): Promise<void> {
  const child = helper;
  helper = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  retired.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  else child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => { timer = setTimeout(resolve, 2_000); })]);
  clearTimeout(timer);
}
