// Reused git worktrees. `git worktree add` checks out every file of the repository (it runs a hard
// reset inside: ~100 ms at 400 files, seconds in a large monorepo), and the loop made two per ticket
// (the pass's worktree, the replay's). A released worktree waits under `<state>/worktrees/.pool-<n>`
// (wiped with the rest of `worktrees/` after a crash; a leading dot is never a ticket key); the next
// acquire moves it into place (a rename) and checks out what a fresh add would, paying only for the
// diff. A pooled worktree that may have been tampered with is removed and a fresh one added instead.
import { existsSync } from 'node:fs';
import { lstat, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addWorktree, dropWorktree, removeWorktree } from '../git/worktrees.ts';
import { FULL_ID, openGit } from '../git/git.ts';
import type { Checkout } from '../git/worktrees.ts';
import type { Git } from '../git/git.ts';

/** How `acquire` got its worktree: a pooled one reused, or a fresh add (and why no pooled one was reused). */
export type Acquired = { kind: 'reused' } | { kind: 'added'; reason: string };

export type WorktreePool = {
  /** A worktree at `path` exactly as a fresh `git worktree add` of `checkout` would make it. */
  acquire(path: string, checkout: Checkout): Promise<Acquired>;
  /**
   * A worktree at `path`, detached at `commit`, that nothing may run in before `retarget` moves it: a
   * pooled one acquired there, or a fresh one registered without its files, which the retarget then
   * writes in full (one checkout, where a fresh add and a retarget wrote the files twice).
   */
  reserve(path: string, commit: string): Promise<Acquired>;
  /**
   * Moves a worktree just acquired or reserved, that nothing but the loop's own retargets has run in
   * since, to `commit` (detached): a checkout of the files that differ (every file, in a reserved one
   * that has none yet); nothing when the last retarget wrote that commit's files.
   */
  retarget(path: string, commit: string): Promise<void>;
  /**
   * Detaches the worktree at `path` (its branch is free again) and keeps it for reuse, or removes it.
   * A caller need not wait: an acquire of the same path waits for it, and a second release of it is
   * the same release.
   */
  release(path: string): Promise<void>;
  /** Removes every pooled worktree; later releases remove theirs. */
  close(): Promise<void>;
};

export type PoolDeps = {
  /** The repository the worktrees belong to (its `git worktree` commands are serialized by openGit). */
  repo: Git;
  /** Where free worktrees wait (the state dir's `worktrees/`). */
  dir: string;
  /** Worktrees with fewer files than this are removed, not pooled (default REUSE_MIN_FILES). */
  minFiles?: number;
};

/**
 * Below this many files a fresh add costs no more than a reuse, which runs a few more git commands
 * (inspection, move, clean, checkout, detach): both about 40 ms at 400 files on this project's VM,
 * against 2.3 s and 70-100 ms at 5,000. In the 200-ticket bench (up to 200 files) pooling added
 * about 25 ms of CPU a pass for nothing.
 */
export const REUSE_MIN_FILES = 500;

/** How many entries the index at `file` holds (its header's count), 0 if it cannot be read. */
async function indexEntries(file: string): Promise<number> {
  try {
    const handle = await open(file, 'r');
    try {
      const header = Buffer.alloc(12);
      const { bytesRead } = await handle.read(header, 0, 12, 0);
      return bytesRead === 12 && header.toString('latin1', 0, 4) === 'DIRC' ? header.readUInt32BE(8) : 0;
    } finally {
      await handle.close();
    }
  } catch {
    return 0;
  }
}

/**
 * A worktree the pool handed out: its `.git` file and its admin dir's `commondir` (where git finds the
 * repository, its config and hooks) as git wrote them at the add; the commit the pool left it at; and
 * when the pool was done writing to it, as a file's ctime in ns (the file system's own clock).
 */
type Made = { gitlink: string; commondir: string; commit: string; readyAt: bigint; written: boolean };

/** What a reuse must undo, or why the worktree cannot be reused. */
type Inspection = { kind: 'tampered'; reason: string } | { kind: 'reusable'; rewrite: string[] };

/** State a worker could leave in a worktree's admin dir that a checkout would carry into the next use. */
const IN_PROGRESS = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'BISECT_LOG', 'rebase-merge', 'rebase-apply', 'sequencer', 'config.worktree', 'info/sparse-checkout'];

