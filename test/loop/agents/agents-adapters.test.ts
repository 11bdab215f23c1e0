// The claude, codex and gemini adapters against scripted stand-ins of their CLIs (real executables in
// test/bin/ on PATH that print each CLI's documented output): the exact command line, the parsing of
// what the CLI reports, usage/rate limits as their own outcome, and the claude settings whose hooks
// the stand-in runs exactly as Claude Code does.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openAgent } from '../../../loop/agents/open.ts';
import type { AgentRun } from '../../../loop/agents/types.ts';
import { ROOT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

const PROMPT = 'Do ticket T-1.\nWrite the result file.';
let dir: string;
let worktree: string;
let passDir: string;
let standinLog: string;

beforeEach(async () => {
  dir = tempDir('nightshift-agents-');
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
  worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
  passDir = join(dir, 'state', 'passes', 'T-1', '1');
  mkdirSync(passDir, { recursive: true });
  mkdirSync(join(dir, 'home'));
  writeFileSync(join(passDir, 'prompt.md'), PROMPT);
  standinLog = join(dir, 'standin.jsonl');
});

function runInput(scenario: string, extra: Record<string, string> = {}, extraEnv: Record<string, string> = {}): AgentRun {
  return {
    role: 'worker', ticket: 'T-1', pass: 1, cwd: worktree,
    promptFile: join(passDir, 'prompt.md'), resultFile: join(passDir, 'result.json'), logFile: join(passDir, 'agent.log'),
    env: {
      PATH: `${ROOT}test/bin:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(dir, 'home'),
      STANDIN_LOG: standinLog, STANDIN_SCENARIO: scenario, LINEAR_API_KEY: 'lin_api_shouldnotleak0123456789',
      ANTHROPIC_API_KEY: 'sk-ant-api03-passesthroughbutisredacted', ...extra,
    },
    extraEnv: { NIGHTSHIFT_JOURNAL_FILE: join(dir, 'state', 'journal', 'T-1.md'), ...extraEnv },
    timeoutMs: 60_000,
  };
}

type Call = { cli: string; argv: string[]; cwd: string; env: Record<string, string>; hookRuns?: Array<{ event: string; tool?: string; exit: number; stderr: string }> };
function calls(): Call[] {
  return readFileSync(standinLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Call);
}
function normalize(argv: string[]): string[] {
  return argv.map((a) => a.split(dir).join('<dir>'));
}

describe('claude adapter', () => {
  it('runs claude -p with JSON output, turn cap, generated hook settings and bypassPermissions, and reads cost, turns and session', async () => {
    const outcome = await openAgent('claude:opus', ROOT).run(runInput('ok'));
    expect(outcome).toEqual({ kind: 'finished', exitCode: 0, durationMs: expect.any(Number), report: { costUsd: 0.4213, turns: 7, sessionId: '3f1c2b7e-0000-4000-8000-000000000001' } });
    const [call] = calls();
    expect(normalize(call!.argv)).toEqual(['-p', PROMPT, '--output-format', 'json', '--max-turns', '300', '--effort', 'max', '--settings', '<dir>/state/passes/T-1/1/prompt.md.claude-settings.json', '--permission-mode', 'bypassPermissions', '--model', 'opus']);
    expect(call!.argv).not.toContain('--bare');
    expect(call!.cwd).toBe(worktree);
    expect(call!.env.NIGHTSHIFT_WORKTREE).toBe(worktree);
    expect(call!.env.LINEAR_API_KEY).toBeUndefined();
    if (process.getuid?.() === 0) expect(call!.env.IS_SANDBOX).toBe('1');
    const settings = JSON.parse(readFileSync(join(passDir, 'prompt.md.claude-settings.json'), 'utf8'));
    expect(settings.hooks.PreToolUse[0].matcher).toBe('*');
    expect(settings.hooks.PreToolUse[0].hooks[0].command).toBe(`${process.execPath} ${ROOT}loop/main.ts hook pre-tool-use`);
    expect(settings.hooks.Stop[0].hooks[0].command).toBe(`${process.execPath} ${ROOT}loop/main.ts hook stop`);
    expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8')).status).toBe('complete');
  });

  it('omits --model when the spec names none, and caps reviewer turns lower', async () => {
    await openAgent('claude', ROOT).run({ ...runInput('ok'), role: 'reviewer' });
    const argv = calls()[0]!.argv;
    expect(argv).not.toContain('--model');
    expect(argv[argv.indexOf('--max-turns') + 1]).toBe('80');
    expect(argv[argv.indexOf('--effort') + 1]).toBe('xhigh');
  });

  it('reports a usage limit as rate-limited with the reset time, not as a failed pass', async () => {
    const outcome = await openAgent('claude', ROOT).run(runInput('rate-limit'));
    expect(outcome.kind).toBe('rate-limited');
    if (outcome.kind !== 'rate-limited') return;
    expect(outcome.detail).toMatch(/usage limit reached/);
    expect(outcome.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(outcome.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('judges failure by is_error and the exit code, not by subtype', async () => {
    const maxTurns = await openAgent('claude', ROOT).run(runInput('max-turns'));
    expect(maxTurns).toMatchObject({ kind: 'finished', exitCode: 1, report: { turns: 300 } });
    const hidden = await openAgent('claude', ROOT).run(runInput('error-with-success-subtype'));
    expect(hidden).toMatchObject({ kind: 'finished', exitCode: 1 });
  });

  it('redacts secret values in the agent log', async () => {
    const outcome = await openAgent('claude', ROOT).run(runInput('leak'));
    expect(outcome).toMatchObject({ kind: 'finished', exitCode: 0 });
    const log = readFileSync(join(passDir, 'agent.log'), 'utf8');
    expect(log).toContain('debug: using key [redacted:ANTHROPIC_API_KEY]');
    expect(log).not.toContain('passesthroughbutisredacted');
  });

  it('runs tool calls through nightshift hook pre-tool-use and stopping through nightshift hook stop, as Claude Code does', async () => {
    const verifyFile = join(passDir, 'verify.txt');
    writeFileSync(verifyFile, 'test -f fixed.txt\n');
    const toolCalls = [
      { tool_name: 'Bash', tool_input: { command: 'rm -rf "$HOME"' } },
      { tool_name: 'Bash', tool_input: { command: 'echo hi > notes.txt && git status --short' } },
      { tool_name: 'Write', tool_input: { file_path: join(dir, 'outside.txt'), content: 'x' } },
      { tool_name: 'AskUserQuestion', tool_input: { questions: [{ question: 'Which?' }] } },
    ];
    const outcome = await openAgent('claude', ROOT).run(runInput('tools', { STANDIN_TOOL_CALLS: JSON.stringify(toolCalls), STANDIN_FIX: join(worktree, 'fixed.txt') }, { NIGHTSHIFT_VERIFY_FILE: verifyFile, NIGHTSHIFT_TARGET_BRANCH: 'main' }));
    expect(outcome.kind).toBe('finished');
    const runs = calls()[0]!.hookRuns!;
    expect(runs.map((r) => [r.event, r.tool ?? '', r.exit])).toEqual([
      ['PreToolUse', 'Bash', 2], ['PreToolUse', 'Bash', 0], ['PreToolUse', 'Write', 2], ['PreToolUse', 'AskUserQuestion', 2], ['Stop', '', 2], ['Stop', '', 0],
    ]);
    expect(runs[0]!.stderr).toMatch(/^nightshift safety gate: blocked: it deletes recursively .*home, outside the worktree/);
    expect(runs[4]!.stderr).toContain('First failure: `test -f fixed.txt` (exit 1)');
    expect(existsSync(join(worktree, 'notes.txt'))).toBe(true);
    expect(existsSync(join(dir, 'home'))).toBe(true);
    const hookLog = readFileSync(join(passDir, 'agent.log.hooks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(hookLog.map((e) => e.decision)).toEqual(['block', 'allow', 'block', 'block', 'continue', 'stop']);
  });
});

describe('codex adapter', () => {
  it('runs codex exec --json in the workspace-write sandbox and takes the result from the last message', async () => {
    const outcome = await openAgent('codex:gpt-5-codex', ROOT).run(runInput('ok'));
    expect(outcome).toEqual({ kind: 'finished', exitCode: 0, durationMs: expect.any(Number), report: { turns: 1, sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53' } });
    expect(normalize(calls()[0]!.argv)).toEqual([
      'exec', '--json', '-s', 'workspace-write', '-m', 'gpt-5-codex', '-c', 'model_reasoning_effort="high"',
      '--add-dir', '<dir>/state/passes/T-1/1', '--add-dir', '<dir>/state/journal',
      '-o', '<dir>/state/passes/T-1/1/result.json.last-message.txt', '-C', '<dir>/wt', PROMPT,
    ]);
    expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8'))).toMatchObject({ status: 'complete', summary: 'stand-in did the work' });
  });

  it('survives a reconnect error event and reports a usage limit as rate-limited', async () => {
    expect(await openAgent('codex', ROOT).run(runInput('reconnect'))).toMatchObject({ kind: 'finished', exitCode: 0 });
    const limited = await openAgent('codex', ROOT).run(runInput('rate-limit'));
    expect(limited).toMatchObject({ kind: 'rate-limited', retryAfterMs: 120_000 });
  });
});

describe('gemini adapter', () => {
  it('runs gemini -p -o json with yolo approval and skip-trust, and reads session, turns and the result', async () => {
    const outcome = await openAgent('gemini:gemini-2.5-pro', ROOT).run(runInput('ok'));
    expect(outcome).toEqual({ kind: 'finished', exitCode: 0, durationMs: expect.any(Number), report: { turns: 5, sessionId: 'b9f3a1c4-5d6e-4f70-8a9b-0c1d2e3f4a5b' } });
    expect(calls()[0]!.argv).toEqual(['-p', PROMPT, '-o', 'json', '-m', 'gemini-2.5-pro', '--approval-mode', 'yolo', '--skip-trust']);
    expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8')).status).toBe('complete');
  });

  it('maps exit codes: 429 is rate-limited, 41 is a crash of the setup, 53 is a finished pass', async () => {
    expect(await openAgent('gemini', ROOT).run(runInput('rate-limit'))).toMatchObject({ kind: 'rate-limited' });
    expect(await openAgent('gemini', ROOT).run(runInput('auth'))).toMatchObject({ kind: 'crashed', detail: expect.stringMatching(/^gemini exited 41: authentication failed/) });
    expect(await openAgent('gemini', ROOT).run(runInput('turn-limit'))).toMatchObject({ kind: 'finished', exitCode: 53, report: { turns: 5 } });
  });
});

describe('openAgent', () => {
  it('picks the adapter by SPEC and rejects an empty model or unknown name', () => {
    expect(openAgent('claude:opus', ROOT)).toMatchObject({ spec: 'claude:opus', vendor: 'anthropic' });
    expect(openAgent('codex', ROOT)).toMatchObject({ vendor: 'openai' });
    expect(openAgent('gemini:x', ROOT)).toMatchObject({ vendor: 'google' });
    expect(() => openAgent('claude:', ROOT)).toThrow(/names no model/);
    expect(() => openAgent('gpt', ROOT)).toThrow(/unknown agent spec "gpt"/);
  });

  it('reports a missing CLI binary as a crash that names it', async () => {
    const outcome = await openAgent('gemini', ROOT).run(runInput('ok', { PATH: '/nonexistent' }));
    expect(outcome).toMatchObject({ kind: 'crashed', detail: expect.stringContaining('gemini could not start') });
  });
});

describe('gemini adapter hooks', () => {
  it('installs nightshift hooks as BeforeTool and AfterAgent through GEMINI_CLI_SYSTEM_SETTINGS_PATH', async () => {
    const verifyFile = join(passDir, 'verify.txt');
    writeFileSync(verifyFile, 'test -f done.txt\n');
    const toolCalls = [
      { tool_name: 'run_shell_command', tool_input: { command: 'git push --force origin main' } },
      { tool_name: 'run_shell_command', tool_input: { command: 'touch done.txt', dir_path: '.' } },
      { tool_name: 'read_file', tool_input: { absolute_path: join(dir, 'home', '.ssh', 'id_ed25519') } },
      { tool_name: 'write_file', tool_input: { file_path: join(worktree, 'src', 'new.ts'), content: 'x' } },
    ];
    const outcome = await openAgent('gemini', ROOT).run(runInput('tools', { STANDIN_TOOL_CALLS: JSON.stringify(toolCalls) }, { NIGHTSHIFT_VERIFY_FILE: verifyFile }));
    expect(outcome).toMatchObject({ kind: 'finished', exitCode: 0 });
    const call = calls()[0]!;
    // Under /tmp (world-writable) Gemini CLI would skip the file, so it lives under ~/.cache instead.
    const settingsPath = call.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH!;
    expect(settingsPath.startsWith(join(homedir(), '.cache', 'nightshift', 'gemini-settings'))).toBe(true);
    expect(JSON.parse(readFileSync(settingsPath, 'utf8')).hooks.BeforeTool[0].hooks[0].command).toBe(`${process.execPath} ${ROOT}loop/main.ts hook pre-tool-use`);
    expect(call.hookRuns!.map((r) => [r.event, r.tool ?? '', r.exit])).toEqual([
      ['BeforeTool', 'run_shell_command', 2], ['BeforeTool', 'run_shell_command', 0], ['BeforeTool', 'read_file', 2], ['BeforeTool', 'write_file', 0],
      ['AfterAgent', '', 2], ['AfterAgent', '', 0],
    ]);
    expect(call.hookRuns![0]!.stderr).toContain('it force-pushes');
    expect(call.hookRuns![4]!.stderr).toContain('Write your JSON result to'); // the finish line passes; the result file is missing
  });
});
