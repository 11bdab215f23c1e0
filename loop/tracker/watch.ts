// Continuous reconciliation: the snapshot is brought up to date on a timer (a delta read: cheap), so a
// person's change is seen within one interval. A running ticket canceled or moved to done in the
// tracker has its pass stopped (`canceled-by-tracker`, nothing merged); any change wakes the loop, which
// then plans on the new snapshot (a ticket labelled into the batch is scheduled).
import type { BatchRead, RateLimitState, Ticket } from '../../trackers/types.ts';
import type { Snapshot } from './snapshot.ts';

export type TrackerWatch = {
  /** The stop signal of a ticket's pass, made when the pass starts (`state`: the ticket's state then). */
  stopFor(key: string, state: Ticket['state']): AbortSignal;
  /** The stop signal of a running pass, if any. */
  signalOf(key: string): AbortSignal | undefined;
  /** The pass ended: its stop signal is forgotten. */
  ended(key: string): void;
  /** Resolves at the next change seen by the timer (cancel it when no longer waited on). */
  next(): { promise: Promise<void>; cancel: () => void };
  /** Whether the timer saw a change since the last call (the loop then reads the snapshot again). */
  takeChanged(): boolean;
  close(): void;
};

/** The default interval: a change is seen within 45 s (plus one read). */
export const DEFAULT_POLL_MS = 45_000;

export type WatchOptions = {
  snapshot: Snapshot;
  /** The interval of the timer (0: no timer). */
  intervalMs: number;
  onError: (problem: string) => void;
  onStop: (key: string, reason: string) => void;
  /** The tracker's budget as its last answer stated it, for pacing. */
  rateLimit?: () => RateLimitState | undefined;
  /** The share of the tracker's budget the timer's reads may bring it to (default 0.5). */
  share?: number;
};

/** Whether the budget spent (requests or complexity) is past `share` of its limit: the timer then waits for the reset. */
export function overShare(limits: RateLimitState | undefined, share: number): boolean {
  if (!limits) return false;
  const spent = (limit: number | undefined, remaining: number | undefined) => (limit && remaining !== undefined ? (limit - remaining) / limit : 0);
  return Math.max(spent(limits.requestsLimit, limits.requestsRemaining), spent(limits.complexityLimit, limits.complexityRemaining)) > share;
}

/** The budget left, in words, for the live view and `status`. */
export function describeBudget(limits: RateLimitState | undefined): string | undefined {
  if (!limits) return undefined;
  const part = (remaining: number | undefined, limit: number | undefined, unit: string) => (remaining !== undefined && limit ? `${remaining.toLocaleString('en-US')}/${limit.toLocaleString('en-US')} ${unit}` : undefined);
  const parts = [part(limits.complexityRemaining, limits.complexityLimit, 'points'), part(limits.requestsRemaining, limits.requestsLimit, 'requests')].filter((p) => p !== undefined);
  const why = limits.reason ? ` (limited: ${limits.reason})` : '';
  return parts.length > 0 ? `${parts.join(', ')} left this hour${why}` : limits.reason ? `limited: ${limits.reason}` : undefined;
}

/** What a person's change means for a running pass: a reason to stop it, or nothing. */
export function stopReason(ticket: Ticket | undefined, stateAtStart: Ticket['state']): string | undefined {
  if (!ticket || ticket.state === stateAtStart) return undefined;
  if (ticket.state === 'canceled') return `${ticket.key} was canceled in the tracker`;
  if (ticket.state === 'done') return `${ticket.key} was moved to done in the tracker by someone else`;
  return undefined;
}

export function openTrackerWatch(options: WatchOptions): TrackerWatch {
  const stops = new Map<string, { controller: AbortController; state: Ticket['state'] }>();
  let changed = false;
  let waiter: (() => void) | undefined;
  let busy = false;
  const signal = () => {
    changed = true;
    waiter?.();
    waiter = undefined;
  };
  async function tick(): Promise<void> {
    if (busy || overShare(options.rateLimit?.(), options.share ?? 0.5)) return;
    busy = true;
    try {
      const keys = await options.snapshot.refresh();
      // every running pass against the snapshot, not only the keys this read found changed: the loop's
      // own reads refresh the same snapshot, and a cancel one of them saw first is this timer's to act on
      const read: BatchRead | undefined = options.snapshot.current();
      const byKey = new Map((read?.tickets ?? []).map((t) => [t.key, t]));
      for (const [key, stop] of stops) {
        const reason = stopReason(byKey.get(key), stop.state);
        if (reason && !stop.controller.signal.aborted) {
          stop.controller.abort(reason);
          options.onStop(key, reason);
        }
      }
      if (keys.length > 0) signal();
    } catch (error) {
      options.onError((error as Error).message);
    } finally {
      busy = false;
    }
  }
  const timer = options.intervalMs > 0 ? setInterval(() => void tick(), options.intervalMs) : undefined;
  timer?.unref();
  return {
    stopFor(key, state) {
      const controller = new AbortController();
      stops.set(key, { controller, state });
      return controller.signal;
    },
    signalOf(key) {
      return stops.get(key)?.controller.signal;
    },
    ended(key) {
      stops.delete(key);
    },
    next() {
      if (changed) return { promise: Promise.resolve(), cancel: () => undefined };
      const promise = new Promise<void>((resolve) => { waiter = resolve; });
      return { promise, cancel: () => { waiter = undefined; } };
    },
    takeChanged() {
      const was = changed;
      changed = false;
      return was;
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
