// Slots kept for chains. When an agent ends while another ticket's landing is under way, and that
// landing will unblock a dependent (its heir), the freed slot may be kept for the heir rather than given
// to the next ready ticket: given away, it would leave the heir, a chain under way, waiting for yet
// another agent to end once its blocker is counted (over a second at p95 in the 200-ticket bench, whose
// agents run about a second). Kept, it idles for what is left of that landing, and the heir starts in it
// as soon as the oracle counts the blocker.
// - Only when the heir would likely wait long otherwise: from the agent durations and landing times seen
//   so far in the run, the chance that none of the agents then running (the one given this slot
//   included) ends within WAIT_MS of the heir being ready is at least RISK. A landing with much left to
//   go, or agents near their usual end, make that chance small: the slot is given away.
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
/** How long a heir may wait for a slot, once ready, before that counts as long. */
export const WAIT_MS = 700;
/** The chance of a long wait from which a slot is kept. */
export const RISK = 0.1;
/** Agent ends seen before the risk is judged from them; until then every chance counts as high. */
const MIN_SEEN = 12;

export type SlotKeeper = {
  /** An agent started (its slot taken). */
  started(key: string, now: number): void;
  /** An agent ended and freed its slot. */
  freed(key: string, now: number): void;
  /**
   * Gives back kept slots whose heir is ready or no longer coming, then keeps the slots freed since the
   * last call for heirs of `landing` (tickets past their agent whose landing the oracle has not counted).
   * `inAgent`: the tickets whose agents run.
   */
  update(view: SchedulerView, landing: ReadonlySet<string>, inAgent: ReadonlySet<string>, now: number): void;
  /** How many slots are kept now. */
  size(): number;
  /** Which tickets slots are kept for (heir -> the agent whose slot it was). */
  kept(): ReadonlyMap<string, string>;
  /** Slot time spent kept so far (ms), the kept slots' time to `now` included. */
  spentMs(now: number): number;
};

/** Sorted samples: how many are above a value, in O(log n). */
function samples() {
  const sorted: number[] = [];
  const firstAbove = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    add(x: number) {
      sorted.splice(firstAbove(x), 0, x);
    },
    size: () => sorted.length,
    above: (x: number) => sorted.length - firstAbove(x),
    quantile: (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0,
  };
}

export function openSlotKeeper(workers: number, startedAt: number, share = KEEP_SHARE, options: { waitMs?: number; risk?: number } = {}): SlotKeeper {
  const waitMs = options.waitMs ?? WAIT_MS;
  const risk = options.risk ?? RISK;
  const kept = new Map<string, { from: string; since: number }>();
  let freed: string[] = [];
  let closedMs = 0;
  const agentSince = new Map<string, number>();
  const landingSince = new Map<string, number>();
  const agentMs = samples();
  const landingMs = samples();
  const spentMs = (now: number) => closedMs + [...kept.values()].reduce((sum, k) => sum + (now - k.since), 0);
  /**
   * The chance that none of these agents (their elapsed times) ends within `horizon` ms: by the agent
   * durations seen so far, each one's chance to run that much longer given how long it has run.
   */
  const noneEnds = (elapsed: readonly number[], horizon: number) =>
    elapsed.reduce((chance, e) => chance * ((agentMs.above(e + horizon) + 1) / (agentMs.above(e) + 1)), 1);
  /** Whether the heir, its blockers landing, would likely wait long for a slot were this one given away. */
  const atRisk = (blockers: readonly string[], inAgent: ReadonlySet<string>, now: number) => {
    if (agentMs.size() < MIN_SEEN) return true;
    const usual = landingMs.quantile(0.75); // 0 before any landing was seen
    const left = Math.max(0, ...blockers.map((b) => usual - (now - (landingSince.get(b) ?? now))));
    // the agents running then: those running now, and the one this slot would go to
    const elapsed = [...inAgent].map((key) => now - (agentSince.get(key) ?? now)).concat(0);
    return noneEnds(elapsed, left + waitMs) >= risk;
  };
  return {
    started(key, now) {
      agentSince.set(key, now);
    },
    freed(key, now) {
      freed.push(key);
      const since = agentSince.get(key);
      agentSince.delete(key);
      if (since !== undefined) agentMs.add(now - since);
      landingSince.set(key, now);
    },
    update(view, landing, inAgent, now) {
      // a landing's time: its agent's end to the oracle counting it; only landings something waits on,
      // since the oracle is asked about the others only later, with the next question
      let waitedOn: Set<string> | undefined;
      for (const [key, since] of landingSince) {
        if (landing.has(key)) continue;
        landingSince.delete(key);
        waitedOn ??= new Set(view.tickets.flatMap((t) => t.blockedBy));
        if (view.satisfied.has(key) && waitedOn.has(key)) landingMs.add(now - since);
      }
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
        if (inAgent.size + kept.size >= workers) return;
        if (spentMs(now) >= share * workers * Math.max(0, now - startedAt)) return;
        const heir = coming.find((t) => !kept.has(t.key) && !t.blockedBy.includes(key));
        if (heir && atRisk(heir.blockedBy.filter((b) => landing.has(b)), inAgent, now)) kept.set(heir.key, { from: key, since: now });
      }
    },
    size: () => kept.size,
    kept: () => new Map([...kept].map(([heir, slot]) => [heir, slot.from])),
    spentMs,
  };
}
