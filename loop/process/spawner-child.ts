// The spawn helper's side (see spawner.ts): a small process that runs commands for the loop. A short
// command's exit code and output come back in one reply; a long one (`logFile`: an agent, a verify
// command) starts in its own process group with its output appended to the log file, and two replies
// come back: its pid once it runs, its exit when it ends. It imports nothing else, so it stays small and
// its fork()s stay cheap; it exits when the loop that started it is gone (a long command lives on in
// its own group, and the next loop reaps it). It also keeps, per kind of command (`git:<subcommand>`,
// `agent:<role>`, `verify`, ...), how many ran and the CPU they used, which the loop asks for at its end.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// started from the JavaScript copy spawner.ts writes to a temp dir: loaded now, so the dir goes
if (process.argv[2] === '--remove-own-dir') rmSync(dirname(fileURLToPath(import.meta.url)), { recursive: true, force: true });

type Request = { id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string; logFile?: string; kind?: string };
type StatsRequest = { id: number; stats: true };

/**
 * CPU per kind of command, from this process's reaped children's CPU (cutime + cstime of /proc/self/stat,
 * in 1/100 s): the CPU added between two reads belongs to the commands whose exits were seen in between
 * (several when they ended together; the delta is then shared by their wall time). Each read is exact to
 * 10 ms and the reads are cumulative, so the totals are exact and the split per kind unbiased.
 */
const byKind = new Map<string, { count: number; cpuMs: number }>();
let exitsSinceRead: Array<{ kind: string; wallMs: number }> = [];
let childTicks = readChildTicks();

function readChildTicks(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return Number.NaN; // no /proc: counts only
  }
}

function sawExit(kind: string, startedAt: number): void {
  exitsSinceRead.push({ kind, wallMs: Date.now() - startedAt });
  if (exitsSinceRead.length === 1) setImmediate(settleCpu);
}

function settleCpu(): void {
  const now = readChildTicks();
  const deltaMs = (now - childTicks) * 10;
  childTicks = now;
  const exits = exitsSinceRead;
  exitsSinceRead = [];
  const wall = exits.reduce((sum, e) => sum + e.wallMs, 0);
  for (const e of exits) {
    const entry = byKind.get(e.kind) ?? { count: 0, cpuMs: 0 };
    entry.count++;
    if (Number.isFinite(deltaMs)) entry.cpuMs += deltaMs * (wall > 0 ? e.wallMs / wall : 1 / exits.length);
    byKind.set(e.kind, entry);
  }
}

/** A long command: its own process group, output appended to its log file, no pipe a grandchild could hold. */
function runLong(message: Request & { logFile: string }): void {
  const { id } = message;
  let fd: number | undefined;
  try {
    fd = openSync(message.logFile, 'a');
    const child = spawn(message.file, message.args, { cwd: message.cwd, env: message.env, detached: true, stdio: ['ignore', fd, fd] });
    const startedAt = Date.now();
    let spawned = false;
    child.on('spawn', () => {
      spawned = true;
      process.send?.({ id, phase: 'spawned', pid: child.pid });
    });
    child.on('error', (error) => {
      if (!spawned) process.send?.({ id, phase: 'failed', message: error.message });
    });
    child.on('exit', (exitCode, signal) => {
      sawExit(message.kind ?? 'other', startedAt);
      if (spawned) process.send?.({ id, phase: 'exited', exitCode, signal });
    });
  } catch (error) {
    process.send?.({ id, phase: 'failed', message: (error as Error).message });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// Commands are forked one at a time, one per turn of the event loop, long ones first: a landing asks for
// a burst of git commands at once, and an agent started just then would otherwise wait behind all of
// them (agent start to the agent's first line, 19 ms p50 in the 200-ticket bench when taken in order).
const longQueue: Array<Request & { logFile: string }> = [];
const shortQueue: Request[] = [];
let draining = false;

function drainOne(): void {
  const long = longQueue.shift();
  if (long) runLong(long);
  else {
    const short = shortQueue.shift();
    if (short) runShort(short);
  }
  draining = longQueue.length + shortQueue.length > 0;
  if (draining) setImmediate(drainOne);
}

process.on('message', (message: Request | StatsRequest) => {
  if ('stats' in message) {
    settleCpu();
    process.send?.({ id: message.id, phase: 'stats', byKind: Object.fromEntries([...byKind].map(([kind, v]) => [kind, { count: v.count, cpu_ms: Math.round(v.cpuMs) }])) });
    return;
  }
  if (message.logFile !== undefined) longQueue.push({ ...message, logFile: message.logFile });
  else shortQueue.push(message);
  if (!draining) {
    draining = true;
    setImmediate(drainOne);
  }
});

function runShort(message: Request): void {
  const { id } = message;
  let stdout = '';
  let stderr = '';
  let replied = false;
  const reply = (exitCode: number, extra = '') => {
    if (replied) return;
    replied = true;
    process.send?.({ id, exitCode, stdout, stderr: stderr || extra });
  };
  try {
    const child = spawn(message.file, message.args, { cwd: message.cwd, env: message.env, stdio: [message.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const startedAt = Date.now();
    child.on('exit', () => sawExit(message.kind ?? 'other', startedAt));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (error) => reply(-1, error.message));
    child.on('close', (code, signal) => reply(code ?? -1, signal ? `killed by ${signal}` : ''));
    if (message.input !== undefined) {
      child.stdin?.on('error', () => {});
      child.stdin?.end(message.input);
    }
  } catch (error) {
    reply(-1, (error as Error).message);
  }
}

process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the loop's whole process group: the loop stops gracefully and still needs git meanwhile
process.on('SIGINT', () => {});
