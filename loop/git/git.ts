// The loop's git operations (git itself, through the subprocess module): ticket worktrees on
// `nightshift/<KEY>` branches, the merge into the target branch with the `Nightshift-Ticket:` trailer
// (a compare-and-swap on the ref, so a foreign move is never overwritten), reverts, replay worktrees.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { captureProcess } from '../process/subprocess.ts';

/** nightshift commits (merges, reverts) under its own name, whatever the machine's git config says. */
const IDENTITY = {
  GIT_AUTHOR_NAME: 'nightshift',
  GIT_AUTHOR_EMAIL: 'nightshift@localhost',
  GIT_COMMITTER_NAME: 'nightshift',
  GIT_COMMITTER_EMAIL: 'nightshift@localhost',
};

export const TRAILER = 'Nightshift-Ticket';

export function branchOf(key: string): string {
  return `nightshift/${key}`;
}

/** Variables git may see from our environment: enough to find itself and the user's config, no editors or pagers. */
const PASSED_TO_GIT = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'XDG_CONFIG_HOME'];

/** A repository (or worktree) to run git in: `raw` resolves with stdout, or rejects with git's message. */
export type Git = { raw(args: readonly string[]): Promise<string> };

/**
 * Opens `dir` for git commands. (Not simple-git: it waits 50 ms after every command that prints
 * nothing, and a pass runs about ten such commands, several of them under the merge lock.)
 */
export function openGit(dir: string, env: NodeJS.ProcessEnv = process.env): Git {
  const clean: Record<string, string> = {};
  for (const name of PASSED_TO_GIT) {
    const value = env[name];
    if (value !== undefined) clean[name] = value;
  }
  const gitEnv = { ...clean, ...IDENTITY, GIT_TERMINAL_PROMPT: '0' };
  const run = async (args: readonly string[]): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      const result = await captureProcess('git', args, { cwd: dir, env: gitEnv });
      if (result.exitCode === 0) return result.stdout;
      const message = (result.stderr.trim() || result.stdout.trim() || `git ${args.join(' ')} exited ${result.exitCode}`).slice(0, 8_000);
      const lock = LOCK_EXISTS.exec(message)?.[1];
      const waits = lock !== undefined && isCheckoutIndex(lock) ? CHECKOUT_INDEX_WAITS : LOCK_WAITS_MS.length;
      if (lock === undefined || attempt >= waits) throw new Error(message);
      await waitOutLock(lock, LOCK_WAITS_MS[attempt] ?? 0);
    }
  };
  // git's worktree bookkeeping is not safe against itself (an `add` reads every other worktree's admin
  // dir, a `prune` deletes half-made ones): one `git worktree` command at a time per repository. A
  // `list` only reads; it runs at once (merges ask it, under the merge lock), and again in turn if it
  // failed beside a change.
  let worktreeChain: Promise<unknown> = Promise.resolve();
  const inTurn = (args: readonly string[]) => {
    const next = worktreeChain.then(() => run(args), () => run(args));
    worktreeChain = next.catch(() => undefined);
    return next;
  };
  return {
    raw(args) {
      if (args[0] !== 'worktree') return run(args);
      if (args[1] === 'list') return run(args).catch(() => inTurn(args));
      return inTurn(args);
    },
  };
}

/** git's message when a lock file is in the way (`index.lock`, `refs/heads/main.lock`, `packed-refs.lock` ...). */
const LOCK_EXISTS = /Unable to create '([^']+\.lock)': File exists/;
/** A lock older than this was left by a killed git: ref and index updates hold theirs for milliseconds. */
export const STALE_LOCK_MS = 5_000;
/** How long to wait between looks at a lock in the way (about 6 s in all, so a fresh one can go stale). */
const LOCK_WAITS_MS = [100, 200, 400, 800, 1_600, 3_200];

/** A person's own checkout index is only waited on briefly (about 1.5 s): it is never ours to remove. */
const CHECKOUT_INDEX_WAITS = 4;

function isCheckoutIndex(path: string): boolean {
  return basename(path) === 'index.lock' && basename(dirname(path)) === '.git';
}

let reportStaleLock: ((path: string, ageMs: number) => void) | undefined;

/** Where the loop hears of the stale git locks it removed (an event, a line for the operator). */
export function onStaleGitLock(report: ((path: string, ageMs: number) => void) | undefined): void {
  reportStaleLock = report;
}

/**
 * Waits `waitMs`, then removes the lock if it is stale (older than STALE_LOCK_MS). The index lock of a
 * repository's own checkout is never removed (a person's `git commit` holds it while their editor is
 * open); the loop does not need it anyway.
 */
