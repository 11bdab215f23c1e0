// What a foreign write changed in a local tickets file, ticket by ticket: state moves, comments added or
// removed, labels added or removed, other fields touched, tickets added or removed. Lenient on purpose:
// a foreign version need not be valid, and its summary must still say what it is.
export type TicketChange = {
  key: string;
  change: 'added' | 'removed' | 'changed';
  state?: { from: string | undefined; to: string | undefined };
  labelsAdded: string[];
  labelsRemoved: string[];
  /** The first line of each comment added (the full text is in the kept copy). */
  commentsAdded: string[];
  commentsRemoved: number;
  /** Other fields whose value changed (title, description, blockedBy, ...). */
  fields: string[];
};

export type TicketsDiff = { changes: TicketChange[]; problem?: string };

type Raw = Record<string, unknown>;

function ticketsOf(text: string): { tickets: Map<string, Raw>; problem?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { tickets: new Map(), problem: `not valid JSON (${(error as Error).message})` };
  }
  const list = (json as { tickets?: unknown } | null)?.tickets;
  if (!Array.isArray(list)) return { tickets: new Map(), problem: 'no "tickets" list' };
  const tickets = new Map<string, Raw>();
  for (const t of list) if (t && typeof t === 'object' && typeof (t as Raw).key === 'string') tickets.set((t as Raw).key as string, t as Raw);
  return { tickets };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : []);
const comments = (v: unknown): string[] => (Array.isArray(v) ? v.map((c) => JSON.stringify(c)) : []);

/** Items of `b` not matched one for one in `a` (a multiset difference). */
function minus(b: string[], a: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of a) left.set(x, (left.get(x) ?? 0) + 1);
  return b.filter((x) => {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    return n === 0;
  });
}

function firstLine(comment: string): string {
  const body = (JSON.parse(comment) as { body?: unknown } | null)?.body;
  return (typeof body === 'string' ? body : comment).split('\n')[0]?.slice(0, 120) ?? '';
}

/** Per-ticket changes from the loop's text `ours` to the foreign text `theirs`. */
export function diffTickets(ours: string, theirs: string): TicketsDiff {
  const before = ticketsOf(ours).tickets;
  const after = ticketsOf(theirs);
  const changes: TicketChange[] = [];
  const empty = { labelsAdded: [], labelsRemoved: [], commentsAdded: [], commentsRemoved: 0, fields: [] };
  for (const [key, old] of before) {
    const now = after.tickets.get(key);
    if (!now) {
      if (!after.problem) changes.push({ key, change: 'removed', ...empty });
      continue;
    }
    const added = minus(comments(now.comments), comments(old.comments));
    const change: TicketChange = {
      key, change: 'changed',
      ...(old.state !== now.state ? { state: { from: old.state as string | undefined, to: now.state as string | undefined } } : {}),
      labelsAdded: minus(strings(now.labels), strings(old.labels)),
      labelsRemoved: minus(strings(old.labels), strings(now.labels)),
      commentsAdded: added.map(firstLine),
      commentsRemoved: minus(comments(old.comments), comments(now.comments)).length,
      fields: [...new Set([...Object.keys(old), ...Object.keys(now)])]
        .filter((f) => !['key', 'state', 'labels', 'comments'].includes(f) && JSON.stringify(old[f]) !== JSON.stringify(now[f])),
    };
    const touched = change.state || change.labelsAdded.length || change.labelsRemoved.length || change.commentsAdded.length || change.commentsRemoved || change.fields.length;
    if (touched) changes.push(change);
  }
  for (const [key, t] of after.tickets) {
    if (!before.has(key)) changes.push({ key, change: 'added', state: { from: undefined, to: t.state as string | undefined }, ...empty, labelsAdded: strings(t.labels) });
  }
  return after.problem ? { changes, problem: after.problem } : { changes };
}

/** One line per ticket, e.g. `APP-1: todo -> done, +label human-gated, +1 comment ("receipt")`. */
export function describeTicketsDiff(diff: TicketsDiff): string[] {
  const lines = diff.problem ? [`the foreign version is ${diff.problem}`] : [];
  for (const c of diff.changes) {
    if (c.change === 'removed') {
      lines.push(`${c.key}: removed`);
      continue;
    }
    const parts = [
      ...(c.change === 'added' ? [`added as ${c.state?.to ?? '?'}`] : c.state ? [`${c.state.from ?? '?'} -> ${c.state.to ?? '?'}`] : []),
      ...c.labelsAdded.map((l) => `+label ${l}`),
      ...c.labelsRemoved.map((l) => `-label ${l}`),
      ...(c.commentsAdded.length ? [`+${c.commentsAdded.length} comment(s) (${c.commentsAdded.map((b) => JSON.stringify(b)).join(', ')})`] : []),
      ...(c.commentsRemoved ? [`-${c.commentsRemoved} comment(s)`] : []),
      ...(c.fields.length ? [`changed ${c.fields.join(', ')}`] : []),
    ];
    lines.push(`${c.key}: ${parts.join(', ')}`);
  }
  return lines;
}
