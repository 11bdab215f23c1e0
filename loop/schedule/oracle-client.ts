// Asks the frozen oracle for its verdict the only way the loop may: by running `oracle/cli.ts` as its
// own process and reading its exit code and JSON. The loop never judges done itself. A run keeps one
// `oracle --serve` process and asks it a question per line (each answered from a fresh read of the
// tracker and git), which spares ~0.25 s of CPU per question that a new node process spends starting.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';
import { runProcess } from '../process/subprocess.ts';

const ORACLE_CLI = fileURLToPath(new URL('../../oracle/cli.ts', import.meta.url));

const OracleJson = z.object({
  verdict: z.enum(['done', 'not-done', 'cannot-tell']),
  exit_code: z.number(),
  tickets: z.array(z.object({ key: z.string(), satisfied: z.boolean(), via: z.enum(['receipt', 'human-gated']).nullable(), reason: z.string() })),
  problem: z.string().optional(),
  gated: z.number().optional(),
});
export type OracleAnswer = z.infer<typeof OracleJson> & { exitCode: number };

export type OracleArgs = {
  batch: string;
  tracker: string;
  tickets?: string | undefined;
  repo: string;
  targetBranch: string;
};

function oracleArgv(args: OracleArgs): string[] {
  const argv = [ORACLE_CLI, args.batch, '--tracker', args.tracker, '--repo', args.repo, '--target-branch', args.targetBranch, '--json'];
  if (args.tickets) argv.push('--tickets', args.tickets);
  return argv;
}

/** One question, one oracle process: its exit code is the verdict. */
export async function askOracle(args: OracleArgs, logFile: string, env: NodeJS.ProcessEnv): Promise<OracleAnswer> {
  writeFileSync(logFile, '');
  const argv = oracleArgv(args);
  const result = await runProcess({ file: process.execPath, args: argv, cwd: args.repo, env, timeoutMs: 120_000, logFile });
  const exitCode = result.kind === 'exited' ? result.exitCode : 2;
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const parsed = OracleJson.safeParse(JSON.parse(line));
      if (parsed.success) {
        // the exit code is the verdict; the JSON only explains it
        return { ...parsed.data, exitCode };
      }
    } catch {
      // not the JSON line
    }
  }
  return { verdict: 'cannot-tell', exit_code: 2, tickets: [], problem: lines.reverse().join('\n').slice(-2_000) || result.kind, exitCode: exitCode === 0 ? 2 : exitCode };
}

export type OracleSession = {
  /** One question to the oracle; a dead or silent oracle is `cannot-tell` (exit 2), never done. */
  ask(): Promise<OracleAnswer>;
  /** Starts the oracle process ahead of the first question (its start-up then overlaps the caller's). */
  start(): void;
  /** Ends the oracle process (its input closes; killed if it has not gone within a few seconds). */
  close(): Promise<void>;
};

const QUESTION_TIMEOUT_MS = 120_000;
const ServedJson = OracleJson.extend({ question: z.string() });

/**
 * A run's oracle: one `oracle --serve` process, started on the first question and again after it dies,
 * asked one question at a time. Each answer is also written to `logFile` (the last one is kept).
 */
export function openOracleSession(args: OracleArgs, logFile: string, env: NodeJS.ProcessEnv): OracleSession {
  type Server = { child: ReturnType<typeof spawn>; answers: Map<string, (line: string | undefined) => void>; gone: Promise<string> };
  let server: Server | undefined;
  let questions = 0;
  let queue: Promise<unknown> = Promise.resolve();
  function spawn() {
    // --expose-gc: the serving oracle collects after each answer, so it stays its size all night
    return execa(process.execPath, ['--expose-gc', ...oracleArgv(args), '--serve'], {
      cwd: args.repo, env, extendEnv: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe',
      buffer: { stdout: false, stderr: true }, reject: false, detached: true, forceKillAfterDelay: 2_000,
    });
  }
  function start(): Server {
    const child = spawn();
    const answers = new Map<string, (line: string | undefined) => void>();
    child.stdin.on('error', () => undefined); // a write after the oracle died: its exit answers
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const id = /"question":"(\d+)"/.exec(line)?.[1];
      if (id) answers.get(id)?.(line);
    });
    const gone = child.then((result) => {
      for (const answer of answers.values()) answer(undefined);
      return `the oracle process ended (${result.signal ?? `exit ${String(result.exitCode)}`}): ${String(result.stderr ?? '').slice(-2_000) || result.shortMessage || ''}`;
    });
    return { child, answers, gone };
  }
  async function question(): Promise<OracleAnswer> {
    const current = server ??= start();
    const id = String(++questions);
    let timer: NodeJS.Timeout | undefined;
    const line = await new Promise<string | undefined>((resolve) => {
      current.answers.set(id, resolve);
      timer = setTimeout(() => {
        current.child.kill('SIGKILL');
        resolve(undefined);
      }, QUESTION_TIMEOUT_MS);
      current.child.stdin.write(`${id}\n`);
    }).finally(() => {
      clearTimeout(timer);
      current.answers.delete(id);
    });
    const parsed = line === undefined ? undefined : ServedJson.safeParse(safeJson(line));
    if (!parsed?.success || parsed.data.question !== id) {
      if (server === current) server = undefined;
      current.child.kill('SIGKILL');
      const problem = line === undefined
        ? await Promise.race([current.gone, new Promise<string>((resolve) => setTimeout(resolve, 5_000, 'the oracle did not answer in time').unref())])
        : `the oracle answered something that is not its JSON: ${line.slice(0, 500)}`;
      return { verdict: 'cannot-tell', exit_code: 2, tickets: [], problem, exitCode: 2 };
    }
    writeFileSync(logFile, `${line}\n`);
    const answer: OracleAnswer = { ...parsed.data, exitCode: parsed.data.exit_code };
    // a served answer's exit code is the one a one-shot oracle would exit with; only a "done" verdict
    // with exit code 0 is done, and anything but a plain 0 or 1 is "cannot tell"
    if (answer.exitCode !== 1 && !(answer.exitCode === 0 && answer.verdict === 'done')) answer.exitCode = 2;
    return answer;
  }
  return {
    start() {
      server ??= start();
    },
    async ask(): Promise<OracleAnswer> {
      const next = queue.then(question, question);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      const current = server;
      server = undefined;
      if (!current) return;
      current.child.stdin.end();
      const timer = setTimeout(() => current.child.kill('SIGKILL'), 5_000);
      await current.gone;
      clearTimeout(timer);
    },
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
