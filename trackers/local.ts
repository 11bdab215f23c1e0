// The embedded local tracker: a JSON tickets file (DESIGN.md, "The local tracker file") read afresh on
// every call and rewritten atomically (temp file + rename) under a lock, so a person may edit it between
// runs and a killed loop never leaves it half-written.
import { readFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { Batch } from './batch.ts';
import { TrackerError, UsageError, formatZodIssues } from './errors.ts';
import { Comment, StateCategory, TicketKey } from './types.ts';
import type { NewTicket, StateCategory as State, Ticket, Tracker } from './types.ts';

const LocalTicket = z.looseObject({
  key: TicketKey,
  title: z.string(),
  description: z.string().default(''),
  state: StateCategory,
  labels: z.array(z.string()).default([]),
  blockedBy: z.array(TicketKey).default([]),
  comments: z.array(Comment).default([]),
});

const TicketsFile = z.looseObject({
  project: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an upper-case project key like DEMO'),
  tickets: z.array(LocalTicket),
});
export type TicketsFile = z.infer<typeof TicketsFile>;

/** The author name nightshift writes its comments under. */
export const AUTHOR = 'nightshift';

/** Reads and validates a tickets file; every problem names the file and the JSON path. */
export async function readTicketsFile(path: string): Promise<TicketsFile> {
  return parseTicketsText(path, await readTicketsText(path));
}

/** The file's text as it is on disk; a missing or unreadable file is a TrackerError saying what to do. */
export async function readTicketsText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TrackerError(
      'tickets-file-unreadable',
      code === 'ENOENT'
        ? `tickets file ${path} does not exist. Pass --tickets FILE pointing at a file like the one in DESIGN.md, or run \`nightshift demo --setup-only\` to see one.`
        : `cannot read tickets file ${path} (${code ?? String(error)}). Check its permissions.`,
      { cause: error },
    );
  }
}

/** Validates a tickets file's text; `path` only names it in the errors. */
export function parseTicketsText(path: string, text: string): TicketsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TrackerError(
      'tickets-file-malformed',
      `tickets file ${path} is not valid JSON: ${(error as Error).message}. Fix the file (nothing was changed).`,
      { cause: error },
    );
  }
  const parsed = TicketsFile.safeParse(json);
  if (!parsed.success) {
    throw new TrackerError(
      'tickets-file-malformed',
      `tickets file ${path} does not match the tickets format:\n${formatZodIssues(parsed.error.issues)}\nFix these fields (nothing was changed).`,
    );
  }
  const seen = new Set<string>();
  parsed.data.tickets.forEach((ticket, index) => {
    if (seen.has(ticket.key)) {
      throw new TrackerError('tickets-file-malformed', `tickets file ${path}: tickets.${index}.key: ${ticket.key} appears twice. Keys must be unique.`);
    }
    seen.add(ticket.key);
    if (!ticket.key.startsWith(`${parsed.data.project}-`)) {
      throw new TrackerError('tickets-file-malformed', `tickets file ${path}: tickets.${index}.key: ${ticket.key} is not in project ${parsed.data.project}.`);
    }
  });
  return parsed.data;
}

function toTicket(raw: TicketsFile['tickets'][number]): Ticket {
  return {
    key: raw.key,
    title: raw.title,
    description: raw.description,
    state: raw.state,
    labels: [...raw.labels],
    blockedBy: [...raw.blockedBy],
    comments: raw.comments.map((c) => ({ author: c.author, body: c.body, at: c.at })),
  };
}

export type LocalTrackerOptions = {
  /** Path of the tickets file. */
  path: string;
  /** Clock for comment timestamps. */
  now?: () => Date;
  /**
   * Sees every text read from the file (and may answer the text to use instead) and every text
   * written, under the file's lock: the loop's guard against foreign writes (trackers/local-guard.ts).
   */
  watch?: TicketsWatch;
};

export type TicketsWatch = {
  read(text: string): Promise<string>;
  wrote(text: string): void;
};

/** Opens the tickets file as a `Tracker`. Nothing is read until the first call. */
export function openLocalTracker(options: LocalTrackerOptions): Tracker {
  const { path } = options;
  const now = options.now ?? (() => new Date());
  // The last text read or written, parsed: the file is read afresh on every call, but parsed again only
  // when its text changed (at 1,000 tickets the loop spent 27 s of CPU parsing the same text). Never
  // changed in place: a change works on a copy.
  let parsed: { text: string; file: TicketsFile } | undefined;
  const read = async (): Promise<TicketsFile> => {
    const raw = await readTicketsText(path);
    const text = options.watch ? await options.watch.read(raw) : raw;
    if (parsed?.text !== text) parsed = { text, file: parseTicketsText(path, text) };
    return parsed.file;
  };

  /** Reads, changes and atomically rewrites the file under its lock; a failed change writes nothing. */
  async function update<T>(change: (file: TicketsFile) => T): Promise<T> {
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lockfile.lock(path, {
        stale: 15_000,
        retries: { retries: 200, factor: 1.2, minTimeout: 10, maxTimeout: 250 },
        realpath: false,
      });
    } catch (error) {
      throw new TrackerError('tickets-file-locked', `cannot lock tickets file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const file = structuredClone(await read());
      const result = change(file);
      const text = `${JSON.stringify(file, null, 2)}\n`;
      await writeFileAtomic(path, text);
      parsed = { text, file };
      options.watch?.wrote(text);
      return result;
    } finally {
      await release();
    }
  }

  function find(file: TicketsFile, key: string): TicketsFile['tickets'][number] {
    const ticket = file.tickets.find((t) => t.key === key);
    if (!ticket) throw new UsageError('ticket-missing', `ticket ${key} is not in tickets file ${path}.`);
    return ticket;
  }

  return {
    kind: 'local',
    async readBatch(batch: Batch) {
      const file = await read();
      const byKey = new Map(file.tickets.map((t) => [t.key, t]));
      const missing = batch.keys.filter((key) => !byKey.has(key));
      const named = new Set(batch.keys);
      const tickets = file.tickets
        .filter((t) => named.has(t.key) || t.labels.includes(batch.label))
        .map(toTicket);
      return { tickets, missing };
    },
    async moveTicket(key: string, state: State) {
      await update((file) => {
        find(file, key).state = state;
      });
    },
    async comment(key: string, body: string) {
      await update((file) => {
        const ticket = find(file, key);
        if (ticket.comments.at(-1)?.body === body) return;
        ticket.comments.push({ author: AUTHOR, body, at: now().toISOString() });
      });
    },
    async addLabel(key: string, label: string) {
      await update((file) => {
        const ticket = find(file, key);
        if (!ticket.labels.includes(label)) ticket.labels.push(label);
      });
    },
    async createTicket(input: NewTicket) {
      return update((file) => {
        for (const key of [...input.blocks, ...input.blockedBy]) find(file, key);
        const next = 1 + Math.max(0, ...file.tickets.map((t) => Number(t.key.slice(file.project.length + 1))));
        const created = {
          key: `${file.project}-${next}`,
          title: input.title,
          description: input.description,
          state: 'todo' as const,
          labels: [...input.labels],
          blockedBy: [...input.blockedBy],
          comments: [],
        };
        file.tickets.push(created);
        for (const key of input.blocks) {
          const blocked = find(file, key);
          if (!blocked.blockedBy.includes(created.key)) blocked.blockedBy.push(created.key);
        }
        return toTicket(created);
      });
    },
    requestCount: () => 0,
  };
}