export function openWorktreePool({ repo, dir, minFiles = REUSE_MIN_FILES }: PoolDeps): WorktreePool {
  const free: Array<Made & { path: string }> = [];
  const inUse = new Map<string, Made>();
  /** Releases under way, by path. */
  const releasing = new Map<string, Promise<void>>();
  let next = 0;
  let closed = false;

  const clock = join(dir, '.pool-clock');
  /** `written`: the worktree has the files of its commit (not a reserved one without them). */
  const handOut = async (path: string, checkout: Checkout, { gitlink, commondir }: Pick<Made, 'gitlink' | 'commondir'>, written: boolean): Promise<void> => {
    // a new branch or a detached head at a full id is there: git is asked only for a name
    const known = checkout.kind === 'detached' ? checkout.commit : checkout.kind === 'new-branch' ? checkout.at : '';
    const commit = FULL_ID.test(known) ? known : (await openGit(path).raw(['rev-parse', 'HEAD'])).trim();
    await mkdir(dir, { recursive: true });
    await writeFile(clock, '');
    inUse.set(path, { gitlink, commondir, commit, readyAt: (await lstat(clock, { bigint: true })).ctimeNs, written });
  };
  const addFresh = async (path: string, checkout: Checkout, reason: string, files = true): Promise<Acquired> => {
    await addWorktree(repo, path, checkout, { files });
    const gitlink = await readFile(join(path, '.git'), 'utf8');
    await handOut(path, checkout, { gitlink, commondir: await readFile(join(adminDir(path, gitlink), 'commondir'), 'utf8') }, files || checkout.kind === 'new-branch');
    return { kind: 'added', reason };
  };

  /** acquire, or (`files` false) reserve when no pooled worktree is free. */
  const take = async (path: string, checkout: Checkout, files: boolean): Promise<Acquired> => {
    await releasing.get(path)?.catch(() => undefined);
    const pooled = free.pop();
    if (!pooled) return addFresh(path, checkout, 'no pooled worktree is free', files);
    if (existsSync(path)) await removeWorktree(repo, path);
    let at = pooled.path;
    try {
      const inspection = await inspect(pooled.path, pooled);
      if (inspection.kind === 'tampered') throw new Error(inspection.reason);
      await repo.raw(['worktree', 'move', pooled.path, path]);
      at = path;
      await resetTo(openGit(path), inspection.rewrite, checkout);
      await handOut(path, checkout, pooled, true);
      return { kind: 'reused' };
    } catch (error) {
      await removeWorktree(repo, at);
      return addFresh(path, checkout, `the pooled worktree was discarded: ${(error as Error).message.split('\n')[0]}`, files);
    }
  };

  return {
    acquire: (path, checkout) => take(path, checkout, true),
    reserve: (path, commit) => take(path, { kind: 'detached', commit }, false),

    async retarget(path, commit) {
      const made = inUse.get(path);
      if (!made) throw new Error(`${path} is not a worktree handed out by the pool`);
      if (made.written && made.commit === commit) return;
      const git = openGit(path);
      made.written = false; // until the checkout is through
      await git.raw(['checkout', '-q', '-f', '--detach', commit]);
      made.commit = FULL_ID.test(commit) ? commit : (await git.raw(['rev-parse', 'HEAD'])).trim();
      made.written = true;
    },

    release(path) {
      const pending = releasing.get(path);
      if (pending) return pending;
      const release = releaseNow(path).finally(() => releasing.delete(path));
      releasing.set(path, release);
      return release;
    },

    async close() {
      closed = true;
      await Promise.allSettled(releasing.values());
      for (const pooled of free.splice(0)) await dropWorktree(repo, pooled.path, adminDir(pooled.path, pooled.gitlink)).catch(() => undefined);
      await rm(clock, { force: true });
    },
  };

  async function releaseNow(path: string): Promise<void> {
    const made = inUse.get(path);
    inUse.delete(path);
    if (!made) return removeWorktree(repo, path);
    const admin = adminDir(path, made.gitlink);
    if (closed || (minFiles > 0 && await indexEntries(join(admin, 'index')) < minFiles)) return dropWorktree(repo, path, admin);
    const pooled = join(dir, `.pool-${next++}`);
    let at = path;
    try {
      // detached, so the ticket's branch is not held checked out while the worktree waits
      await openGit(path).raw(['checkout', '--detach', '-q']);
      await repo.raw(['worktree', 'move', path, pooled]);
      at = pooled;
      if (closed) throw new Error('the pool closed meanwhile');
      free.push({ ...made, path: pooled });
    } catch {
      await removeWorktree(repo, at);
    }
  }
}

/**
 * Makes a moved-in worktree what a fresh add of `checkout` gives, writing only what differs: the files
 * in `rewrite` are dropped from the index so the checkout writes them anew. The first clean removes
 * untracked files before the checkout reads them (an untracked `.gitattributes` would change how it
 * writes files); the last removes the dropped files the new commit does not have.
 */
