// The upstream `--land push|pr` ships to, read from real git config, and credentials kept out of messages.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit } from '../../../loop/git/git.ts';
import { landUpstream, redact, upstreamOf } from '../../../loop/land/push.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

test('the upstream is branch.<target>.remote/merge, else origin, else none', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const g = openGit(repo);
  expect(await upstreamOf(g, 'main')).toBeUndefined();
  await expect(landUpstream({ land: 'push', targetBranch: 'main', repo }, g)).rejects.toThrow(/has no remote to push main to/);
  expect(await landUpstream({ land: 'local', targetBranch: 'main', repo }, g)).toBeUndefined();
  await git(repo, 'remote', 'add', 'origin', join(dir, 'nowhere.git'));
  expect(await upstreamOf(g, 'main')).toEqual({ remote: 'origin', branch: 'main' });
  await git(repo, 'remote', 'add', 'team', join(dir, 'team.git'));
  await git(repo, 'config', 'branch.main.remote', 'team');
  await git(repo, 'config', 'branch.main.merge', 'refs/heads/trunk');
  expect(await upstreamOf(g, 'main')).toEqual({ remote: 'team', branch: 'trunk' });
  expect(await landUpstream({ land: 'pr', targetBranch: 'main', repo }, g)).toEqual({ remote: 'team', branch: 'trunk' });
});

test('a credential in a remote URL never reaches a message', () => {
  expect(redact('fatal: unable to access https://x-access-token:ghp_secret123@github.com/o/r.git/'))
    .toBe('fatal: unable to access https://***@github.com/o/r.git/');
  expect(redact('! [rejected] main -> main (fetch first)')).toBe('! [rejected] main -> main (fetch first)');
});
