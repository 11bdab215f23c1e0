// Shared by the scripted stand-ins of the claude, codex and gemini CLIs (test/bin/): the scenario to
// play (STANDIN_SCENARIO), a JSONL record of every call (STANDIN_LOG: argv, cwd, the variables the
// adapters set), and the result a role writes by default.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

export const scenario = process.env.STANDIN_SCENARIO ?? 'ok';

export function record(cli, extra = {}) {
  if (!process.env.STANDIN_LOG) return;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(NIGHTSHIFT_|IS_SANDBOX$|LINEAR_|JIRA_|ANTHROPIC_|GEMINI_|TMPDIR$)/.test(k)));
  appendFileSync(process.env.STANDIN_LOG, `${JSON.stringify({ cli, argv: process.argv.slice(2), cwd: process.cwd(), env, ...extra })}\n`);
}

export function defaultResult() {
  const role = process.env.NIGHTSHIFT_ROLE;
  if (role === 'reviewer') return { verdict: 'approve', findings: [], cost_usd: 0 };
  if (role === 'blocked-check') return { verdict: 'unproven', reason: 'stand-in' };
  if (role === 'heal') return { classification: 'wall', summary: 'stand-in', evidence: '' };
  return { status: 'complete', summary: 'stand-in did the work', evidence: 'npm test: ok', discovered: [], cost_usd: 0 };
}

export function writeResult() {
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(defaultResult()));
}

/** The value after a flag, e.g. valueOf(['-m', 'x'], '-m') === 'x'. */
export function valueOf(argv, flag) {
  const i = argv.indexOf(flag);
  return i === -1 ? undefined : argv[i + 1];
}

/**
 * Runs the command hooks of `event` from a settings file the way the CLIs do: each command through a
 * shell, the hook JSON on stdin; exit 2 means blocked (or: sent back). Returns the runs.
 */
export function runSettingsHooks(settingsFile, event, payload, toolName, timeoutUnitMs) {
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  const runs = [];
  for (const group of settings.hooks?.[event] ?? []) {
    if (toolName && group.matcher && group.matcher !== '*' && !new RegExp(`^(${group.matcher})$`).test(toolName)) continue;
    for (const hook of group.hooks) {
      const input = JSON.stringify({ transcript_path: '/tmp/transcript.jsonl', cwd: process.cwd(), hook_event_name: event, ...payload });
      const run = spawnSync('/bin/sh', ['-c', hook.command], { input, encoding: 'utf8', env: process.env, timeout: (hook.timeout ?? 60) * timeoutUnitMs });
      runs.push({ event, tool: toolName, exit: run.status, stderr: run.stderr });
    }
  }
  return runs;
}
