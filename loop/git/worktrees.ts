// Ticket and replay worktrees as git sees them: adding one (files written outside git's one-at-a-time
// worktree commands), removing one, and which worktrees have a ref checked out (read from git's admin files).
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FULL_ID, branchOf, commonDirOfGit, inWorktreeTurn, openGit, revParse } from './git.ts';
import type { Git } from './git.ts';

/** What a worktree checks out: a new branch at a commit, an existing branch, or a detached commit. */
export type Checkout =
  | { kind: 'new-branch'; branch: string; at: string }
  | { kind: 'branch'; branch: string }
  | { kind: 'detached'; commit: string };

/** Puts a worktree checking out `checkout` at `path`: a fresh `git worktree add`, or a reused one (loop/worktree/worktree-pool.ts). */
export type AcquireWorktree = (path: string, checkout: Checkout) => Promise<unknown>;

/**
 * A fresh `git worktree add` of `checkout` at `path`, whatever was there removed first. The add itself
 * registers the worktree without writing its files (`--no-checkout`); they are written after it by a
 * forced checkout in the worktree, as the add would, outside the one-at-a-time `git worktree` commands:
 * with every file written inside, an add took 74 ms on average in the 200-ticket bench and kept the
 * other worktree commands (merges' `list` among them) waiting 60 to 90 ms on average. `files: false`
 * leaves a detached worktree registered without files (and without an index) for a caller whose own
 * forced checkout of another commit writes them all (the replay's, loop/worktree/worktree-pool.ts
 * reserve); a new branch is made by the checkout, so it always runs. A detached start at a full id is
 * registered without git where it can be (registerByHand).
 */
export async function addWorktree(repo: Git, path: string, checkout: Checkout, { files = true }: { files?: boolean } = {}): Promise<void> {
  if (existsSync(path)) await removeWorktree(repo, path);
  await mkdir(dirname(path), { recursive: true });
  // --force: the path may still be registered to a worktree whose files are gone (a crash between the
  // two), and a branch may be checked out in a worktree not yet removed (a crashed pass's)
  // a new branch is made by the checkout (`checkout -b`, from the same start point), not by the add:
  // `worktree add -b` runs `git branch` as one more child process (about 10 ms of CPU a ticket)
  const detachedAt = checkout.kind === 'new-branch' ? checkout.at : checkout.kind === 'detached' ? checkout.commit : undefined;
  const byHand = detachedAt !== undefined && FULL_ID.test(detachedAt) && await registerByHand(repo, path, detachedAt);
  if (!byHand) switch (checkout.kind) {
    case 'new-branch': await repo.raw(['worktree', 'add', '--force', '--no-checkout', '--detach', path, checkout.at]); break;
    case 'branch': await repo.raw(['worktree', 'add', '--force', '--no-checkout', path, checkout.branch]); break;
    case 'detached': await repo.raw(['worktree', 'add', '--force', '--no-checkout', '--detach', path, checkout.commit]); break;
  }
  if (!files && checkout.kind !== 'new-branch') return;
  try {
    await openGit(path).raw(['checkout', '-f', '-q', ...(checkout.kind === 'new-branch' ? ['-b', checkout.branch, checkout.at] : [])]);
  } catch (error) {
    await removeWorktree(repo, path);
    throw error;
  }
}

/** A worktree name git takes as it is for its admin dir (git sanitizes others): the path's last component. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
/**
 * Settings under which git lays out a worktree's admin files otherwise than registerByHand does (per-worktree
 * config, reftable refs, relative links, sparse checkouts copied in, shared permissions), runs hooks it
 * would not (a hooks path), or that could pull such settings in (includes).
 */
