// The real Claude Code CLI, offline: a scripted fake of the Anthropic Messages API on loopback plays the
// model and asks for Bash tool calls; the real client runs them through our hooks, installed by the
// `claude` adapter's settings file. It proves that `nightshift hook pre-tool-use` blocks a destructive
// call, that `nightshift hook stop` sends the agent back once, and that the pass ends with a result.
// Skipped when the CLI is absent: CI installs a pinned version outside the repo (see .ci/run) and
// points CLAUDE_CODE_BIN at it; locally `npm install --prefix /tmp/claude-code @anthropic-ai/claude-code@2.1.330`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeAgent } from '../../../loop/agents/claude.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';
import { lastToolResults, startFakeAnthropic, textOf } from '../../bin/fake-anthropic-api.ts';
import type { ApiRequest, FakeApi, ModelReply } from '../../bin/fake-anthropic-api.ts';

const BINARY = process.env.CLAUDE_CODE_BIN ?? '/tmp/claude-code/node_modules/.bin/claude';
const present = existsSync(BINARY);
if (!present) console.warn(`claude-real: skipped, no Claude Code CLI at ${BINARY} (install it outside the repo and set CLAUDE_CODE_BIN; see .ci/run)`);

const COMMIT = 'git -c user.name=agent -c user.email=agent@example.invalid commit -qm';
const RESULT = JSON.stringify({ status: 'complete', summary: 'wrote work.txt and verified.txt', evidence: 'test -f verified.txt: ok', discovered: [], cost_usd: 0 });

/** The model's script: a destructive call, ordinary work, a stop, and after the stop gate's feedback the fix. */
function playModel(request: ApiRequest): ModelReply {
  const results = lastToolResults(request).map((r) => r.tool_use_id);
  const lastUser = textOf([...request.messages].reverse().find((m) => m.role === 'user'));
  if (results.includes('toolu_destroy')) return { kind: 'tool', id: 'toolu_work', name: 'Bash', input: { command: `echo work > work.txt && git add work.txt && ${COMMIT} work`, description: 'do the work' } };
  if (results.includes('toolu_work')) return { kind: 'text', text: 'The work is committed. Stopping.' };
  if (results.includes('toolu_verify')) return { kind: 'text', text: 'The finish line passes now.' };
  if (lastUser.includes('Stop hook feedback')) {
    return { kind: 'tool', id: 'toolu_verify', name: 'Bash', input: { command: `echo ok > verified.txt && git add verified.txt && ${COMMIT} verify && printf '%s' '${RESULT}' > "$NIGHTSHIFT_RESULT_FILE"`, description: 'fix' } };
  }
  return { kind: 'tool', id: 'toolu_destroy', name: 'Bash', input: { command: 'rm -rf "$HOME/precious"', description: 'clean up' } };
}

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
});

