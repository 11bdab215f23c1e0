// The final audit (frozen): every ticket the oracle counts as done through a receipt has its finish line
// run again on the final target head, in a clean worktree of that head (identical command lists run
// once, up to `workers` at a time). A failure supersedes the ticket's receipt with an audit comment the
// oracle reads and reopens the ticket, so a later merge that broke an earlier ticket is caught, and a
// receipt the loop wrote without a real replay counts for nothing.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { openTracker } from '../trackers/open.ts';
import type { Ticket } from '../trackers/types.ts';
import { finishLineOf, verifyFilePath } from './finish-line.ts';
import { readGitFacts } from './git.ts';
import { defaultCacheRoot, prepareWorktree } from './prepare.ts';
import { planSetup } from './prepare-detect.ts';
import type { OracleOptions } from './options.ts';
import { renderAuditComment } from './receipt-write.ts';
import { judgeBatch } from './verdict.ts';

/** How one finish line (shared by one or more tickets) did on the final head. */
export type LineOutcome =
  | { result: 'passed'; commands: number; ms: number }
  | { result: 'failed'; command: string; exit: string; output: string; ms: number };

export type AuditTicket = LineOutcome & { key: string };

export type AuditReport =
  | { kind: 'audited'; head: string; targetBranch: string; tickets: AuditTicket[]; reopened: string[]; exitCode: 0 | 1 }
  | { kind: 'cannot-tell'; problem: string; exitCode: 2 };

export type AuditInput = {
  options: Pick<OracleOptions, 'batch' | 'tracker' | 'repo' | 'targetBranch'>;
  env: NodeJS.ProcessEnv;
  /** Finish lines run at once (the run's --workers). */
  workers: number;
  /** Per command. */
  timeoutMs: number;
  /** Write the audit comments and reopen the failing tickets (false: only report). */
  reopen: boolean;
  /** The run's `setup` (undefined: detected from the head's lockfiles, as the loop does). */
  setup: string[] | undefined;
};

/** Variables a finish line never sees: tracker credentials and nightshift's own. */
function finishLineEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === 'LINEAR_API_KEY' || name.startsWith('JIRA_') || name.startsWith('NIGHTSHIFT_')) continue;
    clean[name] = value;
  }
  return clean;
}

/**
 * git's worktree commands are not safe against one another: a `worktree remove` that empties
 * `worktrees/` deletes it under an `add` of another lane, which then fails (seen: 2 of 90 adds with six
 * lanes adding and removing at once). The audit's lanes take turns for them; the finish lines still run
 * side by side.
 */
let worktreeTurn: Promise<unknown> = Promise.resolve();
function inWorktreeTurn<T>(work: () => Promise<T>): Promise<T> {
  const next = worktreeTurn.then(work, work);
  worktreeTurn = next.catch(() => undefined);
  return next;
}

async function git(repo: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const result = await execa('git', ['-C', repo, ...args], { reject: false, stdin: 'ignore', env: { GIT_TERMINAL_PROMPT: '0' } });
  return { ok: result.exitCode === 0, out: result.stdout };
}

async function finishLineAt(repo: string, head: string, ticket: Ticket): Promise<string[]> {
  const file = await git(repo, ['show', `${head}:${verifyFilePath(ticket.key)}`]);
  return finishLineOf(ticket.description, file.ok ? file.out : undefined).commands;
}

type Group = { commands: string[]; keys: string[] };

