// Counts the loop's calls through the Tracker port (one per read or write), for the run's events and
// the benchmark; the adapter's own `requestCount()` (HTTP requests) passes through unchanged.
import type { Tracker } from '../../trackers/types.ts';

export type CountedTracker = { tracker: Tracker; calls: () => number };

export function countTrackerCalls(inner: Tracker): CountedTracker {
  let calls = 0;
  const count = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    calls++;
    return fn(...args);
  };
  const tracker: Tracker = {
    kind: inner.kind,
    readBatch: count((batch) => inner.readBatch(batch)),
    moveTicket: count((key, state) => inner.moveTicket(key, state)),
    comment: count((key, body) => inner.comment(key, body)),
    addLabel: count((key, label) => inner.addLabel(key, label)),
    createTicket: count((input) => inner.createTicket(input)),
    requestCount: () => inner.requestCount(),
    ...(inner.rateLimit ? { rateLimit: () => inner.rateLimit?.() } : {}),
  };
  return { tracker, calls: () => calls };
}