async function resetTo(wt: Git, rewrite: string[], checkout: Checkout): Promise<void> {
  await wt.raw(['clean', '-ffdxq']);
  for (let i = 0; i < rewrite.length; i += 500) await wt.raw(['update-index', '--force-remove', '--', ...rewrite.slice(i, i + 500)]);
  switch (checkout.kind) {
    case 'new-branch': await wt.raw(['checkout', '-f', '-q', '-b', checkout.branch, checkout.at]); break;
    case 'branch': await wt.raw(['checkout', '-f', '-q', '--ignore-other-worktrees', checkout.branch]); break;
    case 'detached': await wt.raw(['checkout', '-f', '-q', '--detach', checkout.commit]); break;
  }
  if (rewrite.length > 0) await wt.raw(['clean', '-ffdxq']);
}

/** An index entry in `ls-files --debug -z`: its path, the ctime seconds it recorded, its flags (hex). */
const DEBUG_ENTRY = /([^\0]*)\0 {2}ctime: (\d+):\d+\n {2}mtime: [^\n]*\n {2}dev: [^\n]*\n {2}uid: [^\n]*\n {2}size: \d+\tflags: ([0-9a-f]+)\n/y;
/** Index flags under which git does not look at a file: assume-unchanged (CE_VALID) and skip-worktree. */
const NOT_LOOKED_AT = 0x8000 | 0x40000000;

/**
 * Whether the pooled worktree at `path` may be reused, and which files a reuse must rewrite. It is a
 * trust boundary: a worker may have tampered with its own worktree, and a replay must run on exactly
 * the merged commit. `checkout -f` rewrites a tracked file only when git's stat check says it changed.
 * That check compares ctime, which no one can set back (utimes sets only atime and mtime), so a file
 * changed in place with its mtime restored is caught; but git (as built here, without USE_NSEC)
 * compares whole seconds only, so a change made within the second the index recorded the file would
 * pass; and the index (in the admin dir) may itself have been rewritten. So every file whose ctime is
 * at or after the pool handed the worktree out, and every entry whose object is not the commit's the
 * pool left, is rewritten, whatever its stat data says.
 */
async function inspect(path: string, made: Made): Promise<Inspection> {
  const tampered = (reason: string): Inspection => ({ kind: 'tampered', reason });
  if (await readRegular(join(path, '.git')) !== made.gitlink) return tampered('its .git file is not the one git wrote');
  const admin = adminDir(path, made.gitlink);
  if (await readRegular(join(admin, 'commondir')) !== made.commondir) return tampered('its admin dir\'s commondir is not the one git wrote');
  for (const name of IN_PROGRESS) {
    if (await lstat(join(admin, name)).then(() => true, () => false)) return tampered(`its admin dir holds ${name}`);
  }
  const wt = openGit(path);
  const out = await wt.raw(['ls-files', '--debug', '-z']);
  const sinceSec = made.readyAt / 1_000_000_000n;
  const recent: string[] = [];
  let read = 0;
  DEBUG_ENTRY.lastIndex = 0;
  for (let m = DEBUG_ENTRY.exec(out); m; m = DEBUG_ENTRY.exec(out)) {
    read = DEBUG_ENTRY.lastIndex;
    const [, file = '', ctimeSec = '0', flags = '0'] = m;
    if ((parseInt(flags, 16) & NOT_LOOKED_AT) !== 0) return tampered(`an index entry is flagged assume-unchanged or skip-worktree: ${file}`);
    // only an entry recorded in the second of the hand-out or later can hide a change from git's check
    if (BigInt(ctimeSec) >= sinceSec) recent.push(file);
  }
  if (read !== out.length) return tampered('its index could not be read');
  const changed = await Promise.all(recent.map((file) => lstat(join(path, file), { bigint: true }).then((s) => s.ctimeNs >= made.readyAt, () => false)));
  const otherObjects = (await wt.raw(['diff-index', '--cached', '--name-only', '-z', '--no-renames', made.commit, '--'])).split('\0').filter(Boolean);
  return { kind: 'reusable', rewrite: [...new Set([...recent.filter((_, i) => changed[i]), ...otherObjects])] };
}

function adminDir(path: string, gitlink: string): string {
  return resolve(path, gitlink.replace(/^gitdir: /, '').trim());
}

/** A regular file's text; undefined for anything else (a symlink, a directory, nothing). */
async function readRegular(path: string): Promise<string | undefined> {
  return lstat(path).then((s) => s.isFile() ? readFile(path, 'utf8') : undefined, () => undefined);
}
