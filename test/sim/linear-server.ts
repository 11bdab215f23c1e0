// A loopback Linear: a GraphQL endpoint on 127.0.0.1 (free port) that validates every document and its
// variables against the schema in linear-schema.ts and executes it over a seeded, stateful world.
// It counts requests, sends Linear's rate-limit headers, and injects seeded faults (429 with
// Retry-After, Linear's 400 RATELIMITED, 5xx before or after applying, slow and truncated answers).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, buildSchema, execute, getOperationAST, parse, validate } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { SimTicket } from './fixtures.ts';
import { seedTickets } from './fixtures.ts';
import { createFaultDraw, sendTruncated } from './faults.ts';
import type { FaultKind, FaultPlan } from './faults.ts';
import { createRoot } from './linear-resolvers.ts';
import { MAX_COMPLEXITY, queryComplexity } from './linear-complexity.ts';
import { LINEAR_SDL } from './linear-schema.ts';
import { identifier, seedLinearWorld } from './linear-state.ts';
import type { LinearWorld } from './linear-state.ts';

export type LinearSimOptions = {
  /** Seed tickets in the local tickets file's shape (missing fields take its defaults). */
  tickets: readonly unknown[];
  seed?: number;
  faults?: FaultPlan;
  /** The key the simulator accepts in `Authorization` (default `lin_api_sim`). */
  apiKey?: string;
  /** The name of the key's user, the author of comments made through the API (default `nightshift`). */
  viewerName?: string;
  /** List connections newest first instead of oldest first. */
  newestFirst?: boolean;
  /** Complexity points per hour (Linear: 250,000); a query over what remains is rate limited. */
  complexityBudget?: number;
  /** Keys of issues Linear has archived (left out of lists unless `includeArchived`). */
  archived?: string[];
};

export type LinearSim = {
  /** The GraphQL endpoint, for `LINEAR_API_URL`. */
  url: string;
  apiKey: string;
  /** HTTP requests received so far, faulted ones included. */
  requests(): number;
  /** Faults injected so far, in order. */
  injected: FaultKind[];
  /** Documents rejected as invalid (parse, validation, variables, complexity): a correct client sends none. */
  rejected: string[];
  /** The complexity of every executed document, in Linear's points. */
  complexities: number[];
  /** Complexity points charged so far (the executed documents' sum). */
  points(): number;
  /** Resolves once every late-applied request (fault `late-apply`) has been applied. */
  settled(): Promise<void>;
  world: LinearWorld;
  /** The world as fixture tickets, for comparing tracker state after a scenario. */
  tickets(): SimTicket[];
  close(): Promise<void>;
};

const SCHEMA = buildSchema(LINEAR_SDL);
/** Linear's published budgets per API key and hour: requests, and complexity points. */
const RATE_LIMIT = 5000;
const COMPLEXITY_LIMIT = 250_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Whether a request body holds a mutation (faults may be limited to writes). */
function isMutation(raw: string): boolean {
  try {
    const body = JSON.parse(raw) as { query?: unknown; operationName?: unknown };
    if (typeof body.query !== 'string') return false;
    return getOperationAST(parse(body.query), typeof body.operationName === 'string' ? body.operationName : undefined)?.operation === 'mutation';
  } catch {
    return false;
  }
}

function errorBody(message: string, code: string, type: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, type, userError: true, userPresentableMessage: message } }] });
}

