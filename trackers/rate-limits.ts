// GitHub's and Jira's rate-limit headers read into one `RateLimitState` (Linear's are read in
// linear-client.ts), so pacing, `status` and the live view show the budget each tracker states.
import type { RateLimitState } from './types.ts';

/** A header by its (case-insensitive) name, as the client at hand exposes headers. */
export type HeaderLookup = (name: string) => string | undefined;

function numberOf(text: string | undefined): number | undefined {
  const value = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function put<K extends keyof RateLimitState>(state: RateLimitState, key: K, value: RateLimitState[K] | undefined): void {
  if (value !== undefined) state[key] = value;
}

/**
 * GitHub's `x-ratelimit-*` headers. REST (`core`) budgets requests and GraphQL (`graphql`) budgets points,
 * each its own hourly window: `core` fills the requests fields and `graphql` the complexity ones, so the
 * state merged over answers shows both. A `retry-after` (secondary limit) moves the reset and says why.
 */
export function githubRateLimit(get: HeaderLookup, now = Date.now()): RateLimitState | undefined {
  const state: RateLimitState = {};
  const limit = numberOf(get('x-ratelimit-limit'));
  const used = numberOf(get('x-ratelimit-used'));
  const remaining = numberOf(get('x-ratelimit-remaining')) ?? (limit !== undefined && used !== undefined ? Math.max(0, limit - used) : undefined);
  const resource = get('x-ratelimit-resource') ?? 'core';
  if (resource === 'graphql') {
    put(state, 'complexityLimit', limit);
    put(state, 'complexityRemaining', remaining);
  } else if (resource === 'core') {
    put(state, 'requestsLimit', limit);
    put(state, 'requestsRemaining', remaining);
  }
  const reset = numberOf(get('x-ratelimit-reset'));
  put(state, 'resetAt', reset === undefined ? undefined : reset * 1000);
  const retryAfter = numberOf(get('retry-after'));
  if (retryAfter !== undefined) {
    state.resetAt = now + retryAfter * 1000;
    state.reason = `secondary rate limit (retry after ${retryAfter} s)`;
  } else if (remaining === 0) {
    state.reason = `${resource} limit spent`;
  }
  return Object.keys(state).length > 0 ? state : undefined;
}

/**
 * Jira Cloud's headers: `X-RateLimit-Limit`/`-Remaining` (requests in the window), `X-RateLimit-Reset`
 * (an ISO 8601 time such as 2026-12-05T14:30Z), `Retry-After` (seconds, on 429 and some 503) and
 * `RateLimit-Reason` (which limit: jira-burst-based, jira-quota-tenant-based, jira-per-issue-on-write...).
 */
export function jiraRateLimit(get: HeaderLookup, now = Date.now()): RateLimitState | undefined {
  const state: RateLimitState = {};
  put(state, 'requestsLimit', numberOf(get('x-ratelimit-limit')));
  put(state, 'requestsRemaining', numberOf(get('x-ratelimit-remaining')));
  const reset = get('x-ratelimit-reset');
  const resetAt = reset === undefined ? undefined : numberOf(reset) ?? Date.parse(reset);
  put(state, 'resetAt', resetAt !== undefined && Number.isFinite(resetAt) ? (resetAt < 1e12 ? resetAt * 1000 : resetAt) : undefined);
  const retryAfter = numberOf(get('retry-after'));
  if (retryAfter !== undefined) put(state, 'resetAt', Math.max(state.resetAt ?? 0, now + retryAfter * 1000));
  put(state, 'reason', get('ratelimit-reason'));
  return Object.keys(state).length > 0 ? state : undefined;
}

/**
 * The state after one more answer: what the answer stated replaces what the last one did, field by
 * field (GitHub states one budget per answer); a reason holds only as long as the answers that give it.
 */
export function mergeRateLimit(previous: RateLimitState | undefined, next: RateLimitState | undefined): RateLimitState | undefined {
  if (!next) return previous;
  const { reason: _dropped, ...kept } = previous ?? {};
  return { ...kept, ...next };
}
