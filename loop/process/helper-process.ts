// The two kinds of spawn helper process behind one face (see spawner.ts): the Python helper
// (spawner-helper.py, framed messages over its stdin and stdout) where Python 3 runs on Linux, else a
// node helper (spawner-child.ts, node's IPC channel). Both take the same requests and give the same
// replies. Measured here, 300 spawns of `git --version`: the Python helper used 0.6 ms of its CPU a
// spawn (vfork), the node helper 3.5 to 4.5 ms (fork, then a copy-on-write fault on every page it writes
// again); a Perl helper, tried too, 3.6 ms (fork as well).
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strip } from './stripped-image.ts';

export type ShortRequest = { id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string; kind?: string };
/** `niceness`: the Python helper starts it in its lane for that nice; the node helper is sent it lowered (niceness.ts). */
export type LongRequest = Omit<ShortRequest, 'input'> & { logFile: string; niceness?: number };
export type HelperRequest = ShortRequest | LongRequest | { id: number; stats: true };
export type ProcessCpu = Record<string, { count: number; cpu_ms: number }>;
export type HelperReply =
  | { id: number; exitCode: number; stdout: string; stderr: string }
  | { id: number; phase: 'spawned'; pid: number }
  | { id: number; phase: 'failed'; message: string }
  | { id: number; phase: 'exited'; exitCode: number | null; signal: string | null }
  | { id: number; phase: 'stats'; byKind: ProcessCpu };

export type HelperProcess = {
  kind: 'python' | 'node';
  child: ChildProcess;
  /** Throws when the request cannot be handed over. */
  send: (request: HelperRequest) => void;
  connected: () => boolean;
  /** Whether it has said it runs (a Python that never started ran nothing: its requests can go elsewhere). */
  greeted: () => boolean;
  /** Keeps the loop alive while commands run through it, or not. */
  hold: (held: boolean) => void;
  /** Asks it to exit (it does when its channel closes). */
  close: () => void;
};

const PYTHON_SCRIPT = fileURLToPath(new URL('./spawner-helper.py', import.meta.url));
const NODE_CHILD = fileURLToPath(new URL('./spawner-child.ts', import.meta.url));

/**
 * `python3` on PATH on Linux (elsewhere `python3` may be a stub that offers to install developer tools),
 * unless NIGHTSHIFT_SPAWN_HELPER=node asks for the node helper.
 */
export function pythonPath(): string | undefined {
  if (process.env.NIGHTSHIFT_SPAWN_HELPER === 'node' || process.platform !== 'linux') return undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'python3');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const COMMA = Buffer.from(',');

/** A message as netstrings: its field count, then each field. */
export function encodeFrame(fields: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const field of [String(fields.length), ...fields]) {
    const bytes = Buffer.from(field, 'utf8');
    chunks.push(Buffer.from(`${bytes.length}:`), bytes, COMMA);
  }
  return Buffer.concat(chunks);
}