export async function startLinearSim(options: LinearSimOptions): Promise<LinearSim> {
  const apiKey = options.apiKey ?? 'lin_api_sim';
  const world = seedLinearWorld(seedTickets(options.tickets), options.viewerName ?? 'nightshift');
  world.newestFirst = options.newestFirst === true;
  for (const issue of world.issues) if (options.archived?.includes(identifier(world, issue))) issue.archivedAt = issue.updatedAt;
  const draw = createFaultDraw(options.seed ?? 1, options.faults);
  const rejected: string[] = [];
  const complexities: number[] = [];
  let late = 0;
  const lateWaiters: Array<() => void> = [];
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  let remaining = RATE_LIMIT;
  let resetAt = Date.now() + 3_600_000;
  const complexityLimit = options.complexityBudget ?? COMPLEXITY_LIMIT;
  let complexityLeft = complexityLimit;
  const complexityResetAt = Date.now() + 3_600_000;
  const complexityHeaders = (cost: number) => ({
    'x-complexity': String(cost),
    'x-ratelimit-complexity-limit': String(complexityLimit),
    'x-ratelimit-complexity-remaining': String(complexityLeft),
    'x-ratelimit-complexity-reset': String(complexityResetAt),
  });
  let baseUrl = '';

  function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    if (res.destroyed) return;
    if (Date.now() >= resetAt) {
      remaining = RATE_LIMIT;
      resetAt = Date.now() + 3_600_000;
    }
    remaining = Math.max(0, remaining - 1);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-requests-limit': String(RATE_LIMIT),
      'x-ratelimit-requests-remaining': String(remaining),
      'x-ratelimit-requests-reset': String(resetAt),
      ...extra,
    });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    count++;
    const raw = await readBody(req);
    if (req.method !== 'POST') return send(res, 405, errorBody('only POST is supported', 'METHOD_NOT_ALLOWED', 'graphql error'));
    if (req.headers.authorization !== apiKey) {
      return send(res, 400, errorBody('Authentication required, not authenticated', 'AUTHENTICATION_ERROR', 'authentication error'));
    }
    const fault = draw.next(isMutation(raw));
    const wait = String(options.faults?.retryAfterSeconds ?? 0);
    if (fault === 'http-429') return send(res, 429, errorBody('Rate limit exceeded', 'RATELIMITED', 'ratelimited'), { 'retry-after': wait });
    if (fault === 'rate-limited') {
      // The window is spent: nothing remains until it resets after `wait` seconds.
      remaining = 0;
      resetAt = Date.now() + Number(wait) * 1000;
      res.writeHead(400, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-requests-limit': String(RATE_LIMIT),
        'x-ratelimit-requests-remaining': '0',
        'x-ratelimit-requests-reset': String(resetAt),
      });
      return void res.end(JSON.stringify({ errors: [{ message: 'Rate limit exceeded', extensions: { code: 'RATELIMITED' } }] }));
    }
    if (fault === 'server-error') return send(res, 503, errorBody('Service unavailable', 'INTERNAL_SERVER_ERROR', 'internal error'));
    if (fault !== 'late-apply') return respond(res, raw, fault);
    // Applied only after the client has given up waiting: a retry must not make it twice.
    late++;
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { timers.delete(timer); resolve(); }, options.faults?.slowMs ?? 2000);
        timers.add(timer);
      });
      await respond(res, raw, fault);
    } finally {
      late--;
      if (late === 0) for (const waiter of lateWaiters.splice(0)) waiter();
    }
  }

  async function respond(res: ServerResponse, raw: string, fault: FaultKind | undefined): Promise<void> {
    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    let document: DocumentNode;
    try {
      request = JSON.parse(raw) as typeof request;
      if (typeof request.query !== 'string') throw new GraphQLError('Must provide query string.');
      document = parse(request.query);
    } catch (error) {
      rejected.push(`parse: ${(error as Error).message}`);
      return send(res, 400, errorBody((error as Error).message, 'GRAPHQL_PARSE_FAILED', 'graphql error'));
    }
    const invalid = validate(SCHEMA, document);
    if (invalid.length > 0) {
      rejected.push(`validate: ${invalid.map((e) => e.message).join('; ')}`);
      return send(res, 400, JSON.stringify({ errors: invalid.map((e) => ({ message: e.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', type: 'graphql error' } })) }));
    }
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const complexity = queryComplexity(SCHEMA, document, variables, operationName);
    complexities.push(complexity);
    if (complexity > MAX_COMPLEXITY) {
      rejected.push(`complexity: ${complexity}`);
      return send(res, 400, errorBody(`Query too complex - complexity is ${complexity}, maximum allowed is ${MAX_COMPLEXITY}`, 'QUERY_TOO_COMPLEX', 'graphql error'));
    }
    if (complexity > complexityLeft) {
      return send(res, 400, JSON.stringify({ errors: [{ message: 'Rate limit exceeded: complexity', extensions: { code: 'RATELIMITED' } }] }), complexityHeaders(complexity));
    }
    complexityLeft -= complexity;
    const result = await execute({
      schema: SCHEMA,
      document,
      rootValue: createRoot(world, baseUrl, fault === 'short-page'),
      variableValues: variables,
      operationName,
    });
    if (result.data === undefined && result.errors) {
      rejected.push(`variables: ${result.errors.map((e) => e.message).join('; ')}`);
      return send(res, 400, JSON.stringify({ errors: result.errors.map((e) => ({ message: e.message, extensions: { code: 'BAD_USER_INPUT', type: 'graphql error' } })) }));
    }
    const body = JSON.stringify(result);
    if (fault === 'server-error-after') return send(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR', 'internal error'));
    if (fault === 'truncated') return sendTruncated(res, 200, body);
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, 200, body);
      }, options.faults?.slowMs ?? 2000);
      timers.add(timer);
      return;
    }
    send(res, 200, body, complexityHeaders(complexity));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(`simulator bug: ${(error as Error).message}`, 'INTERNAL_SERVER_ERROR', 'internal error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: `${baseUrl}/graphql`,
    apiKey,
    requests: () => count,
    injected: draw.injected,
    rejected,
    complexities,
    points: () => complexities.reduce((sum, c) => sum + (c <= MAX_COMPLEXITY ? c : 0), 0),
    settled: () => new Promise<void>((resolve) => (late === 0 ? resolve() : lateWaiters.push(resolve))),
    world,
    tickets: () => world.issues.map((i) => ({
      key: identifier(world, i),
      title: i.title,
      description: i.description ?? '',
      state: categoryOf(world.states.find((s) => s.id === i.stateId)?.type ?? ''),
      labels: world.labels.filter((l) => i.labelIds.includes(l.id)).map((l) => l.name),
      blockedBy: world.relations.filter((r) => r.relatedIssueId === i.id && r.type === 'blocks').map((r) => identifier(world, world.issues.find((x) => x.id === r.issueId)!)),
      comments: world.comments.filter((c) => c.issueId === i.id).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map((c) => ({ author: world.users.find((u) => u.id === c.userId)?.name ?? '', body: c.body, at: c.createdAt })),
    })),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function categoryOf(type: string): SimTicket['state'] {
  return type === 'started' ? 'in_progress' : type === 'completed' ? 'done' : type === 'canceled' ? 'canceled' : 'todo';
}