async function runGroup(input: AuditInput, head: string, work: string, index: number, group: Group): Promise<LineOutcome> {
  const started = Date.now();
  if (group.commands.length === 0) {
    return { result: 'failed', command: '(none)', exit: 'no finish line', output: `no \`\`\`verify block in the ticket and no ${verifyFilePath(group.keys[0] ?? 'KEY')} at ${head.slice(0, 12)}`, ms: 0 };
  }
  const tree = join(work, `tree-${index}`);
  const added = await inWorktreeTurn(() => git(input.options.repo, ['worktree', 'add', '--detach', '--force', tree, head]));
  if (!added.ok) return { result: 'failed', command: '(worktree)', exit: 'no worktree', output: `git worktree add of ${head.slice(0, 12)} failed`, ms: Date.now() - started };
  try {
    // prepared as the loop prepares a replay's worktree: the set-up, or its stored result
    const files = (await git(input.options.repo, ['ls-tree', '--name-only', head])).out.split('\n').filter(Boolean);
    const prepared = await prepareWorktree({
      dir: tree, plan: planSetup(files, input.setup), cacheRoot: defaultCacheRoot(input.env), trusted: true,
      logFile: join(work, `setup-${index}.log`), env: finishLineEnv(input.env), timeoutMs: input.timeoutMs,
    });
    if (prepared.kind === 'failed') return { result: 'failed', command: `set-up: ${prepared.command}`, exit: prepared.exit, output: prepared.output, ms: Date.now() - started };
    for (const command of group.commands) {
      const run = await execa('/bin/sh', ['-c', command], {
        cwd: tree, env: finishLineEnv(input.env), extendEnv: false, reject: false, stdin: 'ignore', all: true, timeout: input.timeoutMs, killSignal: 'SIGKILL', detached: true,
      });
      if (run.exitCode !== 0) {
        const exit = run.timedOut ? 'timed out' : run.exitCode === undefined ? `signal ${run.signal ?? '?'}` : `exit ${run.exitCode}`;
        return { result: 'failed', command, exit, output: String(run.all ?? '').slice(-4_000), ms: Date.now() - started };
      }
    }
    return { result: 'passed', commands: group.commands.length, ms: Date.now() - started };
  } finally {
    await inWorktreeTurn(() => git(input.options.repo, ['worktree', 'remove', '--force', '--force', tree]));
    rmSync(tree, { recursive: true, force: true });
  }
}

/** Runs the audit; never reports a pass it did not run. */
export async function runAudit(input: AuditInput): Promise<AuditReport> {
  const { options } = input;
  let tracker;
  let read;
  let head: string;
  try {
    tracker = await openTracker(options.tracker, input.env);
    const [facts, batch] = await Promise.all([readGitFacts(options.repo, options.targetBranch), tracker.readBatch(options.batch)]);
    read = batch;
    const verdict = judgeBatch(batch, facts);
    if (verdict.kind === 'cannot-tell') return { kind: 'cannot-tell', problem: verdict.problem, exitCode: 2 };
    const rev = await git(options.repo, ['rev-parse', '--verify', `refs/heads/${options.targetBranch}^{commit}`]);
    if (!rev.ok) return { kind: 'cannot-tell', problem: `the target branch ${options.targetBranch} cannot be read`, exitCode: 2 };
    head = rev.out.trim();
    const done = new Set(verdict.tickets.filter((t) => t.via === 'receipt').map((t) => t.key));
    read = { ...batch, tickets: batch.tickets.filter((t) => done.has(t.key)) };
  } catch (error) {
    return { kind: 'cannot-tell', problem: (error as Error).message, exitCode: 2 };
  }
  const groups = new Map<string, Group>();
  for (const ticket of read.tickets) {
    const commands = await finishLineAt(options.repo, head, ticket);
    const id = JSON.stringify(commands);
    const group = groups.get(id) ?? { commands, keys: [] };
    group.keys.push(ticket.key);
    groups.set(id, group);
  }
  const work = mkdtempSync(join(tmpdir(), 'nightshift-audit-'));
  mkdirSync(work, { recursive: true });
  const results: AuditTicket[] = [];
  try {
    const queue = [...groups.values()].map((group, index) => ({ group, index }));
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const outcome = await runGroup(input, head, work, next.index, next.group);
        for (const key of next.group.keys) results.push({ key, ...outcome });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(input.workers, queue.length)) }, lane));
  } finally {
    rmSync(work, { recursive: true, force: true });
    await inWorktreeTurn(() => git(options.repo, ['worktree', 'prune']));
  }
  results.sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
  const reopened: string[] = [];
  if (input.reopen) {
    for (const failed of results) {
      if (failed.result !== 'failed') continue;
      await tracker.comment(failed.key, renderAuditComment({ ticket: failed.key, commit: head, targetBranch: options.targetBranch, command: failed.command, output: `${failed.exit}\n${failed.output}` }));
      await tracker.moveTicket(failed.key, 'todo');
      reopened.push(failed.key);
    }
  }
  return { kind: 'audited', head, targetBranch: options.targetBranch, tickets: results, reopened, exitCode: results.some((r) => r.result === 'failed') ? 1 : 0 };
}
