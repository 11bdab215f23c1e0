// A wake-up call for the loop: parts of a pass (the `agent-end` event) notify it with a ticket key, and
// the loop waits on the next notification beside its running passes. Keys noted while nobody waits are
// kept until drained, so no event is lost between two waits.
export type Wake = {
  notify(key: string): void;
  /** A promise for the next notification (resolves at once if some are pending). */
  next(): { promise: Promise<void>; cancel: () => void };
  /** The keys notified since the last drain. */
  drain(): string[];
};

export function openWake(): Wake {
  let pending: string[] = [];
  let waiter: (() => void) | undefined;
  return {
    notify(key) {
      pending.push(key);
      waiter?.();
      waiter = undefined;
    },
    next() {
      if (pending.length > 0) return { promise: Promise.resolve(), cancel: () => undefined };
      const promise = new Promise<void>((resolve) => {
        waiter = resolve;
      });
      return { promise, cancel: () => { waiter = undefined; } };
    },
    drain() {
      const keys = pending;
      pending = [];
      return keys;
    },
  };
}
