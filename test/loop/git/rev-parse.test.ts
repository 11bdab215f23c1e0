// revParse reads a branch from git's files where it can (a loose ref, else packed-refs, else absent) and
// asks git otherwise: its answer is git's own for loose, packed, absent and symbolic branches, from the
// repository's top and from a linked worktree. Real git.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openGit, revParse } from '../../../loop/git/git.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

/** What `git rev-parse --verify --quiet <ref>^{commit}` says, undefined when it finds nothing. */
async function gitSays(repo: string, ref: string): Promise<string | undefined> {
  return (await git(repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`).catch(() => '')) || undefined;
}

test('loose, packed, absent and symbolic branches read as git reads them', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const first = await git(repo, 'rev-parse', 'HEAD');
  await git(repo, 'branch', 'nightshift/PACKED');
  await git(repo, 'pack-refs', '--all');
  await git(repo, 'commit', '-q', '--allow-empty', '-m', 'second');
  await git(repo, 'branch', 'nightshift/LOOSE');
  // packed at the first commit, loose at the second: the loose file wins, as in git
  await git(repo, 'branch', '-f', 'nightshift/PACKED-TOO', first);
  await git(repo, 'pack-refs', '--all');
  await git(repo, 'branch', '-f', 'nightshift/PACKED-TOO', 'HEAD');
  await git(repo, 'symbolic-ref', 'refs/heads/nightshift/SYMBOLIC', 'refs/heads/nightshift/LOOSE');
  await git(repo, 'worktree', 'add', '-q', '--detach', join(dir, 'wt'));
  const refs = ['main', 'nightshift/PACKED', 'nightshift/LOOSE', 'nightshift/PACKED-TOO', 'nightshift/SYMBOLIC', 'nightshift/ABSENT', 'nowhere/ABSENT', 'nightshift/PACKED/deeper'].map((b) => `refs/heads/${b}`);
  const read = async () => {
    const seen: Record<string, Array<string | undefined>> = {};
    for (const ref of refs) seen[ref] = [await revParse(openGit(repo), ref), await revParse(openGit(join(dir, 'wt')), ref), await gitSays(repo, ref)];
    return seen;
  };
  for (const [ref, [top, linked, truth]] of Object.entries(await read())) expect([ref, top, linked]).toEqual([ref, truth, truth]);
  expect(await revParse(openGit(repo), 'refs/heads/nightshift/PACKED')).toBe(first);
  // no packed-refs file at all: a branch in no loose file is absent
  rmSync(join(repo, '.git', 'packed-refs'));
  writeFileSync(join(repo, '.git', 'refs', 'heads', 'main'), `${first}\n`);
  for (const [ref, [top, linked, truth]] of Object.entries(await read())) expect([ref, top, linked]).toEqual([ref, truth, truth]);
});
