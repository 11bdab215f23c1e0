// git for the frozen supervisor, heal pass and audit: one process per call, nightshift's identity, a
// clean environment, and git's own message on failure. The loop has its own (loop/git/git.ts); frozen code
// never loads it.
import { existsSync, rmSync } from 'node:fs';
import { execa } from 'execa';

const PASSED = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'XDG_CONFIG_HOME'];

function gitEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const clean: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const name of PASSED) if (env[name] !== undefined) clean[name] = env[name];
  return {
    ...clean,
    GIT_AUTHOR_NAME: 'nightshift', GIT_AUTHOR_EMAIL: 'nightshift@localhost',
    GIT_COMMITTER_NAME: 'nightshift', GIT_COMMITTER_EMAIL: 'nightshift@localhost',
  };
}

/** Runs git in `dir`; resolves with stdout, rejects with git's message. */
export async function git(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<string> {
  const result = await execa('git', args, { cwd: dir, env: gitEnv(env), extendEnv: false, reject: false, stripFinalNewline: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  if (result.exitCode === 0) return result.stdout;
  throw new Error((result.stderr.trim() || result.stdout.trim() || `git ${args.join(' ')} exited ${result.exitCode}`).slice(0, 8_000));
}

/** Removes a worktree and its registration, whatever state it is in. */
export async function dropWorktree(repo: string, path: string): Promise<void> {
  if (existsSync(path)) {
    await git(repo, ['worktree', 'remove', '--force', '--force', path]).catch(() => undefined);
    rmSync(path, { recursive: true, force: true });
  }
  await git(repo, ['worktree', 'prune']).catch(() => undefined);
}
