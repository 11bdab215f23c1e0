// The target branch: finding a ticket's live merge (by its trailer on the first-parent line), the merge
// itself (a compare-and-swap on the ref, so a foreign move is never overwritten), reverts, and putting a
// reverted ticket's work back on its branch.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FULL_ID, TRAILER, branchOf, openGit, revParse } from './git.ts';
import type { Git } from './git.ts';
import { checkedOutAt, removeWorktree } from './worktrees.ts';
import { answerFromMemo, rememberAnswer, rememberMerge, rememberRevert, rememberScan, scanAt } from './target-memo.ts';
import type { Scan } from './target-memo.ts';

export const REVERTED_TRAILER = 'Nightshift-Reverted';

/**
 * The merge commit on the target that names `key` in its trailer, if the ticket is merged and that
 * merge was not reverted since (the newest of merge and revert decides). Only the target's first-parent
 * line counts: the loop's merges and reverts are made there, while a worker's own commits (which could
 * carry a forged trailer) only ever reach the target as a merge's second parent. One exception: GitHub's
 * merge queue merges the loop's own trailer commit (the head of the loop's branch `nightshift/<KEY>` or
 * `nightshift/revert/<KEY>-<pass>`, see loop/land/queue.ts) as the second parent of its "Merge pull
 * request #N from <owner>/<that branch>"; only such a commit's second parent is read, and only for the
 * key its branch names. `at` is where to read the target: the loop passes where it last put it (its
 * target guard), so a foreign move of the ref not yet undone (a worker forging a trailer) is never read
 * as a merge.
 */
export async function findMergeOnTarget(git: Git, target: string, key: string, at = `refs/heads/${target}`): Promise<string | undefined> {
  const memo = answerFromMemo(git, key, at);
  if (memo.kind === 'known') return memo.found;
  if (FULL_ID.test(at) && !scanAt(git, at) && !unscannable.has(git)) {
    const scan = await scanOnce(git, at);
    if (scan) {
      rememberScan(git, scan);
      const scanned = answerFromMemo(git, key, at);
      if (scanned.kind === 'known') return scanned.found;
    }
  }
  const found = await readMergeOnTarget(git, key, at);
  rememberAnswer(git, key, at, found);
  return found;
}

/** Repositories whose target a scan cannot answer for (a pull request's merge on its line): each key asks git alone. */
const unscannable = new WeakSet<Git>();
/** Scans under way, by repository and target head: questions asked together share one. */
const scanning = new WeakMap<Git, { at: string; scan: Promise<Scan | undefined> }>();

function scanOnce(git: Git, at: string): Promise<Scan | undefined> {
  const under = scanning.get(git);
  if (under?.at === at) return under.scan;
  const scan = scanTarget(git, at).catch(() => undefined).then((made) => {
    // a line a scan cannot read stays on the target: later heads are not scanned again
    if (!made) unscannable.add(git);
    return made;
  });
  scanning.set(git, { at, scan });
  return scan;
}

/**
 * Every ticket's answer at `at` in one `git log` (each question was one before, and each read the whole
 * first-parent line when the ticket was not merged): the commits any trailer line or merge-queue subject
 * matches, newest first, decided for each key exactly as readMergeOnTarget decides for one (a commit
 * counts for a key where its message has the line that key's grep matches, then its trailers decide).
 * Undefined (each key then asks git alone) where a subject is a pull request's merge (its second
 * parent's trailers would have to be read) or a record does not parse.
 */
