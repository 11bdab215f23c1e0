// The dashboard's HTTP server (node:http, read-only): the page, the JSON API and a server-sent-event
// stream per batch. With a token, every request must carry it (`Authorization: Bearer T`, or `?token=T`
// for the browser's page and event stream), compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { isAlive } from '../process/alive.ts';
import { loadStateDir } from '../report/load.ts';
import type { LoadedState } from '../report/load.ts';
import { renderTimeline } from '../report/timeline.ts';
import { batchDetail, batchId, batchSummary, eventsPath, eventsSince } from './api.ts';
import { renderPage } from './page.ts';
import { openTail } from './tail.ts';
import type { Tail } from './tail.ts';

export type ServeOptions = {
  /** The state dirs to show, listed afresh on every request (a new batch appears without a restart). */
  dirs: () => string[];
  token: string | undefined;
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The host of a Host header, without its port. */
function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether `given` is the token, in time that does not depend on where they differ. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  return timingSafeEqual(digest(given ?? ''), digest(token)) && given !== undefined;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
const problem = (res: ServerResponse, status: number, error: string, message: string) => json(res, status, { error, message });

export function openServer(options: ServeOptions): Server {
  const tails = new Map<string, Tail>();
  const find = (id: string): string | undefined => options.dirs().find((dir) => batchId(dir) === id);
  // a state dir is read again only when one of its files changed (or its running loop died)
  const cache = new Map<string, { key: string; state: LoadedState }>();
  const load = (dir: string): LoadedState => {
    const key = ['events.jsonl', 'run.json', 'loop.pid', 'oracle.last.json', 'interventions.jsonl'].map((name) => {
      try {
        const stat = statSync(join(dir, name));
        return `${stat.size}:${stat.mtimeMs}`;
      } catch {
        return '-';
      }
    }).join('|');
    const hit = cache.get(dir);
    if (hit && hit.key === key && !(hit.state.liveness === 'running' && hit.state.pid !== undefined && !isAlive(hit.state.pid))) return hit.state;
    const state = loadStateDir(dir);
    cache.set(dir, { key, state });
    return state;
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      problem(res, 500, 'internal', (error as Error).message);
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 405, 'read-only', 'the dashboard is read-only: only GET and HEAD');
    // without a token the dashboard is loopback's only: a page elsewhere must not reach it by DNS rebinding
    if (options.token === undefined && !LOOPBACK_HOSTS.has(hostnameOf(req.headers.host))) {
      return problem(res, 403, 'not-loopback', `this dashboard answers only requests addressed to 127.0.0.1, localhost or [::1], not "${req.headers.host ?? ''}"; serve it with --host and --token to reach it otherwise`);
    }
    if (options.token !== undefined) {
      const header = req.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : url.searchParams.get('token') ?? undefined;
      if (!tokenMatches(given, options.token)) {
        res.setHeader('www-authenticate', 'Bearer');
        return problem(res, 401, 'unauthorized', 'this dashboard needs its token: `Authorization: Bearer TOKEN`, or ?token=TOKEN in the page URL');
      }
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/' || (parts[0] === 'b' && parts.length === 2)) return send(res, 200, 'text/html; charset=utf-8', renderPage());
    if (url.pathname === '/healthz') return json(res, 200, { ok: true });
    if (parts[0] !== 'api' || parts[1] !== 'batches') return problem(res, 404, 'not-found', `no such page: ${url.pathname}. The API is under /api/batches.`);
    if (parts.length === 2) return json(res, 200, { batches: options.dirs().map((dir) => batchSummary(load(dir))) });
    const dir = find(parts[2] ?? '');
    if (!dir) return problem(res, 404, 'no-batch', `no batch ${parts[2] ?? ''}; GET /api/batches lists them`);
    if (parts.length === 3) return json(res, 200, batchDetail(load(dir)));
    if (parts.length === 4 && parts[3] === 'events') {
      const since = Number(url.searchParams.get('since') ?? '0');
      if (!Number.isInteger(since) || since < 0) return problem(res, 400, 'bad-since', `since must be an event index (a whole number from 0), not "${url.searchParams.get('since') ?? ''}"`);
      return json(res, 200, eventsSince(load(dir).events, since));
    }
    if (parts.length === 4 && parts[3] === 'timeline.svg') {
      const state = load(dir);
      const end = state.liveness === 'running' ? new Date().toISOString() : state.model.last ?? new Date().toISOString();
      return send(res, 200, 'image/svg+xml; charset=utf-8', renderTimeline(state.model, end, (state.oracleTickets ?? []).map((t) => t.key)));
    }
    if (parts.length === 4 && parts[3] === 'stream') return stream(req, res, dir, url);
    return problem(res, 404, 'not-found', `no such resource: ${url.pathname}`);
  }

  /** Server-sent events: every event of the log from `Last-Event-ID` (or ?since) on, then each new one. */
  function stream(req: IncomingMessage, res: ServerResponse, dir: string, url: URL): void {
    const last = req.headers['last-event-id'];
    const from = typeof last === 'string' && /^\d+$/.test(last) ? Number(last) + 1 : Number(url.searchParams.get('since') ?? '0') || 0;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    let tail = tails.get(dir);
    if (!tail) {
      tail = openTail(eventsPath(dir));
      tails.set(dir, tail);
    }
    const stop = tail.listen((event) => {
      res.write(`id: ${event.index}\nevent: loop-event\ndata: ${JSON.stringify(event)}\n\n`);
    }, from, (start) => eventsSince(load(dir).events, start, Number.MAX_SAFE_INTEGER).events);
    // a comment now and then keeps proxies and phones from closing an idle stream
    const ping = setInterval(() => res.write(': ping\n\n'), 20_000);
    ping.unref();
    req.on('close', () => {
      clearInterval(ping);
      stop();
    });
  }

  server.on('close', () => {
    for (const tail of tails.values()) tail.close();
  });
  return server;
}