async function waitOutLock(path: string, waitMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  let age: number;
  try {
    age = Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  if (isCheckoutIndex(path) || age < STALE_LOCK_MS) return;
  await rm(path, { force: true });
  reportStaleLock?.(path, Math.round(age));
}

export async function revParse(git: Git, ref: string): Promise<string | undefined> {
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const REVERTED_TRAILER = 'Nightshift-Reverted';

/**
 * The merge commit on the target that names `key` in its trailer, if the ticket is merged and that
 * merge was not reverted since (the newest of merge and revert decides). Only the target's first-parent
 * line counts: the loop's merges and reverts are made there, while a worker's own commits (which could
 * carry a forged trailer) only ever reach the target as a merge's second parent. `at` is where to read
 * the target: the loop passes where it last put it (its target guard), so a foreign move of the ref not
 * yet undone (a worker forging a trailer) is never read as a merge.
 */
export async function findMergeOnTarget(git: Git, target: string, key: string, at = `refs/heads/${target}`): Promise<string | undefined> {
  const out = await git.raw([
    'log', at, '--first-parent', '--extended-regexp', `--grep=^(${TRAILER}|${REVERTED_TRAILER}): ${key}$`,
    `--format=%H%x1f%(trailers:key=${TRAILER},valueonly,separator=%x1e)%x1f%(trailers:key=${REVERTED_TRAILER},valueonly,separator=%x1e)`,
  ]);
  const names = (values: string | undefined) => (values ?? '').split('\x1e').map((v) => v.trim());
  for (const line of out.split('\n')) {
    const [commit, merged, reverted] = line.split('\x1f');
    if (!commit) continue;
    if (names(reverted).includes(key)) return undefined;
    if (names(merged).includes(key)) return commit;
  }
  return undefined;
}

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
 * other worktree commands (merges' `list` among them) waiting 60 to 90 ms on average.
 */
export async function addWorktree(repo: Git, path: string, checkout: Checkout): Promise<void> {
  if (existsSync(path)) await removeWorktree(repo, path);
  await mkdir(dirname(path), { recursive: true });
  // --force: the path may still be registered to a worktree whose files are gone (a crash between the
  // two), and a branch may be checked out in a worktree not yet removed (a crashed pass's)
  switch (checkout.kind) {
    case 'new-branch': await repo.raw(['worktree', 'add', '--force', '--no-checkout', '-b', checkout.branch, path, checkout.at]); break;
    case 'branch': await repo.raw(['worktree', 'add', '--force', '--no-checkout', path, checkout.branch]); break;
    case 'detached': await repo.raw(['worktree', 'add', '--force', '--no-checkout', '--detach', path, checkout.commit]); break;
  }
  try {
    await openGit(path).raw(['checkout', '-f', '-q']);
  } catch (error) {
    await removeWorktree(repo, path);
    throw error;
  }
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

/** Commits on the ticket branch that the target does not have. */
export async function commitsAhead(repo: Git, target: string, key: string, at = `refs/heads/${target}`): Promise<number> {
  const out = await repo.raw(['rev-list', '--count', '--no-merges', `${at}..refs/heads/${branchOf(key)}`]);
  return Number(out.trim());
}

export type MergeOutcome =
  | { kind: 'merged'; commit: string; previous: string }
  | { kind: 'conflict'; message: string }
  | { kind: 'target-moved' };

/**
 * Merges the ticket branch into the target without checking anything out: `merge-tree` computes the
 * tree, `commit-tree` writes a merge commit with the trailer, `update-ref` moves the target only if it
 * still points where it did (compare-and-swap). A checked-out target is then fast-forwarded on disk.
 */
export async function mergeIntoTarget(
  repo: Git,
  target: string,
  key: string,
  title: string,
  run: string,
  /** Where the target must be (the loop's own last move); a target found elsewhere is `target-moved`. */
  expected?: string,
  /** The ticket branch's head, if read already (it does not move once the pass's agent has ended). */
  branchHead?: Promise<string | undefined>,
): Promise<MergeOutcome> {
  const previous = expected ?? await revParse(repo, `refs/heads/${target}`);
  const head = await (branchHead ?? revParse(repo, `refs/heads/${branchOf(key)}`));
  if (!previous || !head) return { kind: 'conflict', message: `missing ${previous ? branchOf(key) : target}` };
  const made = await makeMergeCommit(repo, previous, head, key, title, run);
  if (made.kind === 'conflict') return made;
  return placeMerge(repo, target, key, made.commit, previous);
}

/**
 * The merge commit of `head` into `previous`, made but not placed anywhere: `merge-tree` computes the
 * merged tree (a conflict is reported, nothing written), `commit-tree` makes the commit with the
 * trailer. An object no ref points to changes nothing, so this may run before the merge lock.
 */
export async function makeMergeCommit(repo: Git, previous: string, head: string, key: string, title: string, run: string): Promise<{ kind: 'commit'; commit: string } | { kind: 'conflict'; message: string }> {
  let tree: string;
  try {
    tree = (await repo.raw(['merge-tree', '--write-tree', '--no-messages', previous, head])).split('\n')[0]?.trim() ?? '';
  } catch (error) {
    return { kind: 'conflict', message: (error as Error).message.slice(0, 2_000) };
  }
  const message = `Merge ${branchOf(key)}: ${title}\n\n${TRAILER}: ${key}\nNightshift-Run: ${run}\n`;
  return { kind: 'commit', commit: (await repo.raw(['commit-tree', tree, '-p', previous, '-p', head, '-m', message])).trim() };
}

/** Moves the target from `previous` to a merge commit made on it (a compare-and-swap), and syncs checkouts of the target. */
export async function placeMerge(repo: Git, target: string, key: string, commit: string, previous: string): Promise<MergeOutcome> {
  try {
    await repo.raw(['update-ref', '-m', `nightshift: merge ${key}`, `refs/heads/${target}`, commit, previous]);
  } catch (error) {
    // only a target that is no longer where we left it is a foreign move; any other failure is git's
    if (await revParse(repo, `refs/heads/${target}`) === previous) throw error;
    return { kind: 'target-moved' };
  }
  await syncCheckedOut(repo, target, previous, commit);
  return { kind: 'merged', commit, previous };
}

/** Reverts a merge on the target (in a throwaway worktree), again as a compare-and-swap of the ref. */
export async function revertOnTarget(
  repo: Git,
  target: string,
  merge: string,
  key: string,
  scratch: string,
  expected?: string,
): Promise<{ kind: 'reverted'; commit: string } | { kind: 'failed'; message: string }> {
  const previous = expected ?? await revParse(repo, `refs/heads/${target}`);
  if (!previous) return { kind: 'failed', message: `target ${target} missing` };
  await removeWorktree(repo, scratch);
  await mkdir(dirname(scratch), { recursive: true });
  await repo.raw(['worktree', 'add', '--detach', scratch, previous]);
  try {
    const wt = openGit(scratch);
    await wt.raw(['revert', '-m', '1', '--no-edit', merge]);
    await wt.raw(['commit', '--amend', '-m', `Revert the merge of ${key}: its replay failed\n\nThis reverts commit ${merge}.\n\n${REVERTED_TRAILER}: ${key}\n`]);
    const commit = (await wt.raw(['rev-parse', 'HEAD'])).trim();
    await repo.raw(['update-ref', '-m', `nightshift: revert ${key}`, `refs/heads/${target}`, commit, previous]);
    await syncCheckedOut(repo, target, previous, commit);
    return { kind: 'reverted', commit };
  } catch (error) {
    return { kind: 'failed', message: (error as Error).message };
  } finally {
    await removeWorktree(repo, scratch);
  }
}

/** When a worktree has the target checked out, bring its files along with the moved ref (keeps local edits). */
async function syncCheckedOut(repo: Git, target: string, previous: string, next: string): Promise<void> {
  for (const path of await checkedOutAt(repo, `refs/heads/${target}`)) {
    await openGit(path).raw(['read-tree', '-m', '-u', previous, next]).catch(() => undefined);
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

/**
 * After a revert on the target, puts the ticket's work back on its branch (target merged in, then the
 * revert reverted), so the next pass builds on its own commits and the next merge carries them again.
 */
export async function reapplyOnBranch(repo: Git, target: string, key: string, revert: string, scratch: string): Promise<void> {
  await removeWorktree(repo, scratch);
  await mkdir(dirname(scratch), { recursive: true });
  await repo.raw(['worktree', 'add', '--force', scratch, branchOf(key)]);
  try {
    const wt = openGit(scratch);
    await wt.raw(['merge', '--no-edit', '--no-ff', `refs/heads/${target}`, '-m', `Merge ${target} (with the revert of ${key}) into ${branchOf(key)}`]);
    await wt.raw(['revert', '--no-edit', revert]);
  } finally {
    await removeWorktree(repo, scratch);
  }
}
