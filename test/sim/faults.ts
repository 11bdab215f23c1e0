// Seeded fault injection shared by the tracker simulators: on a seeded fraction of requests, answer
// 429 with Retry-After, the tracker's own rate-limit form, a 5xx (before or after the change is
// applied), a slow answer (after applying), a body cut short (after applying), or a short page (fewer
// items than asked for, with more to come, as both APIs may legally answer).

export type FaultKind = 'http-429' | 'rate-limited' | 'server-error' | 'server-error-after' | 'slow' | 'truncated' | 'short-page'
  /** Linear simulator only, never drawn by default: the change is applied after `slowMs`, when the client has given up. */
  | 'late-apply';

export type FaultPlan = {
  /** Fraction of requests that get a fault, 0..1. */
  rate: number;
  /** Which faults to draw from (all when absent). */
  kinds?: FaultKind[];
  /** Retry-After seconds sent with 429 and rate-limit answers (default 0: tests do not wait). */
  retryAfterSeconds?: number;
  /** How long a slow answer takes (make it longer than the client's timeout). */
  slowMs?: number;
  /** Never fault the first N requests (e.g. so a setup read is clean). */
  skipFirst?: number;
  /** Inject at most this many faults in all. */
  limit?: number;
  /** Only fault requests that change something (Linear mutations; Jira writes other than the search). */
  on?: 'writes';
};

export const ALL_FAULTS: FaultKind[] = ['http-429', 'rate-limited', 'server-error', 'server-error-after', 'slow', 'truncated', 'short-page'];

/** mulberry32: a tiny seeded PRNG, so a failing fault sequence can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultDraw = { next(isWrite: boolean): FaultKind | undefined; injected: FaultKind[] };

/** Draws the fault (or none) of each request in arrival order. */
export function createFaultDraw(seed: number, plan: FaultPlan | undefined): FaultDraw {
  const random = seededRandom(seed ^ 0x5eed);
  const injected: FaultKind[] = [];
  let seen = 0;
  return {
    injected,
    next(isWrite) {
      if (!plan || plan.rate <= 0 || (plan.on === 'writes' && !isWrite)) return undefined;
      seen++;
      const roll = random();
      const pick = random();
      if (seen <= (plan.skipFirst ?? 0) || roll >= plan.rate || injected.length >= (plan.limit ?? Infinity)) return undefined;
      const kinds = plan.kinds ?? ALL_FAULTS;
      const kind = kinds[Math.floor(pick * kinds.length)];
      if (kind) injected.push(kind);
      return kind;
    },
  };
}

/** Writes `body` but stops halfway through, then drops the connection: a page cut short. */
export function sendTruncated(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
  res.socket?.destroy();
}
