// A loopback Jira Cloud: the REST v3 endpoints nightshift uses (enhanced JQL search with token pages,
// issue read with transitions, transitions, comments in ADF, label edits, issue create with entity
// properties, Blocks links) on 127.0.0.1, stateful and seeded, answering in shapes jira.js accepts.
// It counts requests, answers Jira's rate-limit headers (X-RateLimit-Limit/-Remaining/-Reset; past the
// hour's requests 429 with Retry-After and RateLimit-Reason) and injects seeded faults (429/503 with
// Retry-After, 5xx, slow, cut-short bodies).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adfToText } from '../../trackers/jira-adf.ts';
import type { SimTicket } from './fixtures.ts';
import { seedTickets } from './fixtures.ts';
import { createFaultDraw, sendTruncated } from './faults.ts';
import type { FaultKind, FaultPlan } from './faults.ts';
import { handleJira } from './jira-routes.ts';
import type { JiraReply } from './jira-routes.ts';
import { STATUSES, seedJiraWorld } from './jira-state.ts';
import type { JiraWorld } from './jira-state.ts';

export type JiraSimOptions = {
  /** Seed tickets in the local tickets file's shape (missing fields take its defaults). */
  tickets: readonly unknown[];
  seed?: number;
  faults?: FaultPlan;
  email?: string;
  apiToken?: string;
  /** Display name of the API token's account, the author of comments made through the API. */
  userName?: string;
  /** Created issues stay out of search for this long unless named in `reconcileIssues` (as on Jira Cloud). */
  searchLagMs?: number;
  /** Requests an hour (default 10,000); past it, 429 with Retry-After and `RateLimit-Reason: jira-quota-tenant-based`. */
  rateLimit?: number;
};

export type JiraSim = {
  /** The site URL, for `JIRA_HOST`. */
  url: string;
  email: string;
  apiToken: string;
  requests(): number;
  injected: FaultKind[];
  /** Requests answered 400 for a malformed body or JQL (a correct client sends none, bar missing keys). */
  rejected: string[];
  world: JiraWorld;
  tickets(): SimTicket[];
  close(): Promise<void>;
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startJiraSim(options: JiraSimOptions): Promise<JiraSim> {
  const email = options.email ?? 'bot@example.com';
  const apiToken = options.apiToken ?? 'jira-sim-token';
  const expected = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  const world = seedJiraWorld(seedTickets(options.tickets), options.userName ?? 'nightshift');
  world.searchLagMs = options.searchLagMs ?? 0;
  const draw = createFaultDraw(options.seed ?? 1, options.faults);
  const rejected: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  let base = '';
  // Jira Cloud's rate-limit headers on every answer: the window's limit, what is left, its reset as ISO 8601 to the minute
  const limit = options.rateLimit ?? 10_000;
  const windowEnd = Date.now() + 3_600_000;
  let used = 0;
  const resetText = () => new Date(Math.ceil(windowEnd / 60_000) * 60_000).toISOString().replace(/:00\.000Z$/, 'Z');
  const rateHeaders = (): Record<string, string> => ({ 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(Math.max(0, limit - used)), 'x-ratelimit-reset': resetText() });

  function send(res: ServerResponse, reply: JiraReply, extra: Record<string, string> = {}): void {
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(body ? { 'content-type': 'application/json;charset=UTF-8' } : {}), ...rateHeaders(), ...extra });
    res.end(body);
  }
  const error = (status: number, ...messages: string[]): JiraReply => ({ status, body: { errorMessages: messages, errors: {} } });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    count++;
    const raw = await readBody(req);
    if (req.headers.authorization !== expected) return send(res, error(401, 'Client must be authenticated to access this resource.'));
    if (used >= limit) {
      return send(res, error(429, 'Rate limit exceeded.'), { 'retry-after': String(Math.ceil((windowEnd - Date.now()) / 1000)), 'ratelimit-reason': 'jira-quota-tenant-based' });
    }
    used++;
    const fault = draw.next(req.method !== 'GET' && !(req.url ?? '').startsWith('/rest/api/3/search/jql'));
    const wait = String(options.faults?.retryAfterSeconds ?? 0);
    if (fault === 'http-429') {
      return send(res, error(429, 'Rate limit exceeded.'), { 'retry-after': wait, 'x-ratelimit-remaining': '0', 'ratelimit-reason': 'jira-burst-based' });
    }
    if (fault === 'rate-limited') return send(res, error(503, 'Service unavailable, try again later.'), { 'retry-after': wait });
    if (fault === 'server-error') return send(res, error(502, 'Bad gateway'));
    const url = new URL(req.url ?? '/', base);
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      rejected.push(`${req.method} ${url.pathname}: body is not JSON`);
      return send(res, error(400, 'Unexpected character in the request body.'));
    }
    const reply = handleJira(world, base, { method: req.method ?? 'GET', url, body, shortPage: fault === 'short-page' });
    if (reply.status === 400 && !reply.expected) rejected.push(`${req.method} ${url.pathname}: ${JSON.stringify(reply.body)}`);
    if (fault === 'server-error-after') return send(res, error(500, 'Internal server error'));
    if (fault === 'truncated') {
      if (reply.body === undefined) return void res.socket?.destroy();
      return sendTruncated(res, reply.status, JSON.stringify(reply.body));
    }
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, reply);
      }, options.faults?.slowMs ?? 2000);
      timers.add(timer);
      return;
    }
    send(res, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, error(500, `simulator bug: ${(e as Error).message}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    email,
    apiToken,
    requests: () => count,
    injected: draw.injected,
    rejected,
    world,
    tickets: () => world.issues.map((i) => {
      const s = STATUSES.find((x) => x.id === i.statusId)!;
      return {
        key: i.key,
        title: i.summary,
        description: adfToText(i.description),
        state: s.category === 'new' ? 'todo' : s.category === 'indeterminate' ? 'in_progress' : s.resolution === 'Done' ? 'done' : 'canceled',
        labels: [...i.labels],
        blockedBy: world.links.filter((l) => l.outward === i.id).map((l) => world.issues.find((x) => x.id === l.inward)!.key),
        comments: i.comments.map((c) => ({ author: world.users.find((u) => u.accountId === c.authorId)?.displayName ?? '', body: adfToText(c.body), at: new Date(c.created).toISOString() })),
      };
    }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
