// The loop's git (git itself, through the subprocess module): a repository opened with a clean
// environment and the loop's own identity, waits on git's lock files, and the names of ticket branches
// and trailers. Worktrees are in worktrees.ts, the target branch's merges and reverts in target.ts.
import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
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
const PASSED_TO_GIT = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK'];

/** `git:<subcommand>` for the CPU counted per kind of command (options before the subcommand skipped). */
export function gitKind(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-C' || arg === '-c') i++;
    else if (!arg.startsWith('-')) return `git:${arg}`;
  }
  return 'git';
}

/** A repository (or worktree) to run git in: `raw` resolves with stdout, or rejects with git's message. */
export type Git = { raw(args: readonly string[]): Promise<string> };

/** Whether `older` is in `newer`'s history (false too when either is not a commit of the repository). */
export async function isAncestor(repo: Git, older: string, newer: string): Promise<boolean> {
  return repo.raw(['merge-base', '--is-ancestor', older, newer]).then(() => true, () => false);
}

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
      const result = await captureProcess('git', args, { cwd: dir, env: gitEnv, kind: gitKind(args) });
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
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const next = worktreeChain.then(work, work);
    worktreeChain = next.catch(() => undefined);
    return next;
  };
  const git: Git = {
    raw(args) {
      if (args[0] !== 'worktree') return run(args);
      if (args[1] === 'list') return run(args).catch(() => inTurn(() => run(args)));
      return inTurn(() => run(args));
    },
  };
  opened.set(git, dir);
  turns.set(git, inTurn);
  return git;
}

/** Each Git's turn among its `git worktree` commands. */
const turns = new WeakMap<Git, <T>(work: () => Promise<T>) => Promise<T>>();

/** Runs `work` (a change to git's worktree admin files made without git) in its turn among `git`'s worktree commands. */
export function inWorktreeTurn<T>(git: Git, work: () => Promise<T>): Promise<T> {
  const turn = turns.get(git);
  return turn ? turn(work) : work();
}

/** The directory each Git of openGit runs in, for the branch reads that need no git process. */
const opened = new WeakMap<Git, string>();
/** Each directory's common git dir (undefined: not found, ask git). */
const commonDirs = new Map<string, Promise<string | undefined>>();

/** The common git dir of a repository's top or a linked worktree's top, read from `.git` (no git process). */
async function commonDirOf(dir: string): Promise<string | undefined> {
  const dotGit = join(dir, '.git');
  try {
    if ((await stat(dotGit)).isDirectory()) return dotGit;
    const admin = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'))?.[1];
    if (!admin) return undefined;
    const adminDir = resolve(dir, admin);
    const common = (await readFile(join(adminDir, 'commondir'), 'utf8')).trim();
    return isAbsolute(common) ? common : resolve(adminDir, common);
  } catch {
    return undefined;
  }
}

/** The common git dir of the repository `git` was opened at (its top or a linked worktree's), read without git; undefined: ask git. */
export function commonDirOfGit(git: Git): Promise<string | undefined> {
  const dir = opened.get(git);
  if (dir === undefined) return Promise.resolve(undefined);
  let common = commonDirs.get(dir);
  if (!common) {
    common = commonDirOf(dir);
    commonDirs.set(dir, common);
  }
  return common;
}

/** A full object id (SHA-1 or SHA-256): a commit named so needs no rev-parse. */
export const FULL_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?\n?$/;

/**
 * A branch's commit read from its loose ref file, as git itself reads it (git writes it through a lock
 * file and a rename, so a read sees the old id or the new one); with no loose file, from packed-refs,
 * where git looks next (`pack-refs` writes that file before it deletes a loose one), `absent` when it is
 * in neither. Undefined where git must be asked: a symbolic ref, a reftable repository (its refs/heads
 * is a file), a directory git was not opened at the top of, anything else unreadable. Git writes only
 * commits to refs/heads/, so the id is what `rev-parse <ref>^{commit}` prints. About five reads a
 * ticket (a new ticket's branch not there yet among them), each a git process before.
 */
async function looseBranch(git: Git, ref: string): Promise<string | 'absent' | undefined> {
  const dir = opened.get(git);
  if (dir === undefined || !ref.startsWith('refs/heads/') || ref.includes('..') || /[\s~^:?*[\\]/.test(ref)) return undefined;
  const root = await commonDirOfGit(git);
  if (root === undefined) return undefined;
  try {
    const text = await readFile(join(root, ref), 'utf8');
    return OBJECT_ID.test(text) ? text.trim() : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  try {
    if (!(await stat(join(root, 'refs', 'heads'))).isDirectory()) return undefined;
    const packed = await readFile(join(root, 'packed-refs'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`) && l.length === l.indexOf(' ') + 1 + ref.length);
    if (line === undefined) return 'absent';
    const id = line.slice(0, line.indexOf(' '));
    return OBJECT_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
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
  const loose = await looseBranch(git, ref);
  if (loose === 'absent') return undefined;
  if (loose) return loose;
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
