// One snapshot of the run's batch, kept current by a single reader: the loop's reads of its batch are
// answered from it, refreshed by a delta read (the tickets updated since the last one, less an overlap,
// then only those read in full) instead of a full read each time. A full read stays the safety net: the
// first read, and then one every `reconcileMs` (default hourly). An adapter without `changedSince` and
// `readTickets` is read in full every time, as before. The oracle never reads through this.
import type { Batch } from '../../trackers/batch.ts';
import type { BatchRead, Change, Ticket, Tracker } from '../../trackers/types.ts';

export type SnapshotOptions = {
  /** How far before the last seen update a delta read starts again (clocks and commit lag; default 2 min). */
  overlapMs?: number;
  /** A full read of the batch at least this often (default an hour). */
  reconcileMs?: number;
  now?: () => number;
};

export type Snapshot = {
  batch: Batch;
  /** The tracker with reads of the run's batch answered from the snapshot (everything else passes through). */
  tracker: Tracker;
  /** Brings the snapshot up to date; the keys whose tickets changed (every key after a full read). */
  refresh(): Promise<string[]>;
  /** The batch as last read, without reading (undefined before the first read). */
  current(): BatchRead | undefined;
  /** Full and delta reads made so far. */
  reads(): { full: number; delta: number };
};

export const DEFAULT_RECONCILE_MS = 3_600_000;
export const DEFAULT_OVERLAP_MS = 120_000;
const EPOCH = '1970-01-01T00:00:00.000Z';

export function openSnapshot(inner: Tracker, batch: Batch, options: SnapshotOptions = {}): Snapshot {
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const reconcileMs = options.reconcileMs ?? DEFAULT_RECONCILE_MS;
  const now = options.now ?? Date.now;
  const changedSince = inner.changedSince?.bind(inner);
  const readTickets = inner.readTickets?.bind(inner);
  const tickets = new Map<string, Ticket>();
  /** The tracker's update time of every ticket as last read: a change seen again (the overlap) is not read twice. */
  const stamps = new Map<string, string>();
  let missing: string[] = [];
  let watermark: string | undefined;
  let lastFull = Number.NEGATIVE_INFINITY;
  let current: BatchRead | undefined;
  let inFlight: Promise<string[]> | undefined;
  const counts = { full: 0, delta: 0 };

  const sameBatch = (b: Batch) => b === batch || (b.spec === batch.spec && b.label === batch.label);
  const since = (): string => new Date(Date.parse(watermark ?? EPOCH) - overlapMs).toISOString();
  function note(changes: Array<{ key: string; updatedAt: string }>): void {
    for (const { updatedAt } of changes) if (watermark === undefined || updatedAt > watermark) watermark = updatedAt;
  }
  function publish(): void {
    const order = new Map((current?.tickets ?? []).map((t, i) => [t.key, i]));
    const list = [...tickets.values()].sort((a, b) => (order.get(a.key) ?? Infinity) - (order.get(b.key) ?? Infinity));
    current = { tickets: list, missing: [...missing] };
  }

  async function full(): Promise<string[]> {
    counts.full++;
    // the next delta read starts from before this one (less the overlap, which covers clocks that
    // differ by less than it): a change made during the full read is seen again, and read once more
    const started = new Date(now()).toISOString();
    const read = await inner.readBatch(batch);
    tickets.clear();
    stamps.clear();
    for (const t of read.tickets) tickets.set(t.key, t);
    watermark = started;
    missing = read.missing;
    lastFull = now();
    current = read;
    return read.tickets.map((t) => t.key);
  }

  async function delta(): Promise<string[]> {
    if (!changedSince || !readTickets) return full();
    counts.delta++;
    const changes = await changedSince(batch, since());
    // a relation's change names both its ends, of any issue: only the batch's are read again; each kind of change is stamped apart
    const stamp = (c: Change) => (c.via ? `${c.via}:${c.key}` : c.key);
    const fresh = changes.filter((c) => stamps.get(stamp(c)) !== c.updatedAt && (!c.via || tickets.has(c.key) || batch.keys.includes(c.key)));
    if (fresh.length === 0) return [];
    const read = await readTickets([...new Set(fresh.map((c) => c.key))]);
    for (const t of read) tickets.set(t.key, t);
    for (const c of fresh) stamps.set(stamp(c), c.updatedAt);
    note(fresh);
    missing = missing.filter((key) => !tickets.has(key));
    publish();
    return read.map((t) => t.key);
  }

  function refresh(): Promise<string[]> {
    // one reader: callers meanwhile share the read under way
    inFlight ??= (current === undefined || now() - lastFull >= reconcileMs ? full() : delta()).finally(() => { inFlight = undefined; });
    return inFlight;
  }

  const tracker: Tracker = {
    ...inner,
    kind: inner.kind,
    async readBatch(b: Batch): Promise<BatchRead> {
      if (!sameBatch(b)) return inner.readBatch(b);
      await refresh();
      return current as BatchRead;
    },
    moveTicket: (key, state) => inner.moveTicket(key, state),
    comment: (key, body) => inner.comment(key, body),
    addLabel: (key, label) => inner.addLabel(key, label),
    createTicket: (input) => inner.createTicket(input),
    requestCount: () => inner.requestCount(),
  };
  return { batch, tracker, refresh, current: () => current, reads: () => ({ ...counts }) };
}
