// The request gate every remote tracker adapter sends through: one place that counts requests, keeps
// the per-run request budget, puts a timeout on every request, and retries what is safe to retry
// (idempotent reads; writes only as whole check-then-act operations) with jittered backoff that
// honours Retry-After and rate-limit reset headers.
// Why not p-retry (checked against its 7.x/9.x options): its waits run on real timers from
// minTimeout/factor/randomize, while here a server's Retry-After replaces the backoff, a wait longer
// than maxWaitMs fails at once with its own error, and tests inject `sleep` and `random` so that no test
// waits. Doing all that through p-retry leaves it only the attempt counter (minTimeout 0, every wait in
// onFailedAttempt), so the loop below stays.
import { TrackerError } from './errors.ts';

/** How a failed request may be retried. */
export type FailureKind =
  /** The server refused without acting (429, RATELIMITED): safe to send again, reads and writes alike. */
  | 'rejected'
  /** The request may or may not have acted (timeout, network reset, 5xx): reads retry, writes re-check first. */
  | 'ambiguous'
  /** Retrying cannot help (bad input, auth, not found, malformed answer). */
  | 'fatal';

export type Failure = { kind: FailureKind; message: string; waitMs?: number | undefined };

export type GateOptions = {
  /** Most requests this tracker may make over its life (one run). */
  budget?: number;
  /** Attempts per request or operation, the first included. */
  attempts?: number;
  /** Timeout of each request. */
  timeoutMs?: number;
  /** First backoff step; doubles per attempt, with full jitter. */
  baseDelayMs?: number;
  /** Longest single wait (backoff or Retry-After); a longer Retry-After fails instead of hanging. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export type Gate = {
  /** One request: counted, budgeted, given an AbortSignal that fires after the timeout. */
  request<T>(label: string, send: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /**
   * Runs `operation` again while it fails retryably. A read, or a write operation that re-checks the
   * tracker before acting, may repeat on any retryable failure; a bare write passes `onlyRejected`.
   */
  retry<T>(label: string, operation: () => Promise<T>, options?: { onlyRejected?: boolean }): Promise<T>;
  /** A read: one request, retried on any non-fatal failure. */
  read<T>(label: string, send: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Delays the next request until a rate-limit window reopens (from response headers). */
  holdUntil(epochMs: number): void;
  /** Waits (through the injected sleep, so tests need not). */
  wait(ms: number): Promise<void>;
  count(): number;
};

const DEFAULTS = { budget: 10_000, attempts: 6, timeoutMs: 30_000, baseDelayMs: 250, maxWaitMs: 60_000 };

/** A TrackerError carrying how it may be retried. */
export class TrackerRequestError extends TrackerError {
  readonly failure: Failure;
  constructor(label: string, failure: Failure, cause: unknown) {
    super(`tracker-${failure.kind === 'fatal' ? 'request-failed' : 'unavailable'}`, `${label}: ${failure.message}`, {
      cause,
      retryable: failure.kind !== 'fatal',
    });
    this.failure = failure;
  }
}

/** Builds a gate; `classify` turns an adapter's SDK error into a `Failure`. */
export function createGate(tracker: string, classify: (error: unknown) => Failure, options: GateOptions = {}): Gate {
  const o = { ...DEFAULTS, ...options };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  let made = 0;
  let heldUntil = 0;

  function backoff(attempt: number, failure: Failure): number {
    const jittered = Math.floor(random() * o.baseDelayMs * 2 ** attempt);
    return Math.max(failure.waitMs ?? 0, jittered);
  }

  async function request<T>(label: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (made >= o.budget) {
      throw new TrackerError(
        'tracker-request-budget',
        `${tracker}: the run's request budget of ${o.budget} requests is spent (at ${label}). Start a new run, or raise the budget if this batch truly needs more.`,
      );
    }
    const wait = heldUntil - Date.now();
    if (wait > o.maxWaitMs) {
      throw new TrackerError(
        'tracker-rate-limited',
        `${tracker}: the rate-limit window reopens in ${Math.ceil(wait / 1000)} s, longer than nightshift waits (${o.maxWaitMs / 1000} s). Run again later.`,
        { retryable: true },
      );
    }
    if (wait > 0) await sleep(wait);
    made++;
    const signal = AbortSignal.timeout(o.timeoutMs);
    try {
      return await raceAbort(send(signal), signal);
    } catch (error) {
      if (error instanceof TrackerError) throw error;
      const failure = signal.aborted
        ? { kind: 'ambiguous' as const, message: `no answer within ${o.timeoutMs} ms` }
        : classify(error);
      throw new TrackerRequestError(`${tracker} ${label}`, failure, error);
    }
  }

  async function retry<T>(label: string, operation: () => Promise<T>, opts?: { onlyRejected?: boolean }): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof TrackerRequestError) || error.failure.kind === 'fatal') throw error;
        if (error.failure.kind === 'ambiguous' && opts?.onlyRejected === true) throw error;
        if (attempt + 1 >= o.attempts) {
          throw new TrackerError(
            'tracker-unavailable',
            `${tracker} ${label} failed ${o.attempts} times; last: ${error.message}. Check the service status and run again.`,
            { cause: error, retryable: true },
          );
        }
        const wait = backoff(attempt, error.failure);
        if (wait > o.maxWaitMs) {
          throw new TrackerError(
            'tracker-rate-limited',
            `${tracker} ${label}: rate limited for ${Math.ceil(wait / 1000)} s, longer than nightshift waits (${o.maxWaitMs / 1000} s). Run again later.`,
            { cause: error, retryable: true },
          );
        }
        await sleep(wait);
      }
    }
  }

  return {
    request,
    retry,
    read: (label, send) => retry(label, () => request(label, send)),
    wait: (ms) => sleep(ms),
    holdUntil(epochMs) {
      heldUntil = Math.max(heldUntil, epochMs);
    },
    count: () => made,
  };
}

/** Settles with `work`, or rejects when `signal` aborts first (for clients that ignore signals). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error as Error); },
    );
  });
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); undefined when absent. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Milliseconds until a rate-limit reset header (epoch seconds or milliseconds); undefined when absent. */
export function parseReset(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  const epochMs = n > 1e12 ? n : n * 1000;
  return Math.max(0, epochMs - now);
}
