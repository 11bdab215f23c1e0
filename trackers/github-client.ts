// @octokit/rest as nightshift uses it: every REST call through the request gate with a timeout, list
// pages followed by their Link header (each page one counted request), answers checked against our own
// zod schemas, and GitHub's errors sorted into what may be retried: 429 and the 403 forms of the
// primary (x-ratelimit-remaining: 0, wait for x-ratelimit-reset) and secondary (retry-after) limits.
import { Octokit } from '@octokit/rest';
import { RequestError } from '@octokit/request-error';
import { z } from 'zod';
import { formatZodIssues } from './errors.ts';
import { githubRateLimit, mergeRateLimit } from './rate-limits.ts';
import { createGate, parseReset, parseRetryAfter } from './retry.ts';
import type { Failure, Gate, GateOptions } from './retry.ts';
import type { RateLimitState } from './types.ts';

export type GithubConnection = {
  gate: Gate;
  /** One GET, retried when safe, checked against `schema`; `null` when GitHub answers 404 or 410. */
  find<S extends z.ZodType>(label: string, url: string, params: Record<string, unknown>, schema: S): Promise<z.infer<S> | null>;
  /** Every page of a list (Link rel="next"), each page a read; `limit` stops after that many items. */
  list<S extends z.ZodType>(label: string, url: string, params: Record<string, unknown>, item: S, limit?: number): Promise<Array<z.infer<S>>>;
  /**
   * One GraphQL query, retried when safe, its `data` checked against `schema`. Errors of type NOT_FOUND
   * (a number that is no issue) come back beside the data; any other error fails the read.
   */
  graphql<S extends z.ZodType>(label: string, query: string, variables: Record<string, unknown>, schema: S): Promise<{ data: z.infer<S>; notFound: string[] }>;
  /** One write (POST/PATCH/DELETE route), counted and timed, not retried here. */
  write(label: string, route: string, params: Record<string, unknown>): Promise<unknown>;
  /** The budget left as GitHub's answers stated it (REST requests, GraphQL points), errors included. */
  rateLimit(): RateLimitState | undefined;
};

/** An answer that did not have the expected shape: most often a body cut short, so worth one more read. */
class MalformedAnswer extends Error {}

/** GraphQL errors other than NOT_FOUND: the query was refused (e.g. a field this GitHub does not have). */
export class GraphqlRefused extends Error {}

/** GitHub's GraphQL form of the rate limit: 200 with an error of type RATE_LIMITED. */
class GraphqlRateLimited extends Error {
  readonly headers: Headers;
  constructor(message: string, headers: Headers) {
    super(message);
    this.headers = headers;
  }
}

const GraphqlAnswer = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ type: z.string().optional(), message: z.string(), path: z.array(z.union([z.string(), z.number()])).optional() })).optional(),
});

type Headers = Record<string, string | number | undefined>;
const header = (headers: Headers | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  return value === undefined ? undefined : String(value);
};

function messageOf(error: RequestError): string {
  const data = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const text = typeof data?.message === 'string' ? data.message : error.message;
  const details = Array.isArray(data?.errors) ? ` (${JSON.stringify(data.errors).slice(0, 200)})` : '';
  return `${text}${details}`.slice(0, 300);
}

/** Sorts an error thrown by octokit (or by fetch underneath it) into a retry decision. */
export function classifyGithubError(error: unknown): Failure {
  if (error instanceof MalformedAnswer) return { kind: 'ambiguous', message: `malformed answer: ${error.message}` };
  if (error instanceof GraphqlRateLimited) return { kind: 'rejected', message: `rate limited (GraphQL: ${error.message})`, waitMs: parseRetryAfter(header(error.headers, 'retry-after')) ?? parseReset(header(error.headers, 'x-ratelimit-reset')) };
  if (error instanceof GraphqlRefused) return { kind: 'fatal', message: `GitHub refused the GraphQL query: ${error.message.slice(0, 300)}` };
  if (error instanceof RequestError) {
    const headers = error.response?.headers as Headers | undefined;
    const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
    const spent = header(headers, 'x-ratelimit-remaining') === '0';
    if (error.status === 429 || (error.status === 403 && (spent || retryAfter !== undefined))) {
      const waitMs = retryAfter ?? (spent ? parseReset(header(headers, 'x-ratelimit-reset')) : undefined);
      return { kind: 'rejected', message: `rate limited (${error.status}${spent ? `, ${header(headers, 'x-ratelimit-resource') ?? 'core'} limit spent` : ''})`, waitMs };
    }
    // octokit reports a request that never got an answer (connection refused or cut) as status 500 without a response
    if (error.status >= 500 || !error.response) return { kind: 'ambiguous', message: error.response ? `server error ${error.status}` : `network: ${error.message}`, waitMs: retryAfter };
    if (error.status === 401) return { kind: 'fatal', message: 'GitHub refused the token (401). Check GITHUB_TOKEN.' };
    if (error.status === 403) return { kind: 'fatal', message: `GitHub refused access (403): ${messageOf(error)}. The token needs Issues read and write on this repository.` };
    return { kind: 'fatal', message: `GitHub answered ${error.status}: ${messageOf(error)}` };
  }
  // fetch failing underneath (connection cut while reading the body) is a network failure too.
  if (error instanceof TypeError || error instanceof SyntaxError) return { kind: 'ambiguous', message: `network: ${error.message}` };
  return { kind: 'fatal', message: String((error as Error)?.message ?? error) };
}

