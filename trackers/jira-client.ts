// jira.js (v6, Jira Cloud platform API) as nightshift uses it: every call through the request gate
// with a timeout, answers checked against our own zod schemas of the fields we read, and jira.js's
// typed errors sorted into what may be retried (429 honours Retry-After); the rate-limit headers of
// every answer are read beside it (jira-limits.ts).
import { createCloudClient, isAuthError, isForbiddenError, isNetworkError, isNotFoundError, isRateLimitError, isSchemaMismatchError, isServerError, isApiError } from 'jira.js';
import type { CloudClient } from 'jira.js';
import type { z } from 'zod';
import { TrackerError, formatZodIssues } from './errors.ts';
import { watchJiraLimits } from './jira-limits.ts';
import { createGate } from './retry.ts';
import type { Failure, Gate, GateOptions } from './retry.ts';
import type { RateLimitState } from './types.ts';

export type JiraConnection = {
  api: CloudClient;
  gate: Gate;
  /** One read, retried when safe, its answer checked against `schema` (a cut-short answer is retried). */
  read<S extends z.ZodType>(label: string, call: (api: CloudClient) => Promise<unknown>, schema: S): Promise<z.infer<S>>;
  /** One write, counted and timed. */
  write<T>(label: string, call: (api: CloudClient) => Promise<T>): Promise<T>;
  /** The budget left, from the `X-RateLimit-*`, `Retry-After` and `RateLimit-Reason` headers of the site's last answer. */
  rateLimit(): RateLimitState | undefined;
};

/** An answer that did not have the expected shape: most often a body cut short, so worth one more read. */
class MalformedAnswer extends Error {}

function errorMessages(body: unknown): string {
  const b = body as { errorMessages?: unknown; errors?: unknown } | undefined;
  const list = [...(Array.isArray(b?.errorMessages) ? b.errorMessages : []), ...Object.values((b?.errors ?? {}) as object)];
  return list.map(String).join('; ');
}

export function classifyJiraError(error: unknown): Failure {
  if (isRateLimitError(error)) return { kind: 'rejected', message: 'rate limited (429)', waitMs: error.retryAfterMs };
  if (isServerError(error)) return { kind: 'ambiguous', message: `server error ${error.status}` };
  if (isNetworkError(error)) return { kind: 'ambiguous', message: `network: ${error.message}` };
  if (isSchemaMismatchError(error) || error instanceof MalformedAnswer) return { kind: 'ambiguous', message: `malformed answer: ${(error as Error).message}` };
  if (isAuthError(error)) return { kind: 'fatal', message: 'Jira refused the credentials (401). Check JIRA_EMAIL and JIRA_API_TOKEN.' };
  if (isForbiddenError(error)) return { kind: 'fatal', message: 'Jira refused access (403). The account behind JIRA_API_TOKEN lacks a permission for this project.' };
  if (isNotFoundError(error)) return { kind: 'fatal', message: `not found (404): ${errorMessages(error.body)}` };
  if (isApiError(error)) return { kind: 'fatal', message: `Jira answered ${error.status}: ${errorMessages(error.body) || error.statusText}` };
  // fetch failing underneath (connection cut while reading the body) is a network failure too.
  if (error instanceof TypeError || error instanceof SyntaxError) return { kind: 'ambiguous', message: `network: ${error.message}` };
  return { kind: 'fatal', message: String((error as Error)?.message ?? error) };
}

/** The Jira error messages of a 400 answer, or [] for any other error. */
export function badRequestMessages(error: unknown): string[] {
  const cause = (error as { cause?: unknown })?.cause;
  if (!isApiError(cause) || cause.status !== 400) return [];
  const body = cause.body as { errorMessages?: unknown } | undefined;
  return Array.isArray(body?.errorMessages) ? body.errorMessages.map(String) : [];
}

export function connectJira(options: {
  host: string; email: string; apiToken: string; gate?: GateOptions; strictSchemas?: boolean;
}): JiraConnection {
  let api: CloudClient;
  try {
    api = createCloudClient({
      host: options.host,
      auth: { type: 'basic', email: options.email, apiToken: options.apiToken },
      onSchemaMismatch: options.strictSchemas ? 'throw' : 'warn',
    });
  } catch (error) {
    // jira.js validates the config; its message names the field, never the token's value.
    throw new TrackerError('jira-config', `cannot set up the Jira client: ${(error as Error).message.slice(0, 300)}. Check JIRA_HOST (e.g. https://your-site.atlassian.net).`, { cause: error });
  }
  const gate = createGate('jira', classifyJiraError, options.gate);
  const rateLimit = watchJiraLimits(options.host);
  return {
    api,
    gate,
    rateLimit,
    read(label, call, schema) {
      return gate.read(label, async () => {
        const answer = await call(api);
        const parsed = schema.safeParse(answer);
        if (!parsed.success) throw new MalformedAnswer(`the answer does not have the expected shape:\n${formatZodIssues(parsed.error.issues)}`);
        return parsed.data;
      });
    },
    write: (label, call) => gate.request(label, () => call(api)),
  };
}
