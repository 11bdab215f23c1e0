// The candidate of a tripwire verdict: a DIR (a checkout whose history descends from the trusted HEAD)
// or a REV of the trusted repo. Git is only read (no index refresh, no worktree), and the candidate's
// committed tree is exported raw (`git cat-file`, so no smudge filter or attribute of the candidate's
// .git can change a byte) into a temp dir that lends the trusted node_modules.
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../trackers/errors.ts';

export type Candidate = {
  spec: string;
  kind: 'dir' | 'rev';
  /** The repo to read the candidate's objects from (the DIR, or the trusted checkout for a REV). */
  repo: string;
  /** The candidate's commit and the trusted HEAD it must descend from. */
  head: string;
  base: string;
};

/** One entry of `git ls-tree -r`: mode (100644, 100755, 120000, 160000), object id. */
export type TreeEntry = { mode: string; id: string };
export type Tree = Map<string, TreeEntry>;

/** A candidate's .git/config must not run anything of its own during a read. */
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.untrackedCache=false', '-c', 'diff.external='];
const GIT_ENV = { GIT_OPTIONAL_LOCKS: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

export async function git(repo: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await execa('git', ['-C', repo, ...SAFE_CONFIG, ...args], { env: GIT_ENV, reject: false, stripFinalNewline: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }), maxBuffer: 256 * 1024 * 1024 });
  return { code: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Resolves DIR or REV (exit 2 when it is neither); never writes anything. */
export async function resolveCandidate(trusted: string, spec: string, cwd: string): Promise<Candidate> {
  const baseResult = await git(trusted, ['rev-parse', '--verify', 'HEAD^{commit}']);
  if (baseResult.code !== 0) throw new UsageError('trusted-not-git', `the trusted checkout ${trusted} is not a git repository with a HEAD commit; run the tripwire from a nightshift checkout.`);
  const base = baseResult.stdout.trim();
  const path = resolve(cwd, spec);
  if (existsSync(path) && statSync(path).isDirectory()) {
    const top = await git(path, ['rev-parse', '--show-toplevel']);
    if (top.code !== 0) throw new UsageError('candidate-not-git', `--candidate ${spec}: ${path} is not a git checkout. Give the candidate's checkout (a clone or worktree) or a commit of this repo.`);
    if (realpathSync(top.stdout.trim()) !== realpathSync(path)) {
      throw new UsageError('candidate-not-top', `--candidate ${spec}: ${path} is inside the checkout ${top.stdout.trim()}; give the checkout's top folder.`);
    }
    const head = await git(path, ['rev-parse', '--verify', 'HEAD^{commit}']);
    if (head.code !== 0) throw new UsageError('candidate-no-head', `--candidate ${spec}: the checkout ${path} has no HEAD commit.`);
    return { spec, kind: 'dir', repo: path, head: head.stdout.trim(), base };
  }
  const rev = await git(trusted, ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`]);
  if (rev.code !== 0) throw new UsageError('candidate-missing', `--candidate ${spec} is neither a directory nor a commit of the trusted repo ${trusted}.`);
  return { spec, kind: 'rev', repo: trusted, head: rev.stdout.trim(), base };
}

/** Whether the candidate's history contains the trusted HEAD. */
export async function descendsFromBase(candidate: Candidate): Promise<boolean> {
  return (await git(candidate.repo, ['merge-base', '--is-ancestor', candidate.base, candidate.head])).code === 0;
}

export async function readTree(repo: string, commit: string): Promise<Tree> {
  const result = await git(repo, ['ls-tree', '-r', '-z', '--full-tree', commit]);
  if (result.code !== 0) throw new Error(`git ls-tree ${commit} in ${repo} failed: ${result.stderr.trim()}`);
  const tree: Tree = new Map();
  for (const record of result.stdout.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', , id = ''] = record.slice(0, tab).split(' ');
    tree.set(record.slice(tab + 1), { mode, id });
  }
  return tree;
}

/** Folders whose files node may load: nothing may sit there outside the commit, ignored or not. */
const CODE_FOLDERS = ['loop', 'prompts', 'trackers', 'oracle', 'heal', 'test'];

/** Working-tree state a DIR candidate must not have: changes, untracked files, index flags hiding changes. */
export async function uncommittedState(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const changed = await git(dir, ['diff', '--no-ext-diff', '--name-only', '-z', 'HEAD']);
  for (const path of changed.stdout.split('\0').filter(Boolean)) problems.push(`${path}: uncommitted change`);
  // only the committed .gitignore files count; .git/info/exclude cannot hide a file from the tripwire
  const untracked = await git(dir, ['ls-files', '-z', '--others', '--exclude-per-directory=.gitignore']);
  for (const path of untracked.stdout.split('\0').filter(Boolean)) problems.push(`${path}: untracked file`);
  // ignored files are not in the commit, but inside a code folder they would run in this checkout
  const ignored = await git(dir, ['ls-files', '-z', '--others', '--ignored', '--directory', '--exclude-per-directory=.gitignore']);
  for (const path of ignored.stdout.split('\0').filter(Boolean)) {
    if (CODE_FOLDERS.includes(path.split('/')[0] ?? '')) problems.push(`${path}: ignored by git but inside a code folder (it would shadow or add code outside the commit)`);
  }
  const flagged = await git(dir, ['ls-files', '-z', '-v']);
  for (const record of flagged.stdout.split('\0').filter(Boolean)) {
    const tag = record.slice(0, 1);
    if (tag === 'S' || (tag !== tag.toUpperCase())) problems.push(`${record.slice(2)}: marked assume-unchanged or skip-worktree (hides uncommitted changes)`);
  }
  return problems;
}

/** Reads blobs in one `git cat-file --batch` and returns their contents by id. */
export async function readBlobs(repo: string, ids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const result = await execa('git', ['-C', repo, ...SAFE_CONFIG, 'cat-file', '--batch'], { env: GIT_ENV, input: `${unique.join('\n')}\n`, encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 });
  const out = Buffer.from(result.stdout);
  const blobs = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const [id = '', type, size] = out.subarray(at, eol).toString().split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${id} is ${type ?? 'missing'}, not a blob`);
    const start = eol + 1;
    blobs.set(id, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return blobs;
}

/** Writes the regular files of `tree` under `dest` (symlinks and submodules are left out: the path rule rejects them). */
export async function exportTree(repo: string, tree: Tree, dest: string): Promise<void> {
  const files = [...tree].filter(([, e]) => e.mode === '100644' || e.mode === '100755');
  const blobs = await readBlobs(repo, files.map(([, e]) => e.id));
  for (const [path, entry] of files) {
    const target = join(dest, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, blobs.get(entry.id) ?? Buffer.alloc(0), { mode: entry.mode === '100755' ? 0o755 : 0o644 });
  }
}

/** Gives `dest` a node_modules of symlinks to the trusted packages (caches like .vite stay in dest). */
export function lendNodeModules(trusted: string, dest: string): void {
  const from = join(trusted, 'node_modules');
  const to = join(dest, 'node_modules');
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === '.vite' || name === '.vitest' || name === '.cache') continue;
    symlinkSync(join(from, name), join(to, name));
  }
}
