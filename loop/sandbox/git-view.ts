// The agent's own view of its worktree's repository. Git writes a ref through `<ref>.lock` and a rename
// in the ref's directory, and its reflog under logs/, so a bind of one ref file cannot confine it.
// Instead the worktree's admin dir (`<common>/worktrees/<name>`, where its `.git` file points) is
// covered, inside the sandbox only, by a private git dir: a copy of HEAD, the index, config and
// info/exclude, every ref as a snapshot in packed-refs, and an empty object dir whose alternate is the
// real object store (read-only there). The agent may commit, reset and move any ref of that view; none
// of it reaches the real repository. After the pass the loop (outside) takes exactly one thing back:
// the worktree's own branch, fetched from the view (index-pack checks every object) after the view's
// config is replaced by a blank one, plus the index so the worktree's status stays what the agent left.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { captureProcess } from '../process/subprocess.ts';

export type GitView = {
  /** The private git dir, bound over `adminDir` in the sandbox. */
  dir: string;
  adminDir: string;
  commonDir: string;
  /** The branch the worktree had checked out (`refs/heads/...`), and its head then. */
  branch: string | undefined;
  startHead: string | undefined;
};

/** The worktree's admin and common dirs when its `.git` is a gitfile (a linked worktree), else undefined. */
export function linkedWorktree(cwd: string): { adminDir: string; commonDir: string } | undefined {
  const dotGit = join(cwd, '.git');
  try {
    if (!statSync(dotGit).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!match?.[1]) return undefined;
  const adminDir = resolve(cwd, match[1]);
  const commonFile = join(adminDir, 'commondir');
  if (!existsSync(commonFile)) return undefined;
  const common = readFileSync(commonFile, 'utf8').trim();
  return { adminDir, commonDir: isAbsolute(common) ? common : resolve(adminDir, common) };
}

const HEX = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Makes the private git dir for a worktree, under `parent`; undefined when cwd is no linked worktree. */
export async function openGitView(cwd: string, parent: string, env: NodeJS.ProcessEnv): Promise<GitView | undefined> {
  const linked = linkedWorktree(cwd);
  if (!linked) return undefined;
  const { adminDir, commonDir } = linked;
  const refs = await captureProcess('git', ['--git-dir', commonDir, 'for-each-ref', '--format=%(objectname) %(refname)'], { cwd: commonDir, env, kind: 'git:for-each-ref' });
  if (refs.exitCode !== 0) throw new Error(`cannot list the refs of ${commonDir}: ${refs.stderr.trim()}`);
  const dir = mkdtempSync(join(parent, 'git-view-'));
  mkdirSync(join(dir, 'objects', 'info'), { recursive: true });
  mkdirSync(join(dir, 'refs', 'heads'), { recursive: true });
  mkdirSync(join(dir, 'refs', 'tags'), { recursive: true });
  mkdirSync(join(dir, 'info'), { recursive: true });
  writeFileSync(join(dir, 'objects', 'info', 'alternates'), `${join(commonDir, 'objects')}\n`);
  writeFileSync(join(dir, 'packed-refs'), refs.stdout);
  const head = readFileSync(join(adminDir, 'HEAD'), 'utf8');
  writeFileSync(join(dir, 'HEAD'), head);
  copyIfThere(join(adminDir, 'index'), join(dir, 'index'));
  copyIfThere(join(commonDir, 'config'), join(dir, 'config'));
  copyIfThere(join(commonDir, 'info', 'exclude'), join(dir, 'info', 'exclude'));
  copyIfThere(join(commonDir, 'shallow'), join(dir, 'shallow'));
  const branch = /^ref:\s*(refs\/heads\/\S+)/.exec(head)?.[1];
  const startHead = branch ? refs.stdout.split('\n').find((line) => line.endsWith(` ${branch}`))?.split(' ')[0] : undefined;
  return { dir, adminDir, commonDir, branch, startHead };
}

function copyIfThere(from: string, to: string): void {
  if (existsSync(from)) copyFileSync(from, to);
}

/** The view's head of `ref` (a loose ref, else packed-refs), read as text: nothing of the agent runs. */
function viewHead(view: GitView, ref: string): string | undefined {
  try {
    const loose = readFileSync(join(view.dir, ref), 'utf8').trim();
    return HEX.test(loose) ? loose : undefined;
  } catch {
    // not loose: packed
  }
  const packed = existsSync(join(view.dir, 'packed-refs')) ? readFileSync(join(view.dir, 'packed-refs'), 'utf8') : '';
  const hit = packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
  return hit && HEX.test(hit) ? hit : undefined;
}

export type TakeBack = { kind: 'unchanged' } | { kind: 'moved'; from: string | undefined; to: string } | { kind: 'failed'; detail: string };

/**
 * Brings the branch the worktree had checked out back from the view into the real repository (only a
 * `refs/heads/nightshift/...` branch), and the index with it. The view's config, alternates and any
 * commondir it grew are replaced first, so the fetch reads nothing the agent chose but objects and refs.
 */
export async function takeBackBranch(view: GitView, env: NodeJS.ProcessEnv): Promise<TakeBack> {
  const { branch } = view;
  if (!branch?.startsWith('refs/heads/nightshift/')) return { kind: 'unchanged' };
  const to = viewHead(view, branch);
  if (existsSync(join(view.dir, 'index'))) {
    const staged = join(view.adminDir, 'index.nightshift-sandbox');
    copyFileSync(join(view.dir, 'index'), staged);
    renameSync(staged, join(view.adminDir, 'index'));
  }
  if (!to || to === view.startHead) return { kind: 'unchanged' };
  for (const name of ['commondir', 'gitdir', 'hooks']) rmSync(join(view.dir, name), { recursive: true, force: true });
  writeFileSync(join(view.dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  mkdirSync(join(view.dir, 'objects', 'info'), { recursive: true });
  writeFileSync(join(view.dir, 'objects', 'info', 'alternates'), `${join(view.commonDir, 'objects')}\n`);
  const fetched = await captureProcess('git', [
    '--git-dir', view.commonDir, '-c', 'protocol.file.allow=always', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--update-head-ok',
    view.dir, `+${branch}:${branch}`,
  ], { cwd: view.commonDir, env, kind: 'git:fetch' });
  if (fetched.exitCode !== 0) return { kind: 'failed', detail: fetched.stderr.trim().split('\n').slice(-3).join(' ') };
  return { kind: 'moved', from: view.startHead, to };
}

export function closeGitView(view: GitView): void {
  rmSync(view.dir, { recursive: true, force: true });
}

/** The directory the view is made in: beside the agent's result file (the pass's own dir). */
export function viewParent(resultFile: string): string {
  return dirname(resultFile);
}
