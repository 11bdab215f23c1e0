// Slots kept for chains. When an agent ends while another ticket's landing is under way, and that
// landing will unblock a dependent (its heir), the freed slot may be kept for the heir rather than given
// to the next ready ticket: given away, it would leave the heir, a chain under way, waiting for yet
// another agent to end once its blocker is counted (over a second at p95 in the 200-ticket bench, whose
// agents run about a second). Kept, it idles for what is left of that landing, and the heir starts in it
// as soon as the oracle counts the blocker.
// - Never the landing ticket's own slot: keeping that one idles it for the whole landing, every time.
// - Never while an unblocked ticket waits: that one takes the freed slot anyway (continuations first).
// - At most KEEP_SHARE of the agents' slot time since the run started is spent kept: on a slow machine,
//   where landings take long, keeping would cost more than the chains gain, and stops.
// A kept slot is given back once its heir is ready (the scheduler starts it there) or no longer coming
// (the landing failed).
import { statusOf, unblockedBy } from './scheduler.ts';
import type { SchedulerView } from './scheduler.ts';

/** The share of the agents' slot time that kept slots may idle, over the run. */
export const KEEP_SHARE = 0.02;

export type SlotKeeper = {
  /** An agent ended and freed its slot. */
  freed(key: string): void;
  /**
   * Gives back kept slots whose heir is ready or no longer coming, then keeps the slots freed since the
   * last call for heirs of `landing` (tickets past their agent whose landing the oracle has not counted).
   * `busy`: the slots taken by running agents.
   */
  update(view: SchedulerView, landing: ReadonlySet<string>, busy: number, now: number): void;
  /** How many slots are kept now. */
  size(): number;
  /** Which tickets slots are kept for (heir -> the agent whose slot it was). */
  kept(): ReadonlyMap<string, string>;
  /** Slot time spent kept so far (ms), the kept slots' time to `now` included. */
  spentMs(now: number): number;
};

export function openSlotKeeper(workers: number, startedAt: number, share = KEEP_SHARE): SlotKeeper {
  const kept = new Map<string, { from: string; since: number }>();
  let freed: string[] = [];
  let closedMs = 0;
  const spentMs = (now: number) => closedMs + [...kept.values()].reduce((sum, k) => sum + (now - k.since), 0);
  return {
    freed(key) {
      freed.push(key);
    },
    update(view, landing, busy, now) {
      const coming = unblockedBy(view, landing);
      for (const [heir, slot] of kept) {
        if (coming.some((t) => t.key === heir)) continue;
        closedMs += now - slot.since;
        kept.delete(heir);
      }
      const justFreed = freed;
      freed = [];
      if (justFreed.length === 0 || coming.length === 0) return;
      if (view.tickets.some((t) => t.blockedBy.length > 0 && statusOf(t, view) === 'ready')) return;
      for (const key of justFreed) {
        if (busy + kept.size >= workers) return;
        if (spentMs(now) >= share * workers * Math.max(0, now - startedAt)) return;
        const heir = coming.find((t) => !kept.has(t.key) && !t.blockedBy.includes(key));
        if (heir) kept.set(heir.key, { from: key, since: now });
      }
    },
    size: () => kept.size,
    kept: () => new Map([...kept].map(([heir, slot]) => [heir, slot.from])),
    spentMs,
  };
}
