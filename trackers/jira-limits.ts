// Jira's rate-limit headers as its answers state them. jira.js 6 hands back bodies, not headers (only a
// refusal's error carries them), so the headers of every answer from the site are read where Node's fetch
// publishes them: undici's `undici:request:headers` diagnostics channel, filtered by the site's origin.
import { subscribe } from 'node:diagnostics_channel';
import { jiraRateLimit, mergeRateLimit } from './rate-limits.ts';
import type { RateLimitState } from './types.ts';

type HeadersMessage = { request: { origin?: unknown }; response: { headers?: unknown } };

/** The budget by site origin, as the last answer from it stated it. */
const bySite = new Map<string, RateLimitState | undefined>();
let subscribed = false;

function onHeaders(message: unknown): void {
  const { request, response } = message as HeadersMessage;
  const origin = String(request.origin ?? '');
  if (!bySite.has(origin) || !Array.isArray(response.headers)) return;
  const raw = response.headers as unknown[];
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.set(String(raw[i]).toLowerCase(), String(raw[i + 1]));
  bySite.set(origin, mergeRateLimit(bySite.get(origin), jiraRateLimit((name) => headers.get(name))));
}

/** Starts reading the rate-limit headers of every answer from `host`; returns the reader of the budget left. */
export function watchJiraLimits(host: string): () => RateLimitState | undefined {
  const origin = new URL(host).origin;
  if (!bySite.has(origin)) bySite.set(origin, undefined);
  if (!subscribed) {
    subscribe('undici:request:headers', onHeaders);
    subscribed = true;
  }
  return () => bySite.get(origin);
}
