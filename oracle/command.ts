// `nightshift oracle`: reads the tracker and git afresh, judges the batch, prints one line per ticket
// (or JSON) and returns the exit code. It never returns 0 on an error. `--serve` answers one question
// per stdin line from one process, each read afresh: no answer is ever kept for the next question.
import { createInterface } from 'node:readline';
import { FatalError } from '../trackers/errors.ts';
import { openTracker } from '../trackers/open.ts';
import { readGitFacts } from './git.ts';
import { ORACLE_USAGE, parseOracleArgs } from './options.ts';
import type { OracleOptions } from './options.ts';
import { judgeBatch } from './verdict.ts';
import type { BatchVerdict } from './verdict.ts';

export type OracleIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The questions of `--serve`, one per line (default: the lines of process.stdin). */
  lines?: () => AsyncIterable<string>;
};

/** Runs the oracle for parsed options and returns its verdict; errors become `cannot-tell`. */
export async function checkBatch(options: OracleOptions, env: NodeJS.ProcessEnv): Promise<BatchVerdict> {
  try {
    const tracker = await openTracker(options.tracker, env);
    // git and the tracker are read side by side. Either order is safe: a receipt is written after its
    // merge, and the target only gains commits, so a race can only hide a landing, never invent one.
    // When both fail, git's problem is the one told, as when they were read in turn.
    const [git, read] = await Promise.allSettled([readGitFacts(options.repo, options.targetBranch), tracker.readBatch(options.batch)]);
    if (git.status === 'rejected') throw git.reason;
    if (read.status === 'rejected') throw read.reason;
    return judgeBatch(read.value, git.value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'cannot-tell', exitCode: 2, tickets: [], problem: message };
  }
}

export async function runOracleCommand(argv: string[], io: OracleIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${ORACLE_USAGE}\n`);
    return 0;
  }
  let options: OracleOptions;
  try {
    options = parseOracleArgs(argv, io.cwd);
  } catch (error) {
    if (error instanceof FatalError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.serve) {
    // every question is judged from scratch by checkBatch: a fresh tracker, a fresh read, fresh git
    for await (const question of (io.lines ?? stdinLines)()) {
      io.stdout(`${JSON.stringify({ ...verdictJson(options, await checkBatch(options, io.env)), question })}\n`);
      // each question reads the whole batch, and a long run asks hundreds: collecting after each answer
      // (when started with --expose-gc, as the loop does) keeps the process near its working size (100 MB
      // at 200 tickets, 122 MB at 1,000, against 130 and 175 MB left to V8) for ~20 ms of CPU an answer
      (globalThis as { gc?: () => void }).gc?.();
    }
    return 0;
  }
  const verdict = await checkBatch(options, io.env);
  if (options.json) {
    io.stdout(`${JSON.stringify(verdictJson(options, verdict))}\n`);
    return verdict.exitCode;
  }
  const width = Math.max(8, ...verdict.tickets.map((t) => t.key.length));
  for (const t of verdict.tickets) {
    const mark = t.via === 'human-gated' ? 'gated' : t.satisfied ? 'done' : 'open';
    io.stdout(`${t.key.padEnd(width)}  ${mark.padEnd(5)}  ${t.reason}\n`);
  }
  const satisfied = verdict.tickets.filter((t) => t.satisfied).length;
  const total = verdict.tickets.length;
  switch (verdict.kind) {
    case 'done':
      io.stdout(`oracle: DONE - ${total} of ${total} tickets satisfied${verdict.gated > 0 ? ` (${verdict.gated} human-gated)` : ''} [${options.batch.spec}]\n`);
      break;
    case 'not-done':
      io.stdout(`oracle: NOT DONE - ${satisfied} of ${total} tickets satisfied [${options.batch.spec}]\n`);
      break;
    case 'cannot-tell':
      io.stderr(`oracle: CANNOT TELL - ${verdict.problem} [${options.batch.spec}]\n`);
      break;
  }
  return verdict.exitCode;
}

function verdictJson(options: OracleOptions, verdict: BatchVerdict): Record<string, unknown> {
  return {
    verdict: verdict.kind,
    exit_code: verdict.exitCode,
    batch: options.batch.spec,
    label: options.batch.label,
    target_branch: options.targetBranch,
    tickets: verdict.tickets,
    ...(verdict.kind === 'cannot-tell' ? { problem: verdict.problem } : { gated: verdict.gated }),
  };
}

function stdinLines(): AsyncIterable<string> {
  return createInterface({ input: process.stdin, crlfDelay: Infinity });
}