/** Reads framed messages from a byte stream, whatever the chunking. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[][] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: Buffer[][] = [];
    for (;;) {
      const taken = this.take();
      if (!taken) break;
      messages.push(taken);
    }
    return messages;
  }

  private field(at: number): { value: Buffer; next: number } | undefined {
    const colon = this.buffer.indexOf(0x3a, at);
    if (colon < 0) return undefined;
    const length = Number(this.buffer.subarray(at, colon).toString('latin1'));
    if (!Number.isInteger(length) || length < 0) throw new Error('the spawn helper sent a malformed frame');
    const end = colon + 1 + length;
    if (this.buffer.length < end + 1) return undefined;
    if (this.buffer[end] !== 0x2c) throw new Error('the spawn helper sent a malformed frame');
    return { value: this.buffer.subarray(colon + 1, end), next: end + 1 };
  }

  private take(): Buffer[] | undefined {
    const count = this.field(0);
    if (!count) return undefined;
    const fields: Buffer[] = [];
    let at = count.next;
    for (let i = 0; i < Number(count.value.toString('latin1')); i++) {
      const field = this.field(at);
      if (!field) return undefined;
      fields.push(field.value);
      at = field.next;
    }
    this.buffer = this.buffer.subarray(at);
    return fields;
  }
}

function requestFields(request: HelperRequest): string[] {
  if ('stats' in request) return ['T', String(request.id)];
  const tail = [String(request.args.length), ...request.args, ...Object.entries(request.env).map(([name, value]) => `${name}=${value}`)];
  if ('logFile' in request) return ['L', String(request.id), request.kind ?? 'other', request.cwd, request.file, request.logFile, String(request.niceness ?? 0), ...tail];
  return ['S', String(request.id), request.kind ?? 'other', request.cwd, request.file, request.input === undefined ? '0' : '1', request.input ?? '', ...tail];
}

function replyOf(fields: Buffer[]): HelperReply | 'hello' | undefined {
  const text = (i: number) => fields[i]?.toString('utf8') ?? '';
  const id = Number(text(1));
  switch (text(0)) {
    case 'H': return 'hello';
    case 'R': return { id, exitCode: Number(text(2)), stdout: text(3), stderr: text(4) };
    case 'P': return { id, phase: 'spawned', pid: Number(text(2)) };
    case 'F': return { id, phase: 'failed', message: text(2) };
    case 'X': return { id, phase: 'exited', exitCode: text(2) === '' ? null : Number(text(2)), signal: text(3) || null };
    case 'T': {
      const byKind: ProcessCpu = {};
      for (let i = 2; i + 2 < fields.length; i += 3) byKind[text(i)] = { count: Number(text(i + 1)), cpu_ms: Number(text(i + 2)) };
      return { id, phase: 'stats', byKind };
    }
    default: return undefined;
  }
}

const HELPER_ENV = () => ({ PATH: process.env.PATH ?? '' });

/** Starts the Python helper (isolated: no site packages, no PYTHON* variables); its replies go to `onReply`. */
export function startPythonHelper(python: string, onReply: (reply: HelperReply) => void): HelperProcess {
  const child = spawn(python, ['-I', '-S', PYTHON_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], env: HELPER_ENV() });
  const reader = new FrameReader();
  let greeted = false;
  let open = true;
  child.stdin?.on('error', () => { open = false; });
  child.on('exit', () => { open = false; });
  child.on('error', () => { open = false; });
  child.stdout?.on('data', (chunk: Buffer) => {
    let messages: Buffer[][];
    try {
      messages = reader.push(chunk);
    } catch {
      child.kill('SIGKILL'); // its replies can no longer be trusted: what it ran fails
      return;
    }
    for (const fields of messages) {
      const reply = replyOf(fields);
      if (reply === 'hello') greeted = true;
      else if (reply) onReply(reply);
    }
  });
  return {
    kind: 'python',
    child,
    send: (request) => {
      if (!open || !child.stdin?.writable) throw new Error('the spawn helper is gone');
      child.stdin.write(encodeFrame(requestFields(request)));
    },
    connected: () => open && child.exitCode === null && child.signalCode === null,
    greeted: () => greeted,
    hold: (held) => {
      for (const handle of [child, child.stdin, child.stdout] as Array<{ ref?: () => void; unref?: () => void } | null>) {
        if (held) handle?.ref?.();
        else handle?.unref?.();
      }
    },
    close: () => {
      open = false;
      child.stdin?.end();
    },
  };
}

/**
 * The node helper from a JavaScript copy of spawner-child.ts (it imports nothing of ours): a node that
 * loads no .ts file never loads Node's TypeScript stripper, and with V8's lite mode its fork()s cost
 * 3.0 ms of its CPU instead of 4.3. The copy is written to a private temp dir, which the helper removes
 * once it has loaded it; where it cannot be written, the .ts file is forked.
 */
export function startNodeHelper(onReply: (reply: HelperReply) => void): HelperProcess {
  let script: { file: string; args: string[]; flags: string[]; done: () => void };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-spawner-'));
    const file = join(dir, 'spawner-child.mjs');
    writeFileSync(file, strip(readFileSync(NODE_CHILD, 'utf8')), { mode: 0o600 });
    script = { file, args: ['--remove-own-dir'], flags: ['--lite-mode'], done: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    script = { file: NODE_CHILD, args: [], flags: [], done: () => undefined };
  }
  const child = fork(script.file, script.args, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: HELPER_ENV(),
    execArgv: ['--max-old-space-size=64', '--max-semi-space-size=1', ...script.flags],
  });
  child.once('error', script.done); // never started: nothing removed it
  child.on('message', (reply: HelperReply) => onReply(reply));
  return {
    kind: 'node',
    child,
    send: (request) => { child.send(request); },
    connected: () => child.connected,
    greeted: () => true,
    hold: (held) => {
      if (held) {
        child.ref();
        child.channel?.ref();
      } else {
        child.unref();
        child.channel?.unref();
      }
    },
    close: () => {
      if (child.connected) child.disconnect();
      else child.kill('SIGKILL');
    },
  };
}
