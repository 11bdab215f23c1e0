// A ticket's finish line: the commands of the ```verify block in its description, one per line, run by
// the loop itself (never by the agent) in a worktree. Used before the merge and for the replay after it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from './subprocess.ts';

const VERIFY_BLOCK = /```verify[ \t]*\r?\n([\s\S]*?)```/g;

/** The verify commands of a description (all ```verify blocks, blank lines and `#` comments dropped). */
export function verifyCommands(description: string): string[] {
  const commands: string[] = [];
  for (const match of description.matchAll(VERIFY_BLOCK)) {
    for (const line of (match[1] ?? '').split('\n')) {
      const command = line.trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

/** Where a worker adds the verify commands of a ticket whose description has none (reviewed as code). */
export function verifyFilePath(key: string): string {
  return `.nightshift/verify/${key}`;
}

/**
 * The finish line of a ticket as seen from a checkout: the description's ```verify blocks, or, when it
 * has none, the commands the worker committed in `.nightshift/verify/<KEY>` (one per line).
 */
export function finishLine(description: string, key: string, checkout: string): { commands: string[]; source: 'ticket' | 'repo' | 'none' } {
  const fromTicket = verifyCommands(description);
  if (fromTicket.length > 0) return { commands: fromTicket, source: 'ticket' };
  let text: string;
  try {
    text = readFileSync(join(checkout, verifyFilePath(key)), 'utf8');
  } catch {
    return { commands: [], source: 'none' };
  }
  const commands = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return { commands, source: commands.length > 0 ? 'repo' : 'none' };
}

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
