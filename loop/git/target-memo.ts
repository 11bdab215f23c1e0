// What findMergeOnTarget answered, kept so a later question about the same ticket needs no `git log`
// when the target has only moved by commits this process wrote itself. Each pass asks twice (when it is
// prepared, and again when its agent ends, the target moved by other tickets' merges in between). The
// first question reads the answers of every ticket at once (a scan), so later tickets ask no git either.
import { FULL_ID } from './git.ts';
import type { Git } from './git.ts';

/** A commit the loop wrote for the target: its first parent, and the key its trailer names as merged or reverted. */
type Written = { parent: string; merged?: string; reverted?: string };

/** Keys and run ids whose trailer line git reads back exactly as written (nothing a grep or the trailer parser could split). */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** How far back a remembered answer is looked for, in commits the loop wrote. */
const MAX_WALK = 1_000;

const written = new WeakMap<Git, Map<string, Written>>();
const answers = new WeakMap<Git, Map<string, { at: string; found: string | undefined }>>();

/**
 * Every ticket's answer at `at` from one read of the target's whole first-parent line (target.ts
 * scanTarget): `decided` holds the keys some trailer decides; any other plain key is not merged there.
 */
export type Scan = { at: string; decided: Map<string, string | undefined> };
const scans = new WeakMap<Git, Scan>();

/** Keeps the newest scan of the target (one per repository). */
export function rememberScan(git: Git, scan: Scan): void {
  if (FULL_ID.test(scan.at)) scans.set(git, scan);
}

/** The kept scan, if it was made at `at`. */
export function scanAt(git: Git, at: string): Scan | undefined {
  const scan = scans.get(git);
  return scan?.at === at ? scan : undefined;
}

function mapOf<V>(maps: WeakMap<Git, Map<string, V>>, git: Git): Map<string, V> {
  let map = maps.get(git);
  if (!map) {
    map = new Map();
    maps.set(git, map);
  }
  return map;
}

/**
 * Records a merge commit the loop made (makeMergeCommit's message: a one-line subject, then the trailer
 * paragraph naming `key` and the run). Only where git reads that message back as written: the title
 * on one line (so no line of it can match a grep or start a trailer paragraph), a plain key and run.
 */
export function rememberMerge(git: Git, commit: string, parent: string, key: string, title: string, run: string): void {
  if (FULL_ID.test(commit) && FULL_ID.test(parent) && PLAIN.test(key) && PLAIN.test(run) && !/[\r\n]/.test(title)) {
    mapOf(written, git).set(commit, { parent, merged: key });
  }
}

/** Records a revert commit the loop made (revertMessage's: its trailer names only `key` as reverted) on `parent`. */
export function rememberRevert(git: Git, commit: string, parent: string, key: string): void {
  if (FULL_ID.test(commit) && FULL_ID.test(parent) && PLAIN.test(key)) mapOf(written, git).set(commit, { parent, reverted: key });
}

/** Records findMergeOnTarget's answer for `key` on the target at `at` (a full commit id). */
export function rememberAnswer(git: Git, key: string, at: string, found: string | undefined): void {
  if (FULL_ID.test(at)) mapOf(answers, git).set(key, { at, found });
}

/**
 * findMergeOnTarget's answer for `key` at `at`, where it follows from a remembered one: walking `at`'s
 * first-parent line back to the commit that answer was for, every commit on the way is one the loop
 * wrote (a content id: its message and parent are what was recorded). The newest of them that names the
 * key decides, as in the log; none does: the remembered answer stands. `miss` where git must be asked.
 */
export function answerFromMemo(git: Git, key: string, at: string): { kind: 'known'; found: string | undefined } | { kind: 'miss' } {
  const known = answers.get(git)?.get(key);
  const kept = scans.get(git);
  const scan = kept && PLAIN.test(key) ? kept : undefined;
  const ours = written.get(git);
  if ((!known && !scan) || !FULL_ID.test(at)) return { kind: 'miss' };
  let commit = at;
  for (let step = 0; step <= MAX_WALK; step++) {
    if (commit === known?.at) return { kind: 'known', found: known.found };
    if (commit === scan?.at) return { kind: 'known', found: scan.decided.get(key) };
    const made = ours?.get(commit);
    if (!made) return { kind: 'miss' };
    if (made.reverted === key) return { kind: 'known', found: undefined };
    if (made.merged === key) return { kind: 'known', found: commit };
    commit = made.parent;
  }
  return { kind: 'miss' };
}
