// `nightshift hook stop` through the real binary, as Claude Code calls it: the finish line from
// NIGHTSHIFT_VERIFY_FILE runs in the worktree; a failure sends the agent back once (exit 2, the first
// failing command and next steps on stderr), stop_hook_active lets it stop, a blocked report stops.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.ts';
import { makeRepo, tempDir } from '../../helpers/repo.ts';

let dir: string;
let worktree: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = tempDir('nightshift-stop-');
  worktree = await makeRepo(join(dir, 'wt'), { 'README.md': 'hello\n' });
  mkdirSync(join(dir, 'pass'));
  writeFileSync(join(dir, 'pass', 'verify.txt'), '# the finish line\ntest -f README.md\n\ngrep -q done README.md\necho never-reached\n');
  env = { ...process.env, NIGHTSHIFT_WORKTREE: worktree, NIGHTSHIFT_VERIFY_FILE: join(dir, 'pass', 'verify.txt'), NIGHTSHIFT_RESULT_FILE: join(dir, 'pass', 'result.json') };
});

async function stop(active: boolean, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; stderr: string }> {
  const input = { session_id: 's', transcript_path: '/tmp/t.jsonl', cwd: worktree, permission_mode: 'bypassPermissions', hook_event_name: 'Stop', stop_hook_active: active };
  const result = await execa(process.execPath, [CLI, 'hook', 'stop'], { input: JSON.stringify(input), env: { ...env, ...extraEnv }, reject: false, cwd: worktree });
  return { exitCode: result.exitCode ?? -1, stderr: result.stderr };
}

describe('nightshift hook stop', () => {
  it('sends the agent back with the first failing command and next steps while the finish line fails', async () => {
    const { exitCode, stderr } = await stop(false);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("nightshift stop gate: the ticket's finish line fails");
    expect(stderr).toContain('First failure: `grep -q done README.md` (exit 1)');
    expect(stderr).toContain('Next steps:');
    expect(stderr).not.toContain('never-reached`');
  });

  it('lets the agent stop once Claude Code says the stop hook already sent it back', async () => {
    expect(await stop(true)).toEqual({ exitCode: 0, stderr: '' });
  });

  it('asks for the result file once the finish line passes, then lets it stop', async () => {
    writeFileSync(join(worktree, 'README.md'), 'done\n');
    const missing = await stop(false);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`Write your JSON result to ${join(dir, 'pass', 'result.json')}`);
    writeFileSync(join(dir, 'pass', 'result.json'), '{"status":"complete"}');
    expect(await stop(false)).toEqual({ exitCode: 0, stderr: '' });
  });

  it('lets a worker that reported blocked stop: the blocked-claim check judges that', async () => {
    writeFileSync(join(dir, 'pass', 'result.json'), '{"status":"blocked","summary":"no credentials","evidence":"..."}');
    expect((await stop(false)).exitCode).toBe(0);
  });

  it('has nothing to enforce without a verify file, and rejects input that is not the Stop contract', async () => {
    writeFileSync(join(dir, 'pass', 'result.json'), '{}');
    expect((await stop(false, { NIGHTSHIFT_VERIFY_FILE: '' })).exitCode).toBe(0);
    const bad = await execa(process.execPath, [CLI, 'hook', 'stop'], { input: JSON.stringify({ stop_hook_active: 'yes' }), reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('does not match the Stop contract');
  });
});

describe('nightshift hook stop without a verify file', () => {
  it("holds a worker to the .nightshift/verify/<KEY> its branch adds, and nobody else", async () => {
    mkdirSync(join(worktree, '.nightshift', 'verify'), { recursive: true });
    writeFileSync(join(worktree, '.nightshift', 'verify', 'T-1'), 'test -f built.txt\n');
    writeFileSync(join(dir, 'pass', 'result.json'), '{"status":"complete"}');
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch);
    const worker = await stop(false, { NIGHTSHIFT_VERIFY_FILE: '', NIGHTSHIFT_ROLE: 'worker', NIGHTSHIFT_TICKET: 'T-1', NIGHTSHIFT_SCRATCH_DIR: scratch });
    expect(worker.exitCode).toBe(2);
    expect(worker.stderr).toContain('First failure: `test -f built.txt`');
    expect((await stop(false, { NIGHTSHIFT_VERIFY_FILE: '', NIGHTSHIFT_ROLE: 'reviewer', NIGHTSHIFT_TICKET: 'T-1' })).exitCode).toBe(0);
  });
});
