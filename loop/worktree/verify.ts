// A ticket's finish line: the commands of the ```verify block in its description, one per line, run by
// the loop itself (never by the agent) in a worktree. Used before the merge and for the replay after it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runProcess } from '../process/subprocess.ts';

export { finishLine, verifyCommands, verifyFilePath } from '../../oracle/finish-line.ts';

export type VerifyOutcome =
  | { kind: 'passed'; digest: string; commands: number }
  | { kind: 'failed'; command: string; exit: string; output: string; digest: string }
  | { kind: 'no-commands' };

/** Runs each command with `sh -c` in `cwd`, stopping at the first failure; output goes to `logFile`. */
export async function runVerify(input: {
  commands: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For the CPU counted per kind of command: `verify` (the default), `replay`, `preflight`. */
  kind?: string;
}): Promise<VerifyOutcome> {
  if (input.commands.length === 0) return { kind: 'no-commands' };
  for (const command of input.commands) {
    const before = safeSize(input.logFile);
    const result = await runProcess({
      file: '/bin/sh',
      args: ['-c', command],
      cwd: input.cwd,
      env: input.env,
      timeoutMs: input.timeoutMs,
      signal: input.signal,
      logFile: input.logFile,
      kind: input.kind ?? 'verify',
    });
    if (result.kind !== 'exited' || result.exitCode !== 0) {
      const exit = result.kind === 'exited' ? `exit ${result.exitCode}` : result.kind;
      const output = readFileSync(input.logFile, 'utf8').slice(before).slice(-4_000);
      return { kind: 'failed', command, exit, output, digest: digestOf(input.logFile) };
    }
  }
  return { kind: 'passed', digest: digestOf(input.logFile), commands: input.commands.length };
}

function safeSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

function digestOf(path: string): string {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch {
    content = Buffer.alloc(0);
  }
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
