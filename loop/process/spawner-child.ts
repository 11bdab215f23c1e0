// The spawn helper's side (see spawner.ts): a small process that runs commands for the loop. A short
// command's exit code and output come back in one reply; a long one (`logFile`: an agent, a verify
// command) starts in its own process group with its output appended to the log file, and two replies
// come back: its pid once it runs, its exit when it ends. It imports nothing else, so it stays small and
// its fork()s stay cheap; it exits when the loop that started it is gone (a long command lives on in
// its own group, and the next loop reaps it).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

type Request = { id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string; logFile?: string };

/** A long command: its own process group, output appended to its log file, no pipe a grandchild could hold. */
function runLong(message: Request & { logFile: string }): void {
  const { id } = message;
  let fd: number | undefined;
  try {
    fd = openSync(message.logFile, 'a');
    const child = spawn(message.file, message.args, { cwd: message.cwd, env: message.env, detached: true, stdio: ['ignore', fd, fd] });
    let spawned = false;
    child.on('spawn', () => {
      spawned = true;
      process.send?.({ id, phase: 'spawned', pid: child.pid });
    });
    child.on('error', (error) => {
      if (!spawned) process.send?.({ id, phase: 'failed', message: error.message });
    });
    child.on('exit', (exitCode, signal) => {
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

process.on('message', (message: Request) => {
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
