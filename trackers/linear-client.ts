// The @linear/sdk client as nightshift uses it: raw GraphQL reads and the SDK's own mutations, each
// sent through the request gate with a per-request timeout, and Linear's errors sorted into what may
// be retried (429 and the 400 RATELIMITED form honour Retry-After and the reset headers).
import { LinearClient } from '@linear/sdk';
import type { z } from 'zod';
import { TrackerError, formatZodIssues } from './errors.ts';
import { createGate, parseReset, parseRetryAfter } from './retry.ts';
import type { Failure, Gate, GateOptions } from './retry.ts';
import type { RateLimitState } from './types.ts';

function headerNumber(headers: Headers | undefined, name: string): number | undefined {
  const text = headers?.get(name);
  const value = text === null || text === undefined ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Linear's rate-limit headers (requests and complexity budgets differ by key type: read, not assumed). */
export function linearRateLimit(headers: Headers | undefined): RateLimitState | undefined {
  const state: RateLimitState = {};
  const put = <K extends keyof RateLimitState>(key: K, value: RateLimitState[K] | undefined) => { if (value !== undefined) state[key] = value; };
  put('requestsLimit', headerNumber(headers, 'x-ratelimit-requests-limit'));
  put('requestsRemaining', headerNumber(headers, 'x-ratelimit-requests-remaining'));
  put('complexityLimit', headerNumber(headers, 'x-ratelimit-complexity-limit'));
  put('complexityRemaining', headerNumber(headers, 'x-ratelimit-complexity-remaining'));
  put('resetAt', headerNumber(headers, 'x-ratelimit-complexity-reset') ?? headerNumber(headers, 'x-ratelimit-requests-reset'));
  put('lastCost', headerNumber(headers, 'x-complexity'));
  return Object.keys(state).length > 0 ? state : undefined;
}

export type LinearConnection = {
  sdk: LinearClient;
  gate: Gate;
  /** One raw GraphQL read, retried when safe, its answer checked against `schema`. */
  read<S extends z.ZodType>(label: string, query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>>;
  /** One SDK mutation (`send` calls the SDK), counted and timed. */
  write<T>(label: string, send: () => Promise<T>): Promise<T>;
  /** The budget left, from the last read's `X-RateLimit-*` and `X-Complexity` headers. */
  rateLimit(): RateLimitState | undefined;
};

type RawError = {
  status?: number;
  raw?: { response?: { status?: number; headers?: Headers; errors?: Array<{ message?: string; extensions?: { code?: string } }> } };
  message?: string;
};

/** Sorts an error thrown by the SDK (or by fetch underneath it) into a retry decision. */
export function classifyLinearError(error: unknown): Failure {
  const e = (error ?? {}) as RawError;
  const response = e.raw?.response;
  const status = e.status ?? response?.status;
  const code = response?.errors?.[0]?.extensions?.code;
  const headers = response?.headers;
  const message = (e.message ?? String(error)).slice(0, 300);
  if (status === 429 || code === 'RATELIMITED') {
    // Which budget ran out: the requests one says 0 remaining; otherwise it was the complexity one.
    const requestsSpent = headers?.get('x-ratelimit-requests-remaining') === '0';
    const waitMs = parseRetryAfter(headers?.get('retry-after'))
      ?? (requestsSpent ? parseReset(headers?.get('x-ratelimit-requests-reset')) : parseReset(headers?.get('x-ratelimit-complexity-reset')))
      ?? parseReset(headers?.get('x-ratelimit-requests-reset'));
    return { kind: 'rejected', message: `rate limited (${status ?? ''} ${code ?? ''})`.replace(/\s+\)/, ')'), waitMs };
  }
  if (status !== undefined && status >= 500) {
    return { kind: 'ambiguous', message: `server error ${status}`, waitMs: parseRetryAfter(headers?.get('retry-after')) };
  }
  if (status === 401 || status === 403) {
    return { kind: 'fatal', message: `Linear refused the API key (${status}). Check LINEAR_API_KEY.` };
  }
  // No HTTP status and no GraphQL errors: the request never completed or the answer was cut short.
  if (status === undefined && (response?.errors?.length ?? 0) === 0) return { kind: 'ambiguous', message: `network: ${message}` };
  return { kind: 'fatal', message };
}

export function connectLinear(options: { apiKey: string; apiUrl?: string | undefined; gate?: GateOptions }): LinearConnection {
  let sdk: LinearClient;
  try {
    sdk = new LinearClient({ apiKey: options.apiKey, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  } catch (error) {
    // The SDK's message names the URL only, never the key.
    throw new TrackerError('linear-config', `cannot set up the Linear client: ${(error as Error).message}. Check LINEAR_API_URL.`, { cause: error });
  }
  const gate = createGate('linear', classifyLinearError, options.gate);
  // The SDK spreads its options into every fetch, reading each property afresh; a getter hands each
  // request the signal of the gate's current attempt (set and cleared synchronously around the call).
  let current: AbortSignal | undefined;
  Object.defineProperty((sdk.client as unknown as { options: object }).options, 'signal', { enumerable: true, configurable: true, get: () => current });
  function withSignal<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    current = signal;
    try {
      return call();
    } finally {
      current = undefined;
    }
  }

  let limits: RateLimitState | undefined;
  return {
    sdk,
    gate,
    rateLimit: () => limits,
    async read(label, query, variables, schema) {
      const answer = await gate.read(label, (signal) => withSignal(signal, () => sdk.client.rawRequest(query, variables)));
      limits = linearRateLimit(answer.headers) ?? limits;
      const remaining = answer.headers?.get('x-ratelimit-requests-remaining');
      const reset = parseReset(answer.headers?.get('x-ratelimit-requests-reset'));
      if (remaining === '0' && reset !== undefined) gate.holdUntil(Date.now() + reset);
      const parsed = schema.safeParse(answer.data);
      if (!parsed.success) {
        throw new TrackerError('linear-malformed-answer', `linear ${label}: the answer does not have the expected shape:\n${formatZodIssues(parsed.error.issues)}`);
      }
      return parsed.data;
    },
    write(label, send) {
      return gate.request(label, (signal) => withSignal(signal, send));
    },
  };
}
