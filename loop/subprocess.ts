// The one subprocess module of the loop (over execa): cwd, environment, wall-clock limit, abort,
// process-group kill, output to a log file, and a structured result. Nothing else spawns processes
// (short captured commands go through the spawn helper of spawner.ts, which this module owns).
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { execa } from 'execa';
import { spawnViaHelper } from './spawner.ts';
import type { Captured } from './spawner.ts';

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
};

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
  let pid: number | undefined;
  try {
    const child = execa(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
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

/** Kills a whole process group (leftover grandchildren included); a group already gone is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Whether a process is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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

export type { Captured } from './spawner.ts';

/**
 * Runs a short command and captures its output (git plumbing): no process group, no log file, a
 * missing program or a signal is exit code -1 with the reason in `stderr`.
 */
export async function captureProcess(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Captured> {
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