const OWN_LAYOUT = /worktreeconfig|refstorage|relativeworktrees|userelativepaths|sparsecheckout|sharedrepository|hookspath|\[\s*include/i;

/** The config files git reads beside the repository's own: the system's, then the user's (as git finds them). */
function outerConfigs(): string[] {
  const env = process.env;
  const home = env.HOME ?? homedir();
  return [
    env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig',
    ...(env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : [join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'), join(home, '.gitconfig')]),
  ];
}

/**
 * Registers a detached worktree at `path` as `git worktree add --no-checkout --detach` does, without its
 * two git processes (the add, and the `update-ref HEAD` it runs; about 26 ms of CPU a worktree, two
 * worktrees a ticket): the admin dir `<common>/worktrees/<name>` holding `gitdir`, `commondir` and
 * `HEAD`, locked while it is made so no `worktree prune` takes it half-made, and the worktree's `.git`
 * file naming it. In its turn among the worktree commands. False (nothing left behind) where git must do
 * it: a name git would sanitize, or one taken already (git numbers a new one, or takes over a stale
 * registration of the same path), a configuration (the repository's, the user's or the system's) under
 * which git lays the files out otherwise or runs hooks, a `reference-transaction` hook, an unreadable
 * common dir, any failure. No reflog entry is written for the new HEAD (git writes one); nothing reads a
 * fresh worktree's.
 */
async function registerByHand(repo: Git, path: string, head: string): Promise<boolean> {
  const name = basename(path);
  if (!PLAIN_NAME.test(name) || name.endsWith('.lock')) return false;
  const common = await commonDirOfGit(repo);
  if (common === undefined) return false;
  const config = await readFile(join(common, 'config'), 'utf8').catch(() => undefined);
  if (config === undefined || OWN_LAYOUT.test(config)) return false;
  for (const file of outerConfigs()) {
    if (OWN_LAYOUT.test(await readFile(file, 'utf8').catch(() => ''))) return false;
  }
  if (existsSync(join(common, 'hooks', 'reference-transaction'))) return false;
  return inWorktreeTurn(repo, async () => {
    const worktrees = join(common, 'worktrees');
    let admin: string | undefined;
    try {
      await mkdir(worktrees, { recursive: true });
      const candidate = join(worktrees, name);
      // taken: another worktree's, or a stale one of this path that git's add --force takes over
      admin = await mkdir(candidate).then(() => candidate, () => undefined);
      if (admin === undefined) return false;
      await writeFile(join(admin, 'locked'), 'initializing');
      await mkdir(path, { recursive: true });
      const top = await realpath(path);
      await writeFile(join(admin, 'commondir'), '../..\n');
      await writeFile(join(admin, 'HEAD'), `${head}\n`);
      await writeFile(join(admin, 'gitdir'), `${join(top, '.git')}\n`);
      await writeFile(join(top, '.git'), `gitdir: ${await realpath(admin)}\n`);
      await rm(join(admin, 'locked'));
      return true;
    } catch {
      if (admin !== undefined) await rm(admin, { recursive: true, force: true }).catch(() => undefined);
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
      return false;
    }
  });
}

/**
 * Gives the ticket a clean worktree on its branch: the branch is created at the target head the first
 * time and carries over (with its commits) to later passes, with the target merged in when it moved.
 */
export async function prepareWorktree(
  repo: Git,
  target: string,
  key: string,
  path: string,
  /** The target head to start from or catch up with (the loop's own, not a ref a worker may have moved). */
  at = `refs/heads/${target}`,
  acquire: AcquireWorktree = (p, c) => addWorktree(repo, p, c),
): Promise<{ conflict: boolean }> {
  const branch = branchOf(key);
  if (!(await revParse(repo, `refs/heads/${branch}`))) {
    await acquire(path, { kind: 'new-branch', branch, at });
    return { conflict: false }; // a new branch at the target head has nothing to catch up on
  }
  await acquire(path, { kind: 'branch', branch });
  const wt = openGit(path);
  const isAncestor = await wt.raw(['merge-base', '--is-ancestor', at, 'HEAD']).then(() => true, () => false);
  if (isAncestor) return { conflict: false };
  try {
    await wt.raw(['merge', '--no-edit', '--no-ff', at, '-m', `Merge ${target} into ${branch}`]);
    return { conflict: false };
  } catch {
    await wt.raw(['merge', '--abort']).catch(() => undefined);
    return { conflict: true };
  }
}

export async function removeWorktree(repo: Git, path: string): Promise<void> {
  if (existsSync(path)) {
    const removed = await repo.raw(['worktree', 'remove', '--force', '--force', path]).then(() => true, () => false);
    // git removed the files and the registration: nothing is left to prune
    if (removed && !existsSync(path)) return;
    await rm(path, { recursive: true, force: true });
  }
  await repo.raw(['worktree', 'prune']).catch(() => undefined);
}

/**
 * Removes a worktree as `git worktree remove --force --force` does, without a git process (two per
 * ticket, about 20 ms of CPU each): its files, then in its turn among the worktree commands its admin
 * dir, and the common dir's `worktrees/` if that is left empty. `admin` is the admin dir git made at the
 * add, as its `.git` file named it then (before anything ran in the worktree); only a `worktrees/<id>`
 * dir whose `gitdir` names this worktree is removed so. Anything else, or any failure, is left to git.
 */
export async function dropWorktree(repo: Git, path: string, admin: string): Promise<void> {
  const own = await lstat(path).then(async (s) => s.isDirectory() && basename(dirname(admin)) === 'worktrees'
    && (await readFile(join(admin, 'gitdir'), 'utf8')).trim() === join(await realpath(path), '.git'), () => false);
  if (!own) return removeWorktree(repo, path);
  try {
    await rm(path, { recursive: true, force: true });
    await inWorktreeTurn(repo, async () => {
      await rm(admin, { recursive: true, force: true });
      await rmdir(dirname(admin)).catch(() => undefined); // only if empty, as git does
    });
  } catch {
    await removeWorktree(repo, path);
  }
}

/** Where a repository keeps its worktrees' admin files, and its main worktree (none when bare). */
type WorktreeAdmin = { common: string; main: string | undefined };
const admins = new WeakMap<Git, Promise<WorktreeAdmin | undefined>>();

/**
 * The worktrees that have `ref` checked out, as `git worktree list` names them, but read from git's own
 * admin files (the common dir's HEAD for the main worktree; HEAD and gitdir in each `worktrees/<id>/`)
 * rather than by a git process: every merge asks, under the merge lock. Where those files cannot be
 * read, git is asked.
 */
export async function checkedOutAt(repo: Git, ref: string): Promise<string[]> {
  let admin = admins.get(repo);
  if (!admin) {
    admin = worktreeAdmin(repo).catch(() => undefined);
    admins.set(repo, admin);
  }
  const known = await admin;
  if (known) {
    try {
      return await readCheckedOut(known, ref);
    } catch {
      // fall through to git
    }
  }
  const list = await repo.raw(['worktree', 'list', '--porcelain']);
  const paths: string[] = [];
  for (const block of list.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (path && block.split('\n').includes(`branch ${ref}`)) paths.push(path);
  }
  return paths;
}

async function worktreeAdmin(repo: Git): Promise<WorktreeAdmin | undefined> {
  const common = (await repo.raw(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  const first = (await repo.raw(['worktree', 'list', '--porcelain'])).split('\n\n')[0] ?? '';
  const main = /^worktree (.+)$/m.exec(first)?.[1];
  if (!common || !main) return undefined;
  return { common, main: first.split('\n').includes('bare') ? undefined : main };
}

async function readCheckedOut(admin: WorktreeAdmin, ref: string): Promise<string[]> {
  const onRef = async (headFile: string) => (await readFile(headFile, 'utf8')).trim() === `ref: ${ref}`;
  const paths: string[] = [];
  if (admin.main && await onRef(join(admin.common, 'HEAD'))) paths.push(admin.main);
  const linked = await readdir(join(admin.common, 'worktrees')).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const id of linked) {
    const dir = join(admin.common, 'worktrees', id);
    // one being added or removed meanwhile has no HEAD or gitdir yet (or any more): it checks out no branch of ours
    const head = await onRef(join(dir, 'HEAD')).catch(() => false);
    if (!head) continue;
    const gitdir = (await readFile(join(dir, 'gitdir'), 'utf8').catch(() => '')).trim();
    if (gitdir) paths.push(dirname(gitdir));
  }
  return paths;
}
