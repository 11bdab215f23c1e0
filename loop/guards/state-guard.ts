// The state dir's files that only the loop writes while it runs: events.jsonl (append-only: the history
// a restarted loop counts passes, cost and notes from) and whole files such as run.json and loop.pid.
// Workers write their journal and result files there legitimately; those are not watched. The guard
// keeps the loop's own bytes; a file that differs at a check is a foreign write: the foreign version is
// kept under foreign/ and the loop's is put back atomically.
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { growingBytes, openFileLooker } from '../../trackers/file-look.ts';
import type { GrowingBytes } from '../../trackers/file-look.ts';
import { keepForeignCopy } from '../../trackers/local-guard.ts';

export type ForeignStateWrite = {
  when: string;
  /** The file's name in the state dir. */
  file: string;
  /** `appended`: bytes added (at the end, or before the loop's own later appends); else rewritten or deleted. */
  change: 'appended' | 'rewritten' | 'deleted';
  /** Where the foreign version is kept (undefined when the file was deleted). */
  kept: string | undefined;
};

export type StateGuard = {
  /** The loop appended `text` to `path` (an append-only file). */
  appended(path: string, text: string): void;
  /** The loop (re)wrote the whole of `path`: what is there now is the loop's. */
  owns(path: string): void;
  /** Compares every owned file with the loop's bytes; foreign versions are kept and undone. */
  check(when: string): ForeignStateWrite[];
};

type Owned = { bytes: GrowingBytes; append: boolean };

function readOrMissing(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether `now` is `ours` with bytes added at one place (the loop may have appended after them). */
function onlyAdded(ours: Buffer, now: Buffer): boolean {
  if (now.length <= ours.length) return false;
  let same = 0;
  while (same < ours.length && ours[same] === now[same]) same++;
  return now.subarray(now.length - (ours.length - same)).equals(ours.subarray(same));
}

/**
 * `appendOnly` files are owned from now on with what they hold now (missing: empty). A check reads each
 * file into one reused buffer and compares it with the loop's bytes, kept in one growing buffer: the
 * events log is read whole at every check, but nothing per check is allocated for it.
 */
export function openStateGuard(root: string, appendOnly: string[]): StateGuard {
  const owned = new Map<string, Owned>();
  for (const path of appendOnly) owned.set(path, { bytes: growingBytes(readOrMissing(path) ?? Buffer.alloc(0)), append: true });
  const foreignDir = join(root, 'foreign');
  const looker = openFileLooker();
  return {
    appended(path, text) {
      owned.get(path)?.bytes.append(Buffer.from(text));
    },
    owns(path) {
      const now = readOrMissing(path);
      if (now) owned.set(path, { bytes: growingBytes(now), append: false });
    },
    check(when) {
      const found: ForeignStateWrite[] = [];
      for (const [path, entry] of owned) {
        const ours = entry.bytes.view();
        const look = looker.look(path, ours);
        if (look.kind === 'same' || (look.kind === 'missing' && ours.length === 0)) continue;
        const now = look.kind === 'different' ? look.bytes : undefined;
        const change = now === undefined ? 'deleted' : entry.append && onlyAdded(ours, now) ? 'appended' : 'rewritten';
        const name = basename(path);
        const ext = extname(name);
        const kept = now === undefined ? undefined : keepForeignCopy(foreignDir, name.slice(0, name.length - ext.length), ext, now);
        writeFileAtomic.sync(path, ours);
        found.push({ when, file: name, change, kept });
      }
      return found;
    },
  };
}
