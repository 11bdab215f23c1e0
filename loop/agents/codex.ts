// `codex[:model]`: Codex CLI non-interactive mode, following https://developers.openai.com/codex/noninteractive
// (`codex exec --json -s workspace-write -m MODEL -o LAST_MESSAGE_FILE -C DIR PROMPT`; JSONL events
// thread.started{thread_id}, turn.started, item.started/updated/completed, turn.completed{usage},
// turn.failed{error}, error{message}) and the config reference (https://developers.openai.com/codex/config-reference:
// `model_reasoning_effort`, set with `-c`). The sandbox keeps writes inside the worktree plus the result
// and journal directories (`--add-dir`); Codex reports tokens, not cost. `error` events such as
// "Reconnecting... 2/5" and `item.completed` items of type `error` are warnings the run survives, so
// only a failed turn or a non-zero exit fails. Checked against codex-cli 0.169.0 (`codex exec --help`,
// and a start with exactly these flags): offline it retries forever, so the wall-clock limit ends it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { agentEnvironment } from './env.ts';
import { adoptResult, findRateLimit, modelOf, promptArgument, runHeadless, sessionEnvironment } from './headless.ts';
import type { Agent, AgentOutcome, AgentRun } from './types.ts';
import { vendorOf } from '../../oracle/agent-argv.ts';

/** Directories outside the worktree the agent must write: its result's and its journal's. */
export function writableDirs(input: AgentRun): string[] {
  return [...new Set([dirname(input.resultFile), ...(input.extraEnv?.NIGHTSHIFT_JOURNAL_FILE ? [dirname(input.extraEnv.NIGHTSHIFT_JOURNAL_FILE)] : [])])];
}

export function codexArgs(input: AgentRun, model: string | undefined, lastMessageFile: string): string[] {
  // Inside nightshift's own sandbox (loop/sandbox) Codex's bubblewrap cannot start (no capabilities to map
  // a nested user namespace), and ours already confines it more tightly: its own sandbox is turned off.
  const writable = input.sandbox ? [] : writableDirs(input);
  return [
    'exec', '--json',
    '-s', input.sandbox ? 'danger-full-access' : 'workspace-write',
    ...(model ? ['-m', model] : []),
    '-c', 'model_reasoning_effort="high"',
    ...writable.flatMap((dir) => ['--add-dir', dir]),
    '-o', lastMessageFile,
    '-C', input.cwd,
    promptArgument(input),
  ];
}

export function codexAgent(spec: string, binary = 'codex'): Agent {
  const model = modelOf(spec);
  return {
    spec,
    vendor: vendorOf(spec),
    async run(input: AgentRun): Promise<AgentOutcome> {
      const lastMessageFile = `${input.resultFile}.last-message.txt`;
      // The sandbox (bubblewrap on Linux) cannot bind a directory that does not exist: every command would fail.
      for (const dir of writableDirs(input)) mkdirSync(dir, { recursive: true });
      const env = { ...agentEnvironment(input), ...sessionEnvironment(input) };
      const finish = await runHeadless(binary, codexArgs(input, model, lastMessageFile), env, input);
      if (finish.kind === 'ended') return finish.outcome;
      const lastMessage = existsSync(lastMessageFile) ? readFileSync(lastMessageFile, 'utf8') : undefined;
      return readCodexEvents(finish.output, finish.exitCode, finish.durationMs, input.resultFile, lastMessage);
    },
  };
}

type CodexEvent = { type: string; thread_id?: string; usage?: Record<string, number>; error?: { message?: string }; message?: string; item?: { type?: string; text?: string } };

/** Reads the JSONL event stream the run printed. */
export function readCodexEvents(output: string, exitCode: number, durationMs: number, resultFile: string, lastMessage?: string): AgentOutcome {
  const events: CodexEvent[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const event = JSON.parse(line) as CodexEvent;
      if (typeof event.type === 'string') events.push(event);
    } catch {
      // a line of stderr that happens to start with a brace
    }
  }
  const sessionId = events.find((e) => e.type === 'thread.started')?.thread_id;
  const completed = events.filter((e) => e.type === 'turn.completed');
  const failures = events.filter((e) => e.type === 'turn.failed').map((e) => e.error?.message ?? 'turn failed');
  const errors = events.filter((e) => e.type === 'error').map((e) => e.message ?? '');
  const finalMessage = lastMessage ?? [...events].reverse().find((e) => e.type === 'item.completed' && e.item?.type === 'agent_message')?.item?.text;
  const failed = exitCode !== 0 || failures.length > 0 || completed.length === 0;
  if (failed) {
    const limit = findRateLimit([...failures, ...errors, exitCode !== 0 && events.length === 0 ? output : ''].join('\n'));
    if (limit) return { kind: 'rate-limited', ...limit, durationMs };
    if (events.length === 0 && exitCode !== 0) return { kind: 'crashed', detail: `codex exited ${exitCode} without events: ${output.trim().slice(-500)}`, durationMs };
  }
  adoptResult(resultFile, finalMessage);
  return {
    kind: 'finished',
    exitCode: failed && exitCode === 0 ? 1 : exitCode,
    durationMs,
    report: { turns: completed.length, ...(sessionId ? { sessionId } : {}) },
  };
}
