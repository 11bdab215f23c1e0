// `claude[:model]`: Claude Code headless. Follows the CLI reference (https://code.claude.com/docs/en/cli-reference:
// `-p`, `--output-format json`, `--max-turns`, `--effort`, `--settings`, `--model`, `--permission-mode`), headless
// mode (https://code.claude.com/docs/en/headless: the JSON result's is_error, subtype, num_turns,
// total_cost_usd, session_id, result) and hooks (https://code.claude.com/docs/en/hooks: PreToolUse and
// Stop command hooks, exit 2 blocks). A generated settings file installs `nightshift hook pre-tool-use`
// on every tool and `nightshift hook stop`; `--bare` would skip settings hooks, so it is never used.
// Success is judged by is_error and the exit code, not by subtype. As root, bypassPermissions needs
// IS_SANDBOX=1.
import { writeFileSync } from 'node:fs';
import { agentEnvironment } from './env.ts';
import { adoptResult, findRateLimit, hookCommand, lastJsonObject, modelOf, promptArgument, runHeadless, sessionEnvironment } from './headless.ts';
import type { Agent, AgentOutcome, AgentRole, AgentRun } from './types.ts';
import { vendorOf } from '../../oracle/agent-argv.ts';

/** Reasoning effort per role (`--effort`: low, medium, high, xhigh, max): workers and heals think hardest. */
export const CLAUDE_EFFORT: Record<AgentRole, string> = { worker: 'max', heal: 'max', reviewer: 'xhigh', 'blocked-check': 'high' };

/** Turn caps per role; the wall-clock limit of the loop is the other bound. */
export const CLAUDE_MAX_TURNS: Record<AgentRole, number> = { worker: 300, reviewer: 80, heal: 200, 'blocked-check': 40 };

/** Seconds Claude Code waits for each hook (its default of 60 is too short for a finish line). */
const PRE_TOOL_TIMEOUT_S = 60;
const STOP_TIMEOUT_S = 30 * 60;

/** The settings that install our hooks, as Claude Code reads them from `--settings`. */
export function claudeSettings(execPath = process.execPath): object {
  const hook = (event: 'pre-tool-use' | 'stop'): string => hookCommand(event, execPath);
  return {
    hooks: {
      PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: hook('pre-tool-use'), timeout: PRE_TOOL_TIMEOUT_S }] }],
      Stop: [{ hooks: [{ type: 'command', command: hook('stop'), timeout: STOP_TIMEOUT_S }] }],
    },
  };
}

export function claudeArgs(input: AgentRun, model: string | undefined, settingsFile: string): string[] {
  return [
    '-p', promptArgument(input),
    '--output-format', 'json',
    '--max-turns', String(CLAUDE_MAX_TURNS[input.role]),
    '--effort', CLAUDE_EFFORT[input.role],
    '--settings', settingsFile,
    '--permission-mode', 'bypassPermissions',
    ...(model ? ['--model', model] : []),
  ];
}

export function claudeAgent(spec: string, binary = 'claude'): Agent {
  const model = modelOf(spec);
  return {
    spec,
    vendor: vendorOf(spec),
    async run(input: AgentRun): Promise<AgentOutcome> {
      const settingsFile = `${input.promptFile}.claude-settings.json`;
      writeFileSync(settingsFile, `${JSON.stringify(claudeSettings(), null, 2)}\n`);
      const env = {
        ...agentEnvironment(input),
        ...sessionEnvironment(input),
        NIGHTSHIFT_HOOK_LOG: `${input.logFile}.hooks.jsonl`,
        ...(process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {}),
      };
      const finish = await runHeadless(binary, claudeArgs(input, model, settingsFile), env, input);
      if (finish.kind === 'ended') return finish.outcome;
      return readClaudeResult(finish.output, finish.exitCode, finish.durationMs, input.resultFile);
    },
  };
}

/** Reads the `--output-format json` result from what the CLI printed. */
export function readClaudeResult(output: string, exitCode: number, durationMs: number, resultFile: string): AgentOutcome {
  const json = lastJsonObject(output, (value) => value.type === 'result' || 'is_error' in value);
  if (!json) {
    const limit = exitCode !== 0 ? findRateLimit(output) : undefined;
    if (limit) return { kind: 'rate-limited', ...limit, durationMs };
    if (exitCode !== 0) return { kind: 'crashed', detail: `claude exited ${exitCode} without a JSON result: ${output.trim().slice(-500)}`, durationMs };
    return { kind: 'finished', exitCode, durationMs, report: {} };
  }
  const failed = json.is_error === true || exitCode !== 0;
  const text = typeof json.result === 'string' ? json.result : '';
  if (failed) {
    const limit = findRateLimit(`${text}\n${typeof json.subtype === 'string' ? json.subtype : ''}\n${JSON.stringify(json.error ?? '')}`);
    if (limit) return { kind: 'rate-limited', ...limit, durationMs };
  } else {
    adoptResult(resultFile, text);
  }
  return {
    kind: 'finished',
    exitCode: failed && exitCode === 0 ? 1 : exitCode,
    durationMs,
    report: {
      ...(typeof json.total_cost_usd === 'number' ? { costUsd: json.total_cost_usd } : {}),
      ...(typeof json.num_turns === 'number' ? { turns: json.num_turns } : {}),
      ...(typeof json.session_id === 'string' ? { sessionId: json.session_id } : {}),
    },
  };
}
