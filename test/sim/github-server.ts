// A loopback GitHub API: the REST issue endpoints nightshift uses (github-routes.ts) and the GraphQL
// batch read (github-graphql.ts) on 127.0.0.1,
// stateful and seeded, answering in GitHub's shapes with GitHub's rate-limit headers on every answer
// (x-ratelimit-limit/remaining/used/reset/resource). It counts requests, keeps the primary limit (403
// with x-ratelimit-remaining: 0 once the hour's requests are spent) and injects seeded faults: the
// secondary limit (429 with retry-after), the primary limit's 403, 5xx before or after applying, slow
// answers, bodies cut short, short pages.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyBlockers } from '../../trackers/github.ts';
import { keyPrefix } from '../../trackers/github-batch.ts';
import { createFaultDraw, sendTruncated } from './faults.ts';
import type { FaultKind, FaultPlan } from './faults.ts';
import type { SimTicket } from './fixtures.ts';
import { seedTickets, splitKey } from './fixtures.ts';
import { GRAPHQL_ROUTES } from './github-graphql.ts';
import { ISSUE_ROUTES, createRouter } from './github-routes.ts';
import type { GithubReply, Route } from './github-routes.ts';
import { IN_PROGRESS, seedGithubWorld } from './github-state.ts';
import type { GithubWorld } from './github-state.ts';

export type GithubSimOptions = {
  /** Seed tickets in the local tickets file's shape; key `ENG-7` is issue #7 of `owner/eng`. */
  tickets: readonly unknown[];
  seed?: number;
  faults?: FaultPlan;
  token?: string;
  owner?: string;
  /** The token account's login, author of comments made through the API. */
  login?: string;
  /** false: an API without issue dependencies (404, no summary); blockers live in `Blocked by #N` lines. */
  dependencies?: boolean;
  /** Requests an hour (GitHub: 5,000 for a user token); past it, 403 with x-ratelimit-remaining: 0. */
  rateLimit?: number;
  /** More route tables (pull requests, check runs), matched before the issue routes. */
  routes?: Route[];
};

export type GithubSim = {
  /** The API root, for `GITHUB_API_URL` (`${url}/api/v3` answers as GitHub Enterprise Server does). */
  url: string;
  token: string;
  /** `owner/name`, for `GITHUB_REPOSITORY`. */
  repository: string;
  requests(): number;
  injected: FaultKind[];
  /** Requests answered 422 (a correct client sends none). */
  rejected: string[];
  world: GithubWorld;
  tickets(): SimTicket[];
  close(): Promise<void>;
};

const DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startGithubSim(options: GithubSimOptions): Promise<GithubSim> {
  const token = options.token ?? 'github-sim-token';
  const tickets = seedTickets(options.tickets);
  const name = splitKey(tickets[0]?.key ?? 'ENG-1').prefix.toLowerCase();
  const world = seedGithubWorld(tickets, { owner: options.owner ?? 'acme', name, login: options.login ?? 'nightshift', dependencies: options.dependencies ?? true });
  const route = createRouter([...(options.routes ?? []), ...ISSUE_ROUTES, ...GRAPHQL_ROUTES]);
  const draw = createFaultDraw(options.seed ?? 1, options.faults);
  const limit = options.rateLimit ?? 5000;
  const windowStart = Math.floor(Date.now() / 1000);
  const rejected: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  // REST (`core`) and GraphQL (`graphql`) have budgets of their own, as on GitHub (a GraphQL query costs 1 here)
  const spent = { core: 0, graphql: 0 };
  let resource: keyof typeof spent = 'core';
  let base = '';

  function rateHeaders(spentNow = false, resetAt = windowStart + 3600): Record<string, string> {
    const used = spent[resource];
    return {
      'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(spentNow ? 0 : Math.max(0, limit - used)),
      'x-ratelimit-used': String(spentNow ? limit : used), 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-resource': resource,
    };
  }

  function send(res: ServerResponse, reply: GithubReply, headers: Record<string, string>): void {
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'x-github-api-version-selected': '2022-11-28', 'x-github-request-id': `SIM:${count}`, ...headers, ...reply.headers,
    });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    count++;
    const raw = await readBody(req);
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      return send(res, { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } }, {});
    }
    const url = new URL(req.url ?? '/', base);
    // GitHub Enterprise Server's paths: REST under /api/v3, GraphQL at /api/graphql
    const enterprise = url.pathname.startsWith('/api/');
    url.pathname = url.pathname.replace(/^\/api\/v3(?=\/(?!graphql$))/, '').replace(/^\/api\/graphql$/, '/graphql');
    resource = url.pathname === '/graphql' ? 'graphql' : 'core';
    if (url.pathname === '/rate_limit') {
      const budget = (used: number) => ({ limit, used, remaining: Math.max(0, limit - used), reset: windowStart + 3600 });
      return send(res, { status: 200, body: { resources: { core: budget(spent.core), graphql: budget(spent.graphql) }, rate: budget(spent.core) } }, rateHeaders());
    }
    if (spent[resource] >= limit) {
      return send(res, { status: 403, body: { message: 'API rate limit exceeded for user ID 1001.', documentation_url: DOCS, status: '403' } }, rateHeaders());
    }
    spent[resource]++;
    const fault = draw.next(req.method !== 'GET');
    const wait = options.faults?.retryAfterSeconds ?? 0;
    if (fault === 'http-429') {
      return send(res, { status: 429, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS, status: '429' } }, { ...rateHeaders(), 'retry-after': String(wait) });
    }
    if (fault === 'rate-limited') {
      return send(res, { status: 403, body: { message: 'API rate limit exceeded for user ID 1001.', documentation_url: DOCS, status: '403' } }, rateHeaders(true, Math.ceil(Date.now() / 1000 + wait)));
    }
    if (fault === 'server-error') return send(res, { status: 502, body: { message: 'Server Error' } }, rateHeaders());
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      rejected.push(`${req.method} ${url.pathname}: body is not JSON`);
      return send(res, { status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest', status: '400' } }, rateHeaders());
    }
    const reply = route(world, { method: req.method ?? 'GET', url, body, base: enterprise ? `${base}/api/v3` : base, shortPage: fault === 'short-page' });
    if (reply.status === 422 || reply.status === 400) rejected.push(`${req.method} ${url.pathname}: ${JSON.stringify(reply.body)}`);
    if (fault === 'server-error-after') return send(res, { status: 500, body: { message: 'Server Error' } }, rateHeaders());
    if (fault === 'truncated') {
      if (reply.body === undefined) return void res.socket?.destroy();
      return sendTruncated(res, reply.status, JSON.stringify(reply.body));
    }
    const headers = rateHeaders();
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, reply, headers);
      }, options.faults?.slowMs ?? 2000);
      timers.add(timer);
      return;
    }
    send(res, reply, headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { message: `simulator bug: ${(e as Error).message}` } }, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prefix = keyPrefix({ owner: world.owner, name: world.name });

  return {
    url: base,
    token,
    repository: `${world.owner}/${world.name}`,
    requests: () => count,
    injected: draw.injected,
    rejected,
    world,
    tickets: () => world.issues.map((i) => ({
      key: `${prefix}-${i.number}`,
      title: i.title,
      description: (i.body ?? '').replace(/\n*<!-- nightshift-token: [0-9a-f-]+ -->\s*$/, ''),
      state: i.state === 'open' ? (i.labels.includes(IN_PROGRESS) ? 'in_progress' : 'todo') : i.stateReason === 'completed' ? 'done' : 'canceled',
      labels: i.labels.filter((l) => l !== IN_PROGRESS),
      blockedBy: (world.dependencies ? i.blockedBy.map((id) => world.issues.find((x) => x.id === id)!.number) : bodyBlockers(i.body)).map((n) => `${prefix}-${n}`),
      comments: i.comments.map((c) => ({ author: c.login, body: c.body, at: new Date(c.created).toISOString() })),
    })),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
