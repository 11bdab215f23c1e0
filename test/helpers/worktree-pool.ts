// Shared by the worktree pool's tests: a repo with two commits and a pool over it, a worktree's files as
// a map, and the check that a worktree is what a fresh `git worktree add` of the same checkout gives.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { openGit } from '../../loop/git/git.ts';
import { openWorktreePool } from '../../loop/worktree/worktree-pool.ts';
import { git, makeRepo, tempDir } from './repo.ts';
export async function setup() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), {
    '.gitignore': '*.log\nbuild/\n', 'a.txt': 'alpha\n', 'src/b.txt': 'bravo\n', 'src/deep/c.txt': 'charlie\n', 'gone.txt': 'gone\n',
  });
  const first = await git(repo, 'rev-parse', 'main');
  // a second commit that changes, adds and removes files
  writeFileSync(join(repo, 'a.txt'), 'alpha two\n');
  writeFileSync(join(repo, 'new.txt'), 'new\n');
  rmSync(join(repo, 'gone.txt'));
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'second');
  const second = await git(repo, 'rev-parse', 'main');
  const repoGit = openGit(repo);
  const pooled = join(dir, 'state', 'worktrees');
  const pool = openWorktreePool({ repo: repoGit, dir: pooled, minFiles: 0 });
  const wt = (name: string) => join(dir, 'state', 'worktrees', name);
  return { dir, repo, repoGit, pool, first, second, wt, poolPath: (n: number) => join(pooled, `.pool-${n}`) };
}

/** Every file under `root` (but .git) with its content, or `->target` for a symlink. */
export function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (path === join(root, '.git')) continue;
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = entry.isSymbolicLink() ? '->symlink' : readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}

/** The worktree as a fresh add of the same checkout gives it: files, status and HEAD compared. */
export async function expectLikeFreshAdd(repo: string, path: string, commit: string, branch: string | undefined) {
  const fresh = join(path, '..', `fresh-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await git(repo, 'worktree', 'add', '-q', '--detach', fresh, commit);
  expect(tree(path)).toEqual(tree(fresh));
  await git(repo, 'worktree', 'remove', '--force', fresh);
  expect(await git(path, 'status', '--porcelain', '--ignored')).toBe('');
  expect(await git(path, 'rev-parse', 'HEAD')).toBe(commit);
  expect(await git(path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(branch ?? 'HEAD');
}
