// What the Claude Code, Codex and Gemini adapters share: run the CLI headless through the subprocess
// module, read back what it printed (stdout and stderr both go to the pass's log), redact the log,
// tell a usage or rate limit from a failure, and take a result the model printed instead of writing.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import { redactSecrets } from '../safety/redact.ts';
import { AGENT_NICENESS, runProcess } from '../process/subprocess.ts';
import type { AgentOutcome, AgentRun } from './types.ts';

// the loop's own entry: a hook call is one node process, not the frozen CLI starting another for it
const CLI = fileURLToPath(new URL('../main.ts', import.meta.url));

/** The shell command a CLI's hook settings run: `nightshift hook <event>` by absolute paths. */
export function hookCommand(event: 'pre-tool-use' | 'stop', execPath = process.execPath): string {
  return quote([execPath, CLI, 'hook', event]);
}

/** Longest prompt passed as one argument (Linux caps a single argument at 128 KiB). */
const MAX_PROMPT_ARG = 120_000;

/** The prompt to pass on the command line: the rendered file, or a pointer to it when too long. */
export function promptArgument(input: AgentRun): string {
  const prompt = readFileSync(input.promptFile, 'utf8');
  if (Buffer.byteLength(prompt) <= MAX_PROMPT_ARG) return prompt;
  return `Your full instructions are in the file ${input.promptFile}. Read all of it first, then follow it exactly.`;
}

/**
 * The variables every deep agent gets besides the protocol ones: its worktree (for the hooks) and a
 * scratch directory next to its result file, as TMPDIR, where the safety gate lets it write and delete.
 */
export function sessionEnvironment(input: AgentRun): Record<string, string> {
  const scratch = join(dirname(input.resultFile), 'tmp');
  mkdirSync(scratch, { recursive: true });
  return { NIGHTSHIFT_WORKTREE: input.cwd, NIGHTSHIFT_SCRATCH_DIR: scratch, TMPDIR: scratch };
}

export type CliFinish = { kind: 'exited'; exitCode: number; durationMs: number; output: string } | { kind: 'ended'; outcome: AgentOutcome };

/** Runs the CLI; `output` is what it printed during this run (the log may hold earlier runs). */
export async function runHeadless(file: string, args: string[], env: NodeJS.ProcessEnv, input: AgentRun): Promise<CliFinish> {
  const before = existsSync(input.logFile) ? statSync(input.logFile).size : 0;
  const start = input.sandbox ? input.sandbox(file, args) : { file, args };
  const result = await runProcess({ file: start.file, args: start.args, cwd: input.cwd, env, timeoutMs: input.timeoutMs, signal: input.signal, logFile: input.logFile, onSpawn: input.onSpawn, kind: `agent:${input.role}`, niceness: AGENT_NICENESS });
  const output = redactLog(input.logFile, before, env);
  switch (result.kind) {
    case 'exited': return { kind: 'exited', exitCode: result.exitCode, durationMs: result.durationMs, output };
    case 'timed-out': return { kind: 'ended', outcome: { kind: 'timed-out', durationMs: result.durationMs } };
    case 'killed': return { kind: 'ended', outcome: { kind: 'crashed', detail: `killed by ${result.signal}`, durationMs: result.durationMs } };
    case 'aborted': return { kind: 'ended', outcome: { kind: 'crashed', detail: 'aborted by the loop', durationMs: result.durationMs } };
    case 'spawn-failed': return { kind: 'ended', outcome: { kind: 'crashed', detail: `${file} could not start: ${result.message}`, durationMs: result.durationMs } };
  }
}

/** Rewrites the part of the log this run wrote with secrets masked; returns it. */
function redactLog(logFile: string, from: number, env: NodeJS.ProcessEnv): string {
  const all = readFileSync(logFile);
  const head = all.subarray(0, from);
  const tail = all.subarray(from).toString('utf8');
  const redacted = redactSecrets(tail, env);
  if (redacted !== tail) writeFileSync(logFile, Buffer.concat([head, Buffer.from(redacted)]));
  return redacted;
}

const LIMIT = /usage limit|rate[ _-]?limit|too many requests|\b429\b|resource[ _]exhausted|quota|overloaded|limit reached|hit your limit/i;

/** A usage- or rate-limit message in a failed run's text, with when to retry if it says. */
export function findRateLimit(text: string, now = Date.now()): { detail: string; retryAfterMs?: number } | undefined {
  const match = LIMIT.exec(text);
  if (!match) return undefined;
  const line = text.slice(text.lastIndexOf('\n', match.index) + 1).split('\n')[0]!.trim().slice(0, 300);
  const epoch = /\|(\d{10})\b/.exec(text) ?? /reset(?:s|_at|sAt)?["']?\s*[:=]?\s*(\d{10})\b/i.exec(text);
  if (epoch) return { detail: line, retryAfterMs: Math.max(0, Number(epoch[1]) * 1000 - now) };
  const seconds = /(?:retry|try again)[^0-9]{0,20}(\d+(?:\.\d+)?)\s*(s|sec|seconds|m|min|minutes)\b/i.exec(text);
  if (seconds) return { detail: line, retryAfterMs: Math.round(Number(seconds[1]) * (seconds[2]!.startsWith('m') ? 60_000 : 1000)) };
  return { detail: line };
}

/** The last JSON object in a text that satisfies `accept` (objects may span lines, as Gemini prints them). */
export function lastJsonObject(text: string, accept: (value: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  for (let start = text.lastIndexOf('{'); start !== -1; start = start === 0 ? -1 : text.lastIndexOf('{', start - 1)) {
    if (start > 0 && text[start - 1] !== '\n') continue;
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    try {
      const value = JSON.parse(text.slice(start, end + 1)) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && accept(value as Record<string, unknown>)) return value as Record<string, unknown>;
    } catch {
      // not JSON after all
    }
  }
  return undefined;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * When the agent printed its result as its final message instead of writing the result file (a
 * sandbox may forbid writing outside the worktree), the JSON object in that message becomes the file.
 */
export function adoptResult(resultFile: string, message: string | undefined): boolean {
  if (existsSync(resultFile) || !message) return false;
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(message)?.[1];
  const candidate = fenced ?? message.slice(message.indexOf('{'), message.lastIndexOf('}') + 1);
  try {
    const value = JSON.parse(candidate) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    writeFileSync(resultFile, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

/** `claude:opus` -> `opus`; `claude` -> undefined (the CLI's own default). */
export function modelOf(spec: string): string | undefined {
  const model = spec.slice(spec.indexOf(':') + 1);
  return spec.includes(':') && model !== '' ? model : undefined;
}
