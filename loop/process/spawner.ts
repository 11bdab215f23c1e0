// Short commands (git plumbing) are spawned by a small helper process instead of the loop itself.
// fork() copies the spawning process's page tables, so its cost grows with the spawner's memory:
// measured here, a spawn blocks a 53 MB process for ~1 ms and a 237 MB one for ~8 ms; in a 200-ticket
// benchmark the loop (about 190 MB) spent 24 s of its 35 s of CPU inside spawn(), its event loop
// blocked meanwhile. The helper is started on first use; when it cannot start or
// dies, commands are run in-process as before (a command in flight when it died reports a failure,
// never a success, since git plumbing is not safe to run twice). Long commands (agents, reviewers,
// verify commands) start there too, each in its own process group: the loop learns their pid and exit,
// and signals their group itself. The helper is a small Python process where Python 3 runs on Linux
// (it starts commands with vfork: a fraction of a node's fork), else a node one (helper-process.ts).
import { pythonPath, startNodeHelper, startPythonHelper } from './helper-process.ts';
import { loweredArgv } from './niceness.ts';
import type { HelperProcess, HelperReply, HelperRequest, LongRequest, ProcessCpu, ShortRequest } from './helper-process.ts';

export type { ProcessCpu } from './helper-process.ts';
export type Captured = { exitCode: number; stdout: string; stderr: string };
type Request = {
  file: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv; input?: string;
  /** What the command is, for the CPU kept per kind (`git:<subcommand>`, `agent:<role>`, `verify`, ...). */
  kind?: string;
};
type RunReply = Extract<HelperReply, { phase: 'spawned' | 'failed' | 'exited' }>;
/** How a long command ended: its exit, or `lost` when the helper died first (its outcome is unknown). */
export type LongEnd = { kind: 'exited'; exitCode: number | null; signal: string | null } | { kind: 'lost'; message: string };
export type LongStart = { kind: 'spawned'; pid: number; ended: Promise<LongEnd> } | { kind: 'failed'; message: string };

let helper: HelperProcess | undefined;
let broken = false;
/** A Python that did not start: node helpers from then on. */
let pythonBroken = false;
let nextId = 1;
let deaths = 0;
/** A helper that keeps dying is given up on: commands then run in the loop itself. */
const MAX_DEATHS = 3;
/** Short commands in flight, with the helper that runs them and the request (sent again elsewhere if a Python never started). */
const pending = new Map<number, { helper: HelperProcess; request: ShortRequest; resolve: (reply: Captured) => void }>();
/** Long commands in flight, with their helper: the first reply settles `start`, the exit settles `end`. */
const runs = new Map<number, { helper: HelperProcess; request: LongRequest; start: (start: LongStart) => void; end: (end: LongEnd) => void }>();
/** Questions for the helper's CPU per kind, in flight. */
const statsAsked = new Map<number, (stats: ProcessCpu | undefined) => void>();
/** Helpers ended on purpose (stopSpawnHelper): their exit is not a death. */
const retired = new WeakSet<HelperProcess>();

