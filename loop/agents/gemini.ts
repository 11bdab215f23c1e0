// `gemini[:model]`: Gemini CLI headless mode, following https://geminicli.com/docs/cli/headless/
// (`gemini -p PROMPT -o json -m MODEL --approval-mode yolo --skip-trust`; one JSON object
// {session_id, response, stats, error}) and its exit codes: 41 authentication, 42 input, 52 config,
// 53 turn limit, 54 tool error, 55 untrusted folder, 130 cancelled. Auth, input, config and trust
// failures are the harness's problem (crashed); a turn limit or tool error is a finished pass that the
// loop's own checks judge; a quota or rate limit is its own outcome. Our hooks are installed through
// a generated settings file named by GEMINI_CLI_SYSTEM_SETTINGS_PATH (the settings layer that overrides
// the user's; https://geminicli.com/docs/cli/settings): `nightshift hook pre-tool-use` as BeforeTool and
// `nightshift hook stop` as AfterAgent (https://geminicli.com/docs/hooks/reference: exit 2 blocks a tool
// or sends the agent back, with stderr as the reason; AfterAgent carries stop_hook_active). Gemini CLI
// 0.61 skips a system settings file that has a group- or world-writable ancestor (such as /tmp), so the
// file goes to ~/.cache/nightshift/gemini-settings/ when the pass directory is not safe enough.
import { createHash } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { agentEnvironment } from './env.ts';
import { adoptResult, findRateLimit, hookCommand, lastJsonObject, modelOf, promptArgument, runHeadless, sessionEnvironment } from './headless.ts';
import type { Agent, AgentOutcome, AgentRun } from './types.ts';
import { vendorOf } from '../../oracle/agent-argv.ts';

const SETUP_FAILURES: Record<number, string> = { 41: 'authentication failed', 42: 'the prompt or arguments were rejected', 52: 'its configuration is invalid', 55: 'the folder is not trusted', 130: 'it was cancelled' };

export function geminiArgs(input: AgentRun, model: string | undefined): string[] {
  return ['-p', promptArgument(input), '-o', 'json', ...(model ? ['-m', model] : []), '--approval-mode', 'yolo', '--skip-trust'];
}

/** The settings that install our hooks, as Gemini CLI reads them (timeouts in milliseconds). */
export function geminiSettings(execPath = process.execPath): object {
  return {
    hooks: {
      BeforeTool: [{ matcher: '.*', hooks: [{ name: 'nightshift-safety-gate', type: 'command', command: hookCommand('pre-tool-use', execPath), timeout: 60_000 }] }],
      AfterAgent: [{ hooks: [{ name: 'nightshift-stop-gate', type: 'command', command: hookCommand('stop', execPath), timeout: 1_800_000 }] }],
    },
  };
}

export function geminiAgent(spec: string, binary = 'gemini'): Agent {
  const model = modelOf(spec);
  return {
    spec,
    vendor: vendorOf(spec),
    async run(input: AgentRun): Promise<AgentOutcome> {
      const settingsFile = trustedSettingsPath(`${input.promptFile}.gemini-settings.json`);
      writeFileSync(settingsFile, `${JSON.stringify(geminiSettings(), null, 2)}\n`);
      const env = {
        ...agentEnvironment(input), ...sessionEnvironment(input),
        GEMINI_CLI_SYSTEM_SETTINGS_PATH: settingsFile, NIGHTSHIFT_HOOK_LOG: `${input.logFile}.hooks.jsonl`,
      };
      const finish = await runHeadless(binary, geminiArgs(input, model), env, input);
      if (finish.kind === 'ended') return finish.outcome;
      return readGeminiResult(finish.output, finish.exitCode, finish.durationMs, input.resultFile);
    },
  };
}

/** `preferred` when no ancestor directory is writable by group or others, else a path under ~/.cache. */
export function trustedSettingsPath(preferred: string, home = homedir()): string {
  if (ancestorsTrusted(dirname(preferred))) return preferred;
  const dir = join(home, '.cache', 'nightshift', 'gemini-settings');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${createHash('sha256').update(preferred).digest('hex').slice(0, 16)}.json`);
}

function ancestorsTrusted(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    try {
      if ((statSync(current).mode & 0o022) !== 0) return false;
    } catch {
      return false;
    }
    if (current === dirname(current)) return true;
  }
}

type GeminiStats = { models?: Record<string, { api?: { totalRequests?: number } }> };

/** Reads the `-o json` object from what the CLI printed. */
export function readGeminiResult(output: string, exitCode: number, durationMs: number, resultFile: string): AgentOutcome {
  const json = lastJsonObject(output, (value) => 'response' in value || 'error' in value || 'session_id' in value);
  const error = json?.error as { message?: string; code?: number | string; type?: string } | undefined;
  const errorText = error ? `${error.type ?? ''} ${error.code ?? ''} ${error.message ?? ''}` : '';
  if (exitCode !== 0 || error) {
    const limit = findRateLimit(json ? errorText : output);
    if (limit) return { kind: 'rate-limited', ...limit, durationMs };
  }
  const setup = SETUP_FAILURES[exitCode];
  if (setup) return { kind: 'crashed', detail: `gemini exited ${exitCode}: ${setup}${errorText.trim() ? ` (${errorText.trim()})` : ''}`, durationMs };
  if (!json && exitCode !== 0) return { kind: 'crashed', detail: `gemini exited ${exitCode} without a JSON result: ${output.trim().slice(-500)}`, durationMs };
  if (typeof json?.response === 'string') adoptResult(resultFile, json.response);
  const stats = json?.stats as GeminiStats | undefined;
  const requests = Object.values(stats?.models ?? {}).reduce((sum, m) => sum + (m.api?.totalRequests ?? 0), 0);
  return {
    kind: 'finished',
    exitCode: exitCode === 0 && error ? 1 : exitCode,
    durationMs,
    report: { ...(requests > 0 ? { turns: requests } : {}), ...(typeof json?.session_id === 'string' ? { sessionId: json.session_id } : {}) },
  };
}
