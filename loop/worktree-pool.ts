// Reused git worktrees. `git worktree add` checks out every file of the repository (it runs a hard
// reset inside: ~100 ms at 400 files, seconds in a large monorepo), and the loop made two per ticket
// (the pass's worktree, the replay's). A released worktree waits under `<state>/worktrees/.pool-<n>`
// (wiped with the rest of `worktrees/` after a crash; a leading dot is never a ticket key); the next
// acquire moves it into place (a rename) and checks out what a fresh add would, paying only for the
// diff. A pooled worktree that may have been tampered with is removed and a fresh one added instead.
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addWorktree, openGit, removeWorktree } from './git.ts';
import type { Checkout, Git } from './git.ts';

/** How `acquire` got its worktree: a pooled one reused, or a fresh add (and why no pooled one was reused). */
export type Acquired = { kind: 'reused' } | { kind: 'added'; reason: string };

export type WorktreePool = {
  /** A worktree at `path` exactly as a fresh `git worktree add` of `checkout` would make it. */
  acquire(path: string, checkout: Checkout): Promise<Acquired>;
  /** Detaches the worktree at `path` (its branch is free again) and keeps it for reuse, or removes it. */
  release(path: string): Promise<void>;
  /** Removes every pooled worktree; later releases remove theirs. */
  close(): Promise<void>;
};

export type PoolDeps = {
  /** The repository the worktrees belong to (its `git worktree` commands are serialized by openGit). */
  repo: Git;
  /** Where free worktrees wait (the state dir's `worktrees/`). */
  dir: string;
};

/**
 * A worktree the pool handed out: the `.git` file and the admin dir's `commondir` (where git finds the
 * repository, its config and hooks) as git wrote them at the add, compared before a reuse; the commit the pool left it at, and when the pool was done writing to it, as a file's ctime in ns (the
 * file system's own clock, which may lag the process's by a tick): a file changed since is suspect.
 */
type Made = { gitlink: string; commondir: string; commit: string; readyAt: bigint };

/** State a worker could leave in a worktree's admin dir that a checkout would carry into the next use. */
const IN_PROGRESS = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'BISECT_LOG', 'rebase-merge', 'rebase-apply', 'sequencer', 'config.worktree', 'info/sparse-checkout'];

export function openWorktreePool({ repo, dir }: PoolDeps): WorktreePool {
  const free: Array<Made & { path: string }> = [];
  const inUse = new Map<string, Made>();
  let next = 0;
  let closed = false;

  const clock = join(dir, '.pool-clock');
  const handOut = async (path: string, { gitlink, commondir }: Pick<Made, 'gitlink' | 'commondir'>): Promise<void> => {
    const commit = (await openGit(path).raw(['rev-parse', 'HEAD'])).trim();
    await mkdir(dir, { recursive: true });
    await writeFile(clock, '');
    inUse.set(path, { gitlink, commondir, commit, readyAt: (await lstat(clock, { bigint: true })).ctimeNs });
  };
  const addFresh = async (path: string, checkout: Checkout, reason: string): Promise<Acquired> => {
    await addWorktree(repo, path, checkout);
    const gitlink = await readFile(join(path, '.git'), 'utf8');
    await handOut(path, { gitlink, commondir: await readFile(join(adminDir(path, gitlink), 'commondir'), 'utf8') });
    return { kind: 'added', reason };
  };

  return {
    async acquire(path, checkout) {
      const pooled = free.pop();
      if (!pooled) return addFresh(path, checkout, 'no pooled worktree is free');
      await removeWorktree(repo, path);
      let at = pooled.path;
      try {
        const problem = await tamperedWith(pooled.path, pooled);
        if (problem) throw new Error(problem);
        await repo.raw(['worktree', 'move', pooled.path, path]);
        at = path;
        await resetTo(path, pooled, checkout);
        await handOut(path, pooled);
        return { kind: 'reused' };
      } catch (error) {
        await removeWorktree(repo, at);
        return addFresh(path, checkout, `the pooled worktree was discarded: ${(error as Error).message.split('\n')[0]}`);
      }
    },

    async release(path) {
      const made = inUse.get(path);
      inUse.delete(path);
      if (!made || closed) return removeWorktree(repo, path);
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
    },

    async close() {
      closed = true;
      for (const pooled of free.splice(0)) await removeWorktree(repo, pooled.path).catch(() => undefined);
      await rm(clock, { force: true });
    },
  };
}