/** The `next` URL of a Link header, if any. */
function nextLink(link: string | undefined): string | undefined {
  return link?.split(',').map((part) => /<([^>]+)>;\s*rel="next"/.exec(part)?.[1]).find((url) => url !== undefined);
}

export function connectGithub(options: { token: string; baseUrl: string; gate?: GateOptions }): GithubConnection {
  const quiet = () => undefined;
  // failed requests are the gate's to report (with what it did about them), not one stderr line each
  const log = { debug: quiet, info: quiet, warn: (message: string) => console.warn(message), error: quiet };
  const octokit = new Octokit({ auth: options.token, baseUrl: options.baseUrl.replace(/\/+$/, ''), userAgent: 'nightshift', log });
  const gate = createGate('github', classifyGithubError, options.gate);
  // GitHub Enterprise Server serves REST under /api/v3 and GraphQL at /api/graphql (as @octokit/graphql maps it)
  const graphqlUrl = `${options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v3$/, '/api')}/graphql`;
  // every answer's headers, a refusal's too, keep the budget current (REST, GraphQL and writes alike)
  let limits: RateLimitState | undefined;
  const note = (headers: Headers | undefined) => { limits = mergeRateLimit(limits, githubRateLimit((name) => header(headers, name))); };
  octokit.hook.after('request', (response) => note(response.headers as Headers));
  octokit.hook.error('request', (error) => {
    if (error instanceof RequestError) note(error.response?.headers as Headers | undefined);
    throw error;
  });

  /** Holds the gate when GitHub says the window is spent, so the next request waits rather than fails. */
  function watch(headers: Headers): void {
    const reset = parseReset(header(headers, 'x-ratelimit-reset'));
    if (header(headers, 'x-ratelimit-remaining') === '0' && reset !== undefined) gate.holdUntil(Date.now() + reset);
  }

  function check<S extends z.ZodType>(data: unknown, schema: S): z.infer<S> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new MalformedAnswer(`the answer does not have the expected shape:\n${formatZodIssues(parsed.error.issues)}`);
    return parsed.data;
  }

  async function get(url: string, params: Record<string, unknown>, signal: AbortSignal) {
    const answer = await octokit.request({ method: 'GET', url, ...params, request: { signal } });
    watch(answer.headers as Headers);
    return answer;
  }

  async function find<S extends z.ZodType>(label: string, url: string, params: Record<string, unknown>, schema: S): Promise<z.infer<S> | null> {
    return gate.read(label, async (signal) => {
      try {
        return check((await get(url, params, signal)).data, schema);
      } catch (error) {
        if (error instanceof RequestError && (error.status === 404 || error.status === 410)) return null;
        throw error;
      }
    });
  }

  return {
    gate,
    find,
    rateLimit: () => limits,
    async list(label, url, params, item, limit = Infinity) {
      const items: unknown[] = [];
      let next: string | undefined = url;
      let first = true;
      while (next !== undefined && items.length < limit) {
        const page = next;
        const answer = await gate.read(label, async (signal) => {
          const got = await get(page, first ? { per_page: 100, ...params } : {}, signal);
          return { items: check(got.data, z.array(item)), next: nextLink(header(got.headers as Headers, 'link')) };
        });
        items.push(...answer.items);
        next = answer.next;
        first = false;
      }
      return items as Array<z.infer<typeof item>>;
    },
    graphql: (label, query, variables, schema) => gate.read(label, async (signal) => {
      const answer = await octokit.request({ method: 'POST', url: graphqlUrl, query, variables, request: { signal } }).catch((error: unknown) => {
        // a GitHub without the GraphQL endpoint (or a proxy without it): the adapter reads over REST
        throw error instanceof RequestError && error.status === 404 ? new GraphqlRefused(`no GraphQL endpoint at ${graphqlUrl} (404)`) : error;
      });
      watch(answer.headers as Headers);
      const body = check(answer.data, GraphqlAnswer);
      const notFound = (body.errors ?? []).filter((e) => e.type === 'NOT_FOUND');
      const other = (body.errors ?? []).filter((e) => e.type !== 'NOT_FOUND');
      if (other.some((e) => e.type === 'RATE_LIMITED')) throw new GraphqlRateLimited(other[0]?.message ?? 'rate limited', answer.headers as Headers);
      if (other.length > 0 || body.data === undefined || body.data === null) throw new GraphqlRefused(other.map((e) => e.message).join('; ') || 'no data');
      return { data: check(body.data, schema), notFound: notFound.map((e) => String(e.path?.at(-1) ?? '')) };
    }),
    write: (label, route, params) => gate.request(label, async (signal) => {
      const answer = await octokit.request(route, { ...params, request: { signal } });
      watch(answer.headers as Headers);
      return answer.data;
    }),
  };
}
