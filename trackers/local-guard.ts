// The loop's hold on the local tickets file while a run is live. The guarded tracker remembers the text
// it last wrote or accepted (the file as the loop found it when it started); on every call, and when
// the loop asks (`check`), a file that differs is a foreign write: the foreign version is kept under
// the state dir's foreign/ (never overwritten), the loop's version is put back atomically, and the
// change is reported ticket by ticket. Calls are serialized in-process, so the loop's own concurrent
// calls never see the file between a write and the new baseline. Other commands (the oracle) open the
// file unguarded through `openLocalTracker`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { openFileLooker } from './file-look.ts';
import { openLocalTracker } from './local.ts';
import type { LocalTrackerOptions } from './local.ts';
import { describeTicketsDiff, diffTickets } from './tickets-diff.ts';
import type { TicketsDiff } from './tickets-diff.ts';
import type { Tracker } from './types.ts';

/** A foreign write found and undone. */
export type ForeignTicketsWrite = {
  /** Which call or check found it. */
  when: string;
  path: string;
  /** Where the foreign version is kept (undefined: the file had been deleted). */
  kept: string | undefined;
  diff: TicketsDiff;
  /** One line per changed ticket (see describeTicketsDiff). */
  summary: string[];
};

export type GuardedLocalTracker = Tracker & {
  /** Compares the file with the loop's last text now; a foreign version is kept, reported and undone. */
  check(when: string): Promise<ForeignTicketsWrite | undefined>;
  /** How many foreign writes were undone so far. */
  undone(): number;
};

export type LocalGuardOptions = Omit<LocalTrackerOptions, 'watch'> & {
  /** Where foreign versions are kept (`<state>/foreign`). */
  foreignDir: string;
  onForeign: (write: ForeignTicketsWrite) => void;
};

/** Writes `content` to the first free `<base>-<n><ext>` of `dir` (never overwriting one) and returns its path. */
export function keepForeignCopy(dir: string, base: string, ext: string, content: string | Buffer): string {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; ; n++) {
    const path = join(dir, `${base}-${n}${ext}`);
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

async function readOrMissing(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Opens the tickets file guarded; the baseline is the file as it is now (or its first successful read). */
export async function openGuardedLocalTracker(options: LocalGuardOptions): Promise<GuardedLocalTracker> {
  const { path, foreignDir, onForeign } = options;
  let baseline = await readOrMissing(path).catch(() => undefined);
  /** The file's bytes when it holds `baseline` (checks compare bytes: no string per check). */
  let baselineBytes: Buffer | undefined = baseline === undefined ? undefined : Buffer.from(baseline);
  const setBaseline = (text: string) => {
    baseline = text;
    baselineBytes = Buffer.from(text);
  };
  const looker = openFileLooker();
  let undone = 0;
  let current = 'open';
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(() => {
      current = name;
      return fn();
    });
    chain = next.catch(() => undefined);
    return next;
  };

  /** Keeps and reports `found` (the file's text, undefined if deleted), then puts the loop's text back. */
  async function undo(found: string | undefined, ours: string): Promise<ForeignTicketsWrite> {
    const kept = found === undefined ? undefined : keepForeignCopy(foreignDir, 'tickets', '.json', found);
    await writeFileAtomic(path, ours);
    undone++;
    const diff = found === undefined ? { changes: [], problem: 'deleted' } : diffTickets(ours, found);
    const write: ForeignTicketsWrite = { when: current, path, kept, diff, summary: describeTicketsDiff(diff) };
    try {
      onForeign(write);
    } catch {
      // reporting must not undo the restore
    }
    return write;
  }

  async function checkNow(): Promise<ForeignTicketsWrite | undefined> {
    if (baseline === undefined || baselineBytes === undefined) {
      const text = await readOrMissing(path);
      if (text !== undefined) setBaseline(text);
      return undefined;
    }
    const look = looker.look(path, baselineBytes);
    if (look.kind === 'same') return undefined;
    if (look.kind === 'missing') return undo(undefined, baseline);
    const text = look.bytes.toString('utf8');
    if (text !== baseline) return undo(text, baseline);
    baselineBytes = look.bytes; // the same text in other bytes (say, a byte sequence that is not UTF-8)
    return undefined;
  }

  const inner = openLocalTracker({
    ...options,
    watch: {
      async read(text) {
        if (baseline === undefined) setBaseline(text);
        const ours = baseline ?? text;
        if (text === ours) return text;
        await undo(text, ours);
        return ours;
      },
      wrote(text) {
        setBaseline(text);
      },
    },
  });
  const guarded = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    serial(name, async () => {
      await checkNow();
      return fn(...args);
    });
  return {
    kind: 'local',
    readBatch: guarded('readBatch', inner.readBatch),
    moveTicket: guarded('moveTicket', inner.moveTicket),
    comment: guarded('comment', inner.comment),
    addLabel: guarded('addLabel', inner.addLabel),
    createTicket: guarded('createTicket', inner.createTicket),
    requestCount: () => 0,
    check: (when) => serial(when, checkNow),
    undone: () => undone,
  };
}