/**
 * Makes a moved-in worktree what a fresh add of `checkout` gives, writing only what differs. `checkout -f`
 * rewrites a tracked file only when git's stat check says it changed. That check compares ctime, which
 * no one can set back (utimes sets only atime and mtime), so a file changed in place with its mtime
 * restored is caught; but git (as built here, without USE_NSEC) compares whole seconds only, so a change
 * made within the second the index last recorded the file would pass, and the index itself (in the
 * admin dir) may have been rewritten. So the index is first reset to
 * the commit the pool left (an entry whose object was changed loses its stat data and is compared by
 * content), and every file changed since the pool handed the worktree out (its ctime says so, to the
 * file system's precision) is dropped from the index, so the checkout writes it anew. The first clean removes
 * untracked files before the checkout reads them (an untracked `.gitattributes` would change how it
 * writes files); the last removes what the switch left untracked.
 */
async function resetTo(path: string, made: Made, checkout: Checkout): Promise<void> {
  const wt = openGit(path);
  await wt.raw(['clean', '-ffdxq']);
  await wt.raw(['read-tree', '-m', made.commit]);
  const changed = await changedSince(wt, path, made.readyAt);
  for (let i = 0; i < changed.length; i += 500) await wt.raw(['update-index', '--force-remove', '--', ...changed.slice(i, i + 500)]);
  switch (checkout.kind) {
    case 'new-branch': await wt.raw(['checkout', '-f', '-q', '-b', checkout.branch, checkout.at]); break;
    case 'branch': await wt.raw(['checkout', '-f', '-q', '--ignore-other-worktrees', checkout.branch]); break;
    case 'detached': await wt.raw(['checkout', '-f', '-q', '--detach', checkout.commit]); break;
  }
  await wt.raw(['clean', '-ffdxq']);
}

/** An index entry in `ls-files --debug -z`: its path and the ctime seconds it recorded. */
const DEBUG_ENTRY = /([^\0]*)\0 {2}ctime: (\d+):\d+\n(?: {2}[^\n]*\n){4}/y;

/**
 * Tracked files changed at or after `since` (a ctime in ns). Only entries whose recorded ctime is as
 * late can have fooled git's whole-second check, so only those are looked at.
 */
async function changedSince(wt: Git, path: string, since: bigint): Promise<string[]> {
  const out = await wt.raw(['ls-files', '--debug', '-z']);
  const sinceSec = since / 1_000_000_000n;
  const candidates: string[] = [];
  DEBUG_ENTRY.lastIndex = 0;
  for (let m = DEBUG_ENTRY.exec(out); m; m = DEBUG_ENTRY.exec(out)) {
    if (BigInt(m[2] ?? 0) >= sinceSec) candidates.push(m[1] ?? '');
  }
  const changed = await Promise.all(candidates.map((file) => lstat(join(path, file), { bigint: true }).then((s) => s.ctimeNs >= since, () => false)));
  return candidates.filter((_, i) => changed[i]);
}

/**
 * Why the pooled worktree at `path` must not be reused (undefined: it may). A worktree is a trust
 * boundary: a worker may have tampered with its own, and a replay must run on exactly the merged commit.
 */
async function tamperedWith(path: string, { gitlink, commondir }: Made): Promise<string | undefined> {
  if (await readRegular(join(path, '.git')) !== gitlink) return 'its .git file is not the one git wrote';
  const admin = adminDir(path, gitlink);
  if (await readRegular(join(admin, 'commondir')) !== commondir) return 'its admin dir\'s commondir is not the one git wrote';
  for (const name of IN_PROGRESS) {
    if (await lstat(join(admin, name)).then(() => true, () => false)) return `its admin dir holds ${name}`;
  }
  // `ls-files -v` tags assume-unchanged entries in lower case and skip-worktree ones `S`: git would not
  // look at those files, so a checkout would leave whatever a worker put there
  const flagged = (await openGit(path).raw(['ls-files', '-v'])).split('\n').find((line) => /^[a-zS]/.test(line));
  return flagged === undefined ? undefined : `an index entry is flagged assume-unchanged or skip-worktree: ${flagged}`;
}

function adminDir(path: string, gitlink: string): string {
  return resolve(path, gitlink.replace(/^gitdir: /, '').trim());
}

/** A regular file's text; undefined for anything else (a symlink, a directory, nothing). */
async function readRegular(path: string): Promise<string | undefined> {
  return lstat(path).then((s) => s.isFile() ? readFile(path, 'utf8') : undefined, () => undefined);
}