async function scanTarget(git: Git, at: string): Promise<Scan | undefined> {
  const out = await git.raw([
    'log', at, '--first-parent', '-z', '--extended-regexp', `--grep=^(${TRAILER}|${REVERTED_TRAILER}): `,
    '--grep=^Merge pull request #[0-9]+ from [^ ]+/nightshift/', `--format=%H%x1f${TRAILERS}%x1f%s%x1f%B`,
  ]);
  const decided = new Map<string, string | undefined>();
  for (const record of out.split('\0')) {
    if (record.trim() === '') continue;
    const fields = record.split('\x1f');
    const [commit, merged, reverted, subject, body] = fields;
    if (fields.length !== 5 || !commit || !FULL_ID.test(commit) || body === undefined) return undefined;
    if (/^Merge pull request #\d+ from \S+\/nightshift\//.test(subject ?? '')) return undefined;
    const lines = new Set(body.split('\n'));
    const outs = new Set(trailerNames(reverted));
    for (const key of new Set([...outs, ...trailerNames(merged)])) {
      if (key === '') continue;
      if (decided.has(key)) continue;
      const pulled = new RegExp(`^Merge pull request #[0-9]+ from [^ ]+/nightshift/(revert/)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-[0-9]+)?$`);
      const counted = lines.has(`${TRAILER}: ${key}`) || lines.has(`${REVERTED_TRAILER}: ${key}`) || [...lines].some((line) => pulled.test(line));
      if (counted) decided.set(key, outs.has(key) ? undefined : commit);
    }
  }
  return { at, decided };
}

export async function readMergeOnTarget(git: Git, key: string, at: string): Promise<string | undefined> {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const queued = new RegExp(`^Merge pull request #\\d+ from \\S+/(nightshift/${escaped}|nightshift/revert/${escaped}-\\d+)$`);
  const out = await git.raw([
    'log', at, '--first-parent', '-z', '--extended-regexp', `--grep=^(${TRAILER}|${REVERTED_TRAILER}): ${escaped}$`,
    `--grep=^Merge pull request #[0-9]+ from [^ ]+/nightshift/(revert/)?${escaped}(-[0-9]+)?$`,
    `--format=%H%x1f${TRAILERS}%x1f%P%x1f%s`,
  ]);
  for (const record of out.split('\0')) {
    let [commit, merged, reverted] = record.split('\x1f');
    const [, , , parents, subject] = record.split('\x1f');
    if (!commit) continue;
    const second = (parents ?? '').split(' ')[1];
    if (queued.test(subject ?? '') && second) {
      // the queue's merge: the loop's trailer commit is its second parent
      [merged, reverted] = (await git.raw(['log', '-1', `--format=${TRAILERS}`, second])).trim().split('\x1f');
      commit = second;
    }
    if (trailerNames(reverted).includes(key)) return undefined;
    if (trailerNames(merged).includes(key)) return commit;
  }
  return undefined;
}

/** The two trailers' values, each trailer's separated by \x1e, the trailers by \x1f. */
const TRAILERS = `%(trailers:key=${TRAILER},valueonly,separator=%x1e)%x1f%(trailers:key=${REVERTED_TRAILER},valueonly,separator=%x1e)`;

/** The keys a trailer's values name: each value's first line (a value folded over more lines names what its first line does). */
function trailerNames(values: string | undefined): string[] {
  return (values ?? '').split('\x1e').map((value) => (value.split('\n')[0] ?? '').trim());
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
  const commit = (await repo.raw(['commit-tree', tree, '-p', previous, '-p', head, '-m', message])).trim();
  rememberMerge(repo, commit, previous, key, title, run);
  return { kind: 'commit', commit };
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
  const made = await makeRevertCommit(repo, merge, key, scratch, previous);
  if (made.kind !== 'reverted') return made;
  try {
    await repo.raw(['update-ref', '-m', `nightshift: revert ${key}`, `refs/heads/${target}`, made.commit, previous]);
    await syncCheckedOut(repo, target, previous, made.commit);
    return made;
  } catch (error) {
    return { kind: 'failed', message: (error as Error).message };
  }
}

/** The revert of `merge` (its first parent kept) as a commit on `at`, with the reverted trailer; no ref moves. */
export async function makeRevertCommit(repo: Git, merge: string, key: string, scratch: string, at: string): Promise<{ kind: 'reverted'; commit: string } | { kind: 'failed'; message: string }> {
  await removeWorktree(repo, scratch);
  await mkdir(dirname(scratch), { recursive: true });
  await repo.raw(['worktree', 'add', '--detach', scratch, at]);
  try {
    const wt = openGit(scratch);
    await wt.raw(['revert', '-m', '1', '--no-edit', merge]);
    await wt.raw(['commit', '--amend', '-m', revertMessage(key, merge)]);
    const commit = (await wt.raw(['rev-parse', 'HEAD'])).trim();
    rememberRevert(repo, commit, at, key);
    return { kind: 'reverted', commit };
  } catch (error) {
    return { kind: 'failed', message: (error as Error).message };
  } finally {
    await removeWorktree(repo, scratch);
  }
}

export function revertMessage(key: string, merge: string): string {
  return `Revert the merge of ${key}: its replay failed\n\nThis reverts commit ${merge}.\n\n${REVERTED_TRAILER}: ${key}\n`;
}

/** When a worktree has the target checked out, bring its files along with the moved ref (keeps local edits). */
export async function syncCheckedOut(repo: Git, target: string, previous: string, next: string): Promise<void> {
  for (const path of await checkedOutAt(repo, `refs/heads/${target}`)) {
    await openGit(path).raw(['read-tree', '-m', '-u', previous, next]).catch(() => undefined);
  }
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
