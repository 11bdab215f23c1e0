// Taking a sandboxed agent's branch back from its private git view, with real git: the agent's new loose
// objects are copied only when intact and the branch moves only when everything its head reaches is
// there; a view the agent packed is fetched from. The agent's side is played by git run on the view.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { closeGitView, openGitView, takeBackBranch } from '../../../loop/sandbox/git-view.ts';
import { listRefs } from '../../../loop/sandbox/view-refs.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

/** Writes a loose object into a git dir by hand (what `git hash-object -w` does), and names it. */
function writeLoose(gitDir: string, type: string, body: Buffer): string {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  const name = createHash('sha1').update(raw).digest('hex');
  mkdirSync(join(gitDir, 'objects', name.slice(0, 2)), { recursive: true });
  writeFileSync(join(gitDir, 'objects', name.slice(0, 2), name.slice(2)), deflateSync(raw));
  return name;
}

async function world() {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree, 'main');
  const view = await openGitView(worktree, dir, process.env);
  if (!view) throw new Error('no view');
  /** git as the agent runs it inside the sandbox: the view in place of the worktree's admin dir. */
  const agentGit = (...args: string[]) => git(worktree, `--git-dir=${view.dir}`, `--work-tree=${worktree}`, '-c', 'user.name=a', '-c', 'user.email=a@b', ...args);
  return { dir, repo, worktree, view, agentGit };
}

test('a commit made in the view comes back: the branch moves, its objects are in the store, the repository is whole', async () => {
  const w = await world();
  const before = await git(w.repo, 'rev-parse', 'nightshift/T-1');
  writeFileSync(join(w.worktree, 'feature.txt'), 'the work\n');
  await w.agentGit('add', 'feature.txt');
  await w.agentGit('commit', '-q', '-m', 'the work');
  const head = await w.agentGit('rev-parse', 'HEAD');
  // nothing reached the real repository while the agent worked
  expect(await git(w.repo, 'rev-parse', 'nightshift/T-1')).toBe(before);
  expect(await takeBackBranch(w.view, process.env)).toEqual({ kind: 'moved', from: before, to: head });
  await closeGitView(w.view);
  expect(await git(w.repo, 'rev-parse', 'nightshift/T-1')).toBe(head);
  expect(await git(w.repo, 'show', 'nightshift/T-1:feature.txt')).toBe('the work');
  await git(w.repo, 'fsck', '--strict', '--no-dangling');
});

test('an object whose content is not what its name says is not copied, and the branch stays where it was', async () => {
  const w = await world();
  const before = await git(w.repo, 'rev-parse', 'nightshift/T-1');
  writeFileSync(join(w.worktree, 'feature.txt'), 'the work\n');
  await w.agentGit('add', 'feature.txt');
  await w.agentGit('commit', '-q', '-m', 'the work');
  const blob = await w.agentGit('rev-parse', 'HEAD:feature.txt');
  // the agent swaps the blob's file for other content under the same name
  const file = join(w.view.dir, 'objects', blob.slice(0, 2), blob.slice(2));
  const forged = Buffer.from('blob 7\0forged\n');
  writeFileSync(file, deflateSync(forged), { mode: 0o644 });
  const back = await takeBackBranch(w.view, process.env);
  expect(back.kind).toBe('failed');
  expect(await git(w.repo, 'rev-parse', 'nightshift/T-1')).toBe(before);
  expect(existsSync(join(w.repo, '.git', 'objects', blob.slice(0, 2), blob.slice(2)))).toBe(false);
  await git(w.repo, 'fsck', '--no-dangling');
});

test('a head that reaches an object the view does not have fails the take-back', async () => {
  const w = await world();
  const before = await git(w.repo, 'rev-parse', 'nightshift/T-1');
  // a commit whose tree (an intact object) names a blob nobody wrote
  const missing = '0123456789abcdef0123456789abcdef01234567';
  const tree = writeLoose(w.view.dir, 'tree', Buffer.concat([Buffer.from('100644 ghost.txt\0'), Buffer.from(missing, 'hex')]));
  const commit = await w.agentGit('commit-tree', tree, '-p', before, '-m', 'a ghost');
  await w.agentGit('update-ref', 'refs/heads/nightshift/T-1', commit);
  const back = await takeBackBranch(w.view, process.env);
  expect(back.kind).toBe('failed');
  expect(await git(w.repo, 'rev-parse', 'nightshift/T-1')).toBe(before);
});

test('a view the agent packed (gc, repack) comes back through a fetch', async () => {
  const w = await world();
  writeFileSync(join(w.worktree, 'feature.txt'), 'packed work\n');
  await w.agentGit('add', 'feature.txt');
  await w.agentGit('commit', '-q', '-m', 'packed work');
  await w.agentGit('repack', '-a', '-d', '-l', '-q');
  expect(readdirSync(join(w.view.dir, 'objects', 'pack')).some((name) => name.endsWith('.pack'))).toBe(true);
  const head = await w.agentGit('rev-parse', 'HEAD');
  const back = await takeBackBranch(w.view, process.env);
  expect(back).toMatchObject({ kind: 'moved', to: head });
  expect(await git(w.repo, 'show', 'nightshift/T-1:feature.txt')).toBe('packed work');
  expect(readFileSync(join(w.repo, '.git', 'config'), 'utf8')).not.toContain(w.view.dir);
  await git(w.repo, 'fsck', '--no-dangling');
});

test('the view\'s refs are what `git for-each-ref` lists, read from the files: loose over packed, symbolic refs followed, dangling ones left out; odd files go to git', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'a.txt': 'a\n' });
  const common = join(repo, '.git');
  const forEachRef = () => git(repo, 'for-each-ref', '--format=%(objectname) %(refname)');
  const first = await git(repo, 'rev-parse', 'HEAD');
  await git(repo, 'tag', '-a', '-m', 'one', 'v1');
  await git(repo, 'update-ref', 'refs/remotes/origin/main', first);
  await git(repo, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  await git(repo, 'branch', 'feature/deep/name');
  await git(repo, 'pack-refs', '--all');
  // after the pack: a second commit moves main loose over its packed line, new loose refs, a dangling symbolic one
  writeFileSync(join(repo, 'b.txt'), 'b\n');
  await git(repo, 'add', 'b.txt');
  await git(repo, 'commit', '-q', '-m', 'second');
  await git(repo, 'branch', 'Zed');
  await git(repo, 'branch', 'nightshift/T-9');
  await git(repo, 'symbolic-ref', 'refs/heads/dangling', 'refs/heads/nothing-here');
  const listed = await forEachRef();
  expect(listed.split('\n').length).toBe(7);
  // no git on its PATH: the files alone answer
  expect((await listRefs(common, { PATH: join(dir, 'no-bin') })).stdout).toBe(`${listed}\n`);
  // a ref file that is neither an id nor a symbolic ref: git decides (it warns and leaves it out)
  writeFileSync(join(common, 'refs', 'heads', 'broken'), 'not a ref\n');
  await expect(listRefs(common, { PATH: join(dir, 'no-bin') })).rejects.toThrow();
  expect((await listRefs(common, process.env)).stdout).toBe(`${await forEachRef()}\n`);
});