/** What a helper that exited was running fails (never a success); another helper's commands go on. */
function settleAll(gone: HelperProcess, message: string): void {
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

/** A Python helper that exited before saying it runs ran nothing: its requests go to a node helper. */
function handOver(gone: HelperProcess): void {
  const next = start();
  for (const [id, entry] of pending) {
    if (entry.helper !== gone) continue;
    if (next && trySend(next, entry.request)) entry.helper = next;
    else {
      pending.delete(id);
      entry.resolve({ exitCode: -1, stdout: '', stderr: 'the spawn helper did not start' });
    }
  }
  for (const [id, run] of runs) {
    if (run.helper !== gone) continue;
    if (next && trySend(next, run.request)) run.helper = next;
    else {
      runs.delete(id);
      run.start({ kind: 'failed', message: 'the spawn helper did not start' });
    }
  }
}

function onRunReply(owner: HelperProcess, reply: RunReply): void {
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
  if (inFlight(owner) === 0) owner.hold(false);
}

/** Commands a helper still runs: while there are any, it keeps the loop alive. */
function inFlight(owner: HelperProcess): number {
  let count = 0;
  for (const entry of pending.values()) if (entry.helper === owner) count++;
  for (const run of runs.values()) if (run.helper === owner) count++;
  return count;
}

function onReply(reply: HelperReply): void {
  if ('phase' in reply && reply.phase === 'stats') {
    statsAsked.get(reply.id)?.(reply.byKind);
    statsAsked.delete(reply.id);
    return;
  }
  if ('phase' in reply) {
    const owner = runs.get(reply.id)?.helper;
    if (owner) onRunReply(owner, reply);
    return;
  }
  const entry = pending.get(reply.id);
  if (!entry) return;
  pending.delete(reply.id);
  entry.resolve({ exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr });
  if (inFlight(entry.helper) === 0) entry.helper.hold(false);
}

function start(): HelperProcess | undefined {
  if (broken) return undefined;
  if (helper?.connected()) return helper;
  try {
    const python = pythonBroken ? undefined : pythonPath();
    const owner = python ? startPythonHelper(python, onReply) : startNodeHelper(onReply);
    let ended = false;
    const gone = () => {
      if (ended) return;
      ended = true;
      if (helper === owner) helper = undefined;
      if (owner.kind === 'python' && !owner.greeted() && !retired.has(owner)) {
        pythonBroken = true;
        handOver(owner);
        return;
      }
      if (!retired.has(owner) && ++deaths >= MAX_DEATHS) broken = true;
      settleAll(owner, 'the spawn helper exited while the command ran; its outcome is unknown');
    };
    // a Python helper's replies come through its stdout: settle what it ran only once all of them are read
    owner.child.on(owner.kind === 'python' ? 'close' : 'exit', gone);
    owner.child.on('error', () => {
      if (owner.kind === 'node') broken = true;
      gone();
    });
    helper = owner;
    owner.hold(false);
    return owner;
  } catch {
    broken = true;
    return undefined;
  }
}

function trySend(owner: HelperProcess, request: HelperRequest): boolean {
  try {
    owner.hold(true);
    owner.send(owner.kind === 'node' ? lowerForNode(request) : request);
    return true;
  } catch {
    return false;
  }
}

/** The node helper has no lanes: a command with a niceness goes to it through the shell that sets it. */
function lowerForNode(request: HelperRequest): HelperRequest {
  if (!('logFile' in request) || !request.niceness) return request;
  const { niceness, ...rest } = request;
  const [file, args] = loweredArgv(niceness, request.file, request.args);
  return { ...rest, file, args };
}

function envOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/** Runs `file args` through the helper; `undefined` when there is no helper (run it in-process then). */
export function spawnViaHelper(request: Request): Promise<Captured> | undefined {
  const owner = start();
  if (!owner) return undefined;
  const id = nextId++;
  const message: ShortRequest = { id, file: request.file, args: [...request.args], cwd: request.cwd, env: envOf(request.env), ...(request.input !== undefined ? { input: request.input } : {}), ...(request.kind ? { kind: request.kind } : {}) };
  let resolve!: (reply: Captured) => void;
  const reply = new Promise<Captured>((settle) => { resolve = settle; });
  pending.set(id, { helper: owner, request: message, resolve });
  if (!trySend(owner, message)) {
    pending.delete(id); // never sent: the caller runs it itself
    if (inFlight(owner) === 0) owner.hold(false);
    return undefined;
  }
  return reply;
}

/**
 * Starts a long command through the helper in its own process group, its output appended to
 * `logFile`; `undefined` when there is no helper (start it in-process then). The caller signals the
 * group itself (timeouts, aborts) and learns the exit from `ended`.
 */
export function startViaHelper(request: Omit<Request, 'input'> & { logFile: string; niceness?: number }): Promise<LongStart> | undefined {
  const owner = start();
  if (!owner) return undefined;
  const id = nextId++;
  const message: LongRequest = { id, file: request.file, args: [...request.args], cwd: request.cwd, env: envOf(request.env), logFile: request.logFile, ...(request.kind ? { kind: request.kind } : {}), ...(request.niceness ? { niceness: request.niceness } : {}) };
  let resolve!: (start: LongStart) => void;
  const started = new Promise<LongStart>((settle) => { resolve = settle; });
  runs.set(id, { helper: owner, request: message, start: resolve, end: () => undefined });
  if (!trySend(owner, message)) {
    runs.delete(id); // never sent: the caller starts it itself
    if (inFlight(owner) === 0) owner.hold(false);
    return undefined;
  }
  return started;
}

/**
 * The commands the helper ran so far, per kind, with their CPU (undefined without a helper, or when it
 * does not answer within a second).
 */
export async function spawnHelperCpu(): Promise<ProcessCpu | undefined> {
  const owner = helper;
  if (!owner?.connected()) return undefined;
  const id = nextId++;
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<ProcessCpu | undefined>((resolve) => {
    statsAsked.set(id, resolve);
    timer = setTimeout(() => { statsAsked.delete(id); resolve(undefined); }, 1_000);
  });
  if (!trySend(owner, { id, stats: true })) {
    statsAsked.delete(id);
    clearTimeout(timer);
    return undefined;
  }
  const stats = await answer;
  clearTimeout(timer);
  if (inFlight(owner) === 0) owner.hold(false);
  return stats;
}

/**
 * Ends the helper and waits (up to 2 s) for it to exit, so that no process outlives the loop and the
 * CPU of every command it ran is counted as the loop's. A later command starts a new helper.
 */
export async function stopSpawnHelper(): Promise<void> {
  const owner = helper;
  helper = undefined;
  if (!owner || owner.child.exitCode !== null || owner.child.signalCode !== null) return;
  retired.add(owner);
  const exited = new Promise<void>((resolve) => owner.child.once('exit', () => resolve()));
  owner.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => { timer = setTimeout(resolve, 2_000); })]);
  clearTimeout(timer);
}
