// The post-pass check for agents without hooks, on a real repository: the ticket's branch and forward
// merges into the target are fine; a rewound target, a new or deleted branch, or a dirty main checkout is not.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { outsideChanges, snapshotOutside } from '../../../loop/safety/outside.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

async function setup(): Promise<{ repo: string; worktree: string }> {
  const dir = tempDir('nightshift-outside-');
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
  await git(repo, 'commit', '-q', '--allow-empty', '-m', 'second');
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
  return { repo, worktree };
}

describe('outsideChanges', () => {
  it('accepts work on the ticket branch and a forward move of the target', async () => {
    const { repo, worktree } = await setup();
    const before = await snapshotOutside(simpleGit(repo));
    writeFileSync(join(worktree, 'work.txt'), 'x\n');
    await git(worktree, 'add', 'work.txt');
    await git(worktree, 'commit', '-q', '-m', 'work');
    await git(repo, 'commit', '-q', '--allow-empty', '-m', 'merged by the loop');
    expect(await outsideChanges(simpleGit(repo), before, await snapshotOutside(simpleGit(repo)), 'main')).toEqual([]);
  });

  it('reports a rewound target, a new branch and a dirty main checkout', async () => {
    const { repo, worktree } = await setup();
    const before = await snapshotOutside(simpleGit(repo));
    await git(worktree, 'update-ref', 'refs/heads/main', 'main~1');
    await git(worktree, 'branch', 'stray');
    writeFileSync(join(repo, 'dropped.txt'), 'x\n');
    const problems = await outsideChanges(simpleGit(repo), before, await snapshotOutside(simpleGit(repo)), 'main');
    expect(problems.map((p) => p.split(':')[0])).toEqual(['main was rewritten', 'refs/heads/stray was created', "the main checkout's working tree changed"]);
    expect(problems[2]).toContain('?? dropped.txt');
  });

  it('leaves a branch or tag made at another ticket\'s commit to that ticket; a deletion is still reported', async () => {
    const { repo, worktree } = await setup();
    await git(repo, 'branch', 'old');
    const before = await snapshotOutside(simpleGit(repo));
    writeFileSync(join(worktree, 'work.txt'), 'x\n');
    await git(worktree, 'add', 'work.txt');
    await git(worktree, 'commit', '-q', '-m', 'work');
    const theirs = await git(worktree, 'rev-parse', 'HEAD');
    await git(worktree, 'branch', 'side');
    await git(worktree, 'tag', 'v1');
    await git(repo, 'branch', '-D', 'old');
    const asked: string[] = [];
    const madeElsewhere = async (commit: string) => {
      asked.push(commit);
      return commit === theirs;
    };
    const problems = await outsideChanges(simpleGit(repo), before, await snapshotOutside(simpleGit(repo)), 'main', undefined, madeElsewhere);
    expect(problems).toEqual(['refs/heads/old was deleted']);
    expect(asked).toEqual([theirs, theirs]);
  });
});
