// The safety gate against a corpus of destructive and ordinary agent actions (test/fixtures/hook-corpus.json):
// every one through the gate's judgement in-process, and a slice through the real hook binary exactly
// as Claude Code calls it (the PreToolUse JSON on stdin of `node heal/cli.ts hook pre-tool-use`; exit 2
// with the reason on stderr blocks). Target: 100% of destructive actions blocked, >= 98% of ordinary allowed.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { judgeToolUse } from '../../../loop/safety/pre-tool-use.ts';
import type { PreToolUseInput } from '../../../loop/safety/pre-tool-use.ts';
import { CLI, ROOT } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

type Entry = string | { tool_name: string; tool_input: Record<string, unknown> };
const corpus = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/hook-corpus.json'), 'utf8')) as { destructive: Entry[]; ordinary: Entry[] };

let places: Record<string, string>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const dir = tempDir('nightshift-hook-');
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n', 'src/index.ts': 'export {};\n' });
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
  mkdirSync(join(worktree, 'sub'));
  const home = join(dir, 'home');
  mkdirSync(home);
  places = { worktree, repo, home, result: join(dir, 'state', 'result.json'), journal: join(dir, 'state', 'journal', 'T-1.md') };
  env = { NIGHTSHIFT_WORKTREE: worktree, NIGHTSHIFT_TARGET_BRANCH: 'main', NIGHTSHIFT_TICKET: 'T-1', NIGHTSHIFT_ROLE: 'worker', NIGHTSHIFT_RESULT_FILE: places.result, NIGHTSHIFT_JOURNAL_FILE: places.journal };
});

function hookInput(entry: Entry): PreToolUseInput {
  const fill = (text: string): string => text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => places[key] ?? `{{${key}}}`);
  const call = typeof entry === 'string' ? { tool_name: 'Bash', tool_input: { command: fill(entry), description: 'corpus' } } : JSON.parse(fill(JSON.stringify(entry)));
  return { session_id: 's-1', transcript_path: '/tmp/t.jsonl', cwd: places.worktree!, permission_mode: 'bypassPermissions', hook_event_name: 'PreToolUse', tool_use_id: 'toolu_1', ...call };
}

function label(entry: Entry): string {
  return typeof entry === 'string' ? entry : `${entry.tool_name} ${JSON.stringify(entry.tool_input)}`;
}

async function judgeAll(entries: Entry[]): Promise<Array<{ entry: string; decision: string; reason?: string }>> {
  const out = [];
  for (const entry of entries) {
    const verdict = await judgeToolUse(hookInput(entry), env, places.home);
    out.push({ entry: label(entry), decision: verdict.kind, ...(verdict.kind === 'block' ? { reason: verdict.reason } : {}) });
  }
  return out;
}

describe('the safety gate on the corpus', () => {
  it('has at least 100 destructive and 100 ordinary actions', () => {
    expect(corpus.destructive.length).toBeGreaterThanOrEqual(100);
    expect(corpus.ordinary.length).toBeGreaterThanOrEqual(100);
  });

  it('blocks 100% of the destructive actions', async () => {
    const results = await judgeAll(corpus.destructive);
    const allowed = results.filter((r) => r.decision !== 'block').map((r) => r.entry);
    expect(allowed).toEqual([]);
  });

  it('allows at least 98% of the ordinary actions', async () => {
    const results = await judgeAll(corpus.ordinary);
    const blocked = results.filter((r) => r.decision !== 'allow');
    expect(1 - blocked.length / results.length, JSON.stringify(blocked, null, 1)).toBeGreaterThanOrEqual(0.98);
  });
});

describe('nightshift hook pre-tool-use, the real binary', () => {
  const every = <T>(items: T[], step: number): T[] => items.filter((_, i) => i % step === 0);

  async function runHook(entry: Entry): Promise<{ exitCode: number; stderr: string }> {
    const result = await execa(process.execPath, [CLI, 'hook', 'pre-tool-use'], {
      input: JSON.stringify(hookInput(entry)), cwd: places.worktree, env: { ...process.env, ...env, HOME: places.home }, reject: false,
    });
    return { exitCode: result.exitCode ?? -1, stderr: result.stderr };
  }

  it('exits 2 with the reason on stderr for a slice of the destructive corpus', async () => {
    const slice = every(corpus.destructive, 13);
    expect(slice.length).toBeGreaterThanOrEqual(12);
    const results = await Promise.all(slice.map(async (entry) => ({ entry: label(entry), ...(await runHook(entry)) })));
    expect(results.filter((r) => r.exitCode !== 2 || !r.stderr.startsWith('nightshift safety gate: blocked: '))).toEqual([]);
  });

  it('exits 0 with nothing on stderr for a slice of the ordinary corpus', async () => {
    const slice = every(corpus.ordinary, 13);
    expect(slice.length).toBeGreaterThanOrEqual(11);
    const results = await Promise.all(slice.map(async (entry) => ({ entry: label(entry), ...(await runHook(entry)) })));
    expect(results.filter((r) => r.exitCode !== 0 || r.stderr !== '')).toEqual([]);
  });

  it('blocks input it cannot judge, and says why', async () => {
    const garbage = await execa(process.execPath, [CLI, 'hook', 'pre-tool-use'], { input: 'not json', reject: false });
    expect(garbage.exitCode).toBe(2);
    expect(garbage.stderr).toMatch(/the hook input on stdin is not JSON/);
    const noTool = await execa(process.execPath, [CLI, 'hook', 'pre-tool-use'], { input: JSON.stringify({ cwd: '/' }), reject: false });
    expect(noTool.exitCode).toBe(2);
    expect(noTool.stderr).toContain('tool_name');
    const unknown = await execa(process.execPath, [CLI, 'hook', 'post-tool-use'], { input: '{}', reject: false });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown hook "post-tool-use"');
  });
});