describe.skipIf(!present)('the real Claude Code CLI through the claude adapter', () => {
  it('blocks a destructive call with the pre-tool-use hook, is sent back once by the stop hook, and finishes the pass', async () => {
    api = await startFakeAnthropic(playModel);
    const dir = tempDir('nightshift-claude-real-');
    const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
    const worktree = join(dir, 'wt');
    await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
    const home = join(dir, 'home');
    mkdirSync(join(home, 'precious'), { recursive: true });
    const passDir = join(dir, 'state', 'passes', 'T-1', '1');
    mkdirSync(passDir, { recursive: true });
    writeFileSync(join(passDir, 'prompt.md'), 'Do ticket T-1: add work.txt.');
    writeFileSync(join(passDir, 'verify.txt'), 'test -f verified.txt\n');

    const outcome = await claudeAgent('claude').run({
      role: 'worker', ticket: 'T-1', pass: 1, cwd: worktree,
      promptFile: join(passDir, 'prompt.md'), resultFile: join(passDir, 'result.json'), logFile: join(passDir, 'agent.log'),
      env: {
        PATH: `${dirname(BINARY)}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'),
        ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-the-loopback-api', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', LINEAR_API_KEY: 'lin_api_mustnotreachtheagent',
      },
      extraEnv: { NIGHTSHIFT_VERIFY_FILE: join(passDir, 'verify.txt'), NIGHTSHIFT_TARGET_BRANCH: 'main' },
      timeoutMs: 180_000,
    });

    const log = readFileSync(join(passDir, 'agent.log'), 'utf8');
    expect(outcome, log.slice(-2_000)).toMatchObject({ kind: 'finished', exitCode: 0, report: { sessionId: expect.any(String), turns: expect.any(Number) } });
    expect(existsSync(join(home, 'precious'))).toBe(true);
    const blocked = api.requests.flatMap((r) => lastToolResults(r)).find((b) => b.tool_use_id === 'toolu_destroy');
    expect(blocked?.is_error).toBe(true);
    expect(JSON.stringify(blocked?.content)).toContain('nightshift safety gate: blocked: it deletes recursively');
    const feedback = api.requests.map((r) => r.messages.map(textOf).join('\n')).find((t) => t.includes('Stop hook feedback'));
    expect(feedback).toContain('First failure: `test -f verified.txt`');
    const hookLog = readFileSync(join(passDir, 'agent.log.hooks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hook: string; decision: string });
    expect(hookLog.filter((e) => e.hook === 'stop').map((e) => e.decision)).toEqual(['continue', 'stop']);
    expect(hookLog.filter((e) => e.hook === 'pre-tool-use').map((e) => e.decision)).toEqual(['block', 'allow', 'allow']);
    expect(await git(worktree, 'log', '--format=%s', 'main..HEAD')).toBe('verify\nwork');
    expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8'))).toMatchObject({ status: 'complete' });
    expect(log).not.toContain('sk-ant-fake-key-for-the-loopback-api');
  });

  it('takes a whole ticket from worker to done: nightshift run --agent claude, then the oracle', async () => {
    api = await startFakeAnthropic((request) => lastToolResults(request).some((r) => r.tool_use_id === 'toolu_ticket')
      ? { kind: 'text', text: 'Done: work.txt is committed and the result is written.' }
      : { kind: 'tool', id: 'toolu_ticket', name: 'Bash', input: { command: `echo work > work.txt && git add work.txt && ${COMMIT} "T-1: add work.txt" && printf '%s' '${RESULT}' > "$NIGHTSHIFT_RESULT_FILE"` } });
    const dir = tempDir('nightshift-claude-run-');
    const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
    const tickets = writeTickets(join(dir, 'tickets.json'), 'T', [{ key: 'T-1', title: 'Add work.txt', verify: ['test -f work.txt'] }]);
    writeFileSync(join(dir, 'plan.json'), '{}');
    mkdirSync(join(dir, 'home'));
    const reviewer = `command:${process.execPath} ${SCRIPTED_AGENT} ${join(dir, 'plan.json')}`;
    const env = {
      ...process.env, PATH: `${dirname(BINARY)}:${process.env.PATH}`, HOME: join(dir, 'home'), CLAUDE_CONFIG_DIR: join(dir, 'home', '.claude'),
      ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-the-loopback-api', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', GIT_AUTHOR_NAME: 'n', GIT_AUTHOR_EMAIL: 'n@example.invalid', GIT_COMMITTER_NAME: 'n', GIT_COMMITTER_EMAIL: 'n@example.invalid',
    };
    const run = await runCli(['run', 'T-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', 'claude', '--review', `${reviewer},${reviewer}`,
      '--heal', reviewer, '--state', join(dir, 'state'), '--max-passes', '2'], { env, cwd: dir, timeoutMs: 300_000 });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const oracle = await runCli(['oracle', 'T-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo], { env, cwd: dir });
    expect(oracle.exitCode, oracle.stdout).toBe(0);
    expect(await git(repo, 'show', 'main:work.txt')).toBe('work');
    expect(api.requests.length).toBeGreaterThanOrEqual(2);
  });
});
