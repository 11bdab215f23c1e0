// The one subprocess module of the loop (over execa): cwd, environment, wall-clock limit, abort,
// process-group kill, output to a log file, and a structured result. Nothing else spawns processes.
// Commands are started by the spawn helper of spawner.ts (which this module owns) so that the loop's
// own event loop never blocks in fork(); without a helper they start here, through execa.
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { execa } from 'execa';
import { loweredArgv } from './niceness.ts';
import { spawnViaHelper, startViaHelper } from './spawner.ts';
import type { Captured, LongStart } from './spawner.ts';

export type ProcessSpec = {
  file: string;
  args: readonly string[];
  cwd: string;
  /** The whole environment of the child (nothing is inherited implicitly). */
  env: NodeJS.ProcessEnv;
  /** Wall-clock limit; the whole process group is killed when it passes. */
  timeoutMs?: number;
  /** Aborting kills the whole process group. */
  signal?: AbortSignal;
  /** stdout and stderr are appended here (no pipes a grandchild could hold open). */
  logFile: string;
  /** Called with the pid (= process group id) right after the spawn. */
  onSpawn?: (pid: number) => void;
  /** What the command is, for the CPU counted per kind (`agent:worker`, `verify`, ...). */
  kind?: string;
  /** A nice value for the command and everything it starts (agents: AGENT_NICENESS). */
  niceness?: number;
};

/**
 * Agents run below the loop, its oracle, its spawn helper and the landing's own commands (git, verify,
 * replay): an agent that loads every core must not slow the loop's answers. Nice 10 gives a loop
 * process about nine times an agent's share of a contended core.
 */
export const AGENT_NICENESS = 10;

export type ProcessResult =
  | { kind: 'exited'; exitCode: number; durationMs: number }
  | { kind: 'killed'; signal: string; durationMs: number }
  | { kind: 'timed-out'; durationMs: number }
  | { kind: 'aborted'; durationMs: number }
  | { kind: 'spawn-failed'; message: string; durationMs: number };

/** Runs a process in its own process group and waits for it; never throws for the child's failure. */
export async function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const started = Date.now();
  closeSync(openSync(spec.logFile, 'a'));
  // the helper starts a command with a niceness in its lane for it (or through the shell of loweredArgv)
  const viaHelper = startViaHelper({ file: spec.file, args: spec.args, cwd: spec.cwd, env: spec.env, logFile: spec.logFile, ...(spec.kind ? { kind: spec.kind } : {}), ...(spec.niceness ? { niceness: spec.niceness } : {}) });
  if (viaHelper) return superviseGroup(spec, await viaHelper, started);
  const [file, args] = loweredArgv(spec.niceness, spec.file, spec.args);
  let pid: number | undefined;
  try {
    const child = execa(file, [...args], {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      // a session of its own, as the spawn helper gives every command: no controlling terminal (the sandbox relies on it)
      detached: true,
      stdin: 'ignore',
      stdout: { file: spec.logFile, append: true },
      stderr: { file: spec.logFile, append: true },
      reject: false,
      killDescendants: true,
      forceKillAfterDelay: 2_000,
      timeout: spec.timeoutMs,
      cancelSignal: spec.signal,
    });
    pid = child.pid;
    if (pid !== undefined) spec.onSpawn?.(pid);
    const result = await child;
    const durationMs = Date.now() - started;
    if (result.timedOut) return { kind: 'timed-out', durationMs };
    if (result.isCanceled) return { kind: 'aborted', durationMs };
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      return { kind: 'spawn-failed', message: result.shortMessage ?? result.message ?? 'spawn failed', durationMs };
    }
    if (result.signal) return { kind: 'killed', signal: result.signal, durationMs };
    return { kind: 'exited', exitCode: result.exitCode ?? 1, durationMs };
  } finally {
    if (pid !== undefined) killGroup(pid);
  }
}

/** How long a group told to stop (SIGTERM) has before it is killed, as execa's forceKillAfterDelay. */
const FORCE_KILL_AFTER_MS = 2_000;

/** Watches a command the helper started in its own group: the wall-clock limit and abort signal its group. */
async function superviseGroup(spec: ProcessSpec, start: LongStart, started: number): Promise<ProcessResult> {
  if (start.kind === 'failed') return { kind: 'spawn-failed', message: start.message, durationMs: Date.now() - started };
  const { pid } = start;
  spec.onSpawn?.(pid);
  let stopped: 'timed-out' | 'aborted' | undefined;
  let force: NodeJS.Timeout | undefined;
  const stop = (why: 'timed-out' | 'aborted') => {
    if (stopped) return;
    stopped = why;
    killGroup(pid, 'SIGTERM');
    force = setTimeout(() => killGroup(pid, 'SIGKILL'), FORCE_KILL_AFTER_MS);
  };
  const limit = spec.timeoutMs === undefined ? undefined : setTimeout(() => stop('timed-out'), spec.timeoutMs);
  const onAbort = () => stop('aborted');
  if (spec.signal?.aborted) onAbort();
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const end = await start.ended;
    const durationMs = Date.now() - started;
    if (stopped) return { kind: stopped, durationMs };
    // the helper died before the command ended: its outcome is unknown, never a success
    if (end.kind === 'lost') return { kind: 'killed', signal: 'SIGKILL', durationMs };
    if (end.signal) return { kind: 'killed', signal: end.signal, durationMs };
    return { kind: 'exited', exitCode: end.exitCode ?? 1, durationMs };
  } finally {
    clearTimeout(limit);
    clearTimeout(force);
    spec.signal?.removeEventListener('abort', onAbort);
    killGroup(pid); // leftover grandchildren included
  }
}

/** Kills a whole process group (leftover grandchildren included); a group already gone is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Whether a process is alive. */
export { isAlive } from './alive.ts';

/** The last `maxBytes` of a log file, for prompts and events. */
export function readTail(path: string, maxBytes = 4_000): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return (size > maxBytes ? '...\n' : '') + buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export type { Captured, ProcessCpu } from './spawner.ts';
export { spawnHelperCpu } from './spawner.ts';

/**
 * Runs a short command and captures its output (git plumbing): no process group, no log file, a
 * missing program or a signal is exit code -1 with the reason in `stderr`.
 */
export async function captureProcess(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string; kind?: string }): Promise<Captured> {
  const viaHelper = spawnViaHelper({ file, args, ...options });
  if (viaHelper) return viaHelper;
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 512 * 1024 * 1024,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : -1;
  return { exitCode, stdout: String(result.stdout ?? ''), stderr: exitCode === -1 && !result.stderr ? result.shortMessage ?? 'the process did not run' : String(result.stderr ?? '') };
}
