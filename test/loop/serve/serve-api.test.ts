// The dashboard's JSON API, from the real serve process over HTTP: each endpoint's JSON against the
// schema the README documents, events by index, the token when one is set, and the usage errors.
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BatchDetail, BatchList, EventPage } from '../../../loop/serve/schema.ts';
import { runCli } from '../../helpers/cli.ts';
import { writeDashboardStateDir } from '../../helpers/dashboard-state.ts';
import { startServe } from '../../helpers/serve.ts';
import type { Served } from '../../helpers/serve.ts';

const root = mkdtempSync(join(tmpdir(), 'nightshift-serve-'));
const dir = join(root, 'nightshift', 'repo-0a1b2c3d', 'nightshift-dash');
const TOKEN = 'a-token-of-sixteen-chars';
let served: Served;
let guarded: Served;

beforeAll(async () => {
  writeDashboardStateDir(dir, { tickets: 24, running: 2, pid: process.pid });
  [served, guarded] = await Promise.all([startServe(['--all'], { ...process.env, XDG_STATE_HOME: root, NIGHTSHIFT_SERVE_TOKEN: '' }), startServe(['--state', dir, '--token', TOKEN])]);
});
afterAll(async () => {
  await Promise.all([served.stop(), guarded.stop()]);
});

const fetchText = async (base: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(new URL(path, base), { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

test('the API: batches, a batch, its events by index; each JSON matches the schema', async () => {
  // --all lists the state dirs under $XDG_STATE_HOME/nightshift
  const list = await fetchText(served.url, '/api/batches');
  expect(list.status).toBe(200);
  const batches = BatchList.parse(JSON.parse(list.body)).batches;
  expect(batches.map((b) => [b.dir, b.batch, b.loop])).toEqual([[dir, 'ENG-1..ENG-24', 'running']]);
  const id = batches[0]?.id ?? '';

  const detail = BatchDetail.parse(JSON.parse((await fetchText(served.url, `/api/batches/${id}`)).body));
  expect(detail.tickets).toHaveLength(24);
  expect(Object.fromEntries(['done', 'gated', 'running', 'retrying', 'blocked', 'todo'].map((s) => [s, detail.tickets.filter((t) => t.state === s).length]))).toEqual({ done: 21, gated: 1, running: 2, retrying: 0, blocked: 0, todo: 0 });
  expect(detail.tickets.find((t) => t.key === 'ENG-7')).toMatchObject({ blocked_by: ['ENG-4', 'ENG-3'], depth: 2 });
  expect(detail.running.map((r) => r.ticket)).toEqual(['ENG-23', 'ENG-24']);
  expect(detail.heals.map((h) => h.tripwire)).toEqual(['accepted', 'rejected']);
  expect(detail.budgets).toMatchObject({ batch: { limit_usd: 100 }, day: { limit_usd: 40 }, ticket: { limit_usd: 2, max_spent_usd: 0.5 } });
  expect(detail.interventions).toMatchObject([{ type: 'request', kind: 'work', ticket: 'ENG-22' }]);

  const page = EventPage.parse(JSON.parse((await fetchText(served.url, `/api/batches/${id}/events?since=${detail.event_count - 2}`)).body));
  expect(page).toMatchObject({ since: detail.event_count - 2, next: detail.event_count });
  expect(page.events.map((e) => [e.index, e.type])).toEqual([[detail.event_count - 2, 'agent-start'], [detail.event_count - 1, 'schedule']]);

  expect(await fetchText(served.url, `/api/batches/${id}/events?since=-1`)).toMatchObject({ status: 400 });
  expect(await fetchText(served.url, '/api/batches/000000000000')).toMatchObject({ status: 404 });
  expect((await fetchText(served.url, `/api/batches/${id}/timeline.svg`)).body).toMatch(/^<svg class="timeline"/);
  expect((await fetch(new URL('/api/batches', served.url), { method: 'POST' })).status).toBe(405);
});

test('with a token: every request needs it, as a bearer header or ?token=', async () => {
  expect(await fetchText(guarded.url, '/api/batches')).toMatchObject({ status: 401 });
  expect(await fetchText(guarded.url, '/api/batches', { authorization: 'Bearer not-the-token-at-all' })).toMatchObject({ status: 401 });
  expect(await fetchText(guarded.url, '/')).toMatchObject({ status: 401 });
  expect(await fetchText(guarded.url, '/api/batches', { authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 200 });
  expect(await fetchText(guarded.url, `/?token=${TOKEN}`)).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
});

test('without a token, a request addressed to another host name is refused (DNS rebinding)', async () => {
  const status = (host: string) => new Promise<number>((resolve, reject) => {
    const url = new URL('/api/batches', served.url);
    get(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  expect(await status('evil.example:7390')).toBe(403);
  expect(await status(`localhost:${new URL(served.url).port}`)).toBe(200);
});

test('usage errors are exit 2 with what to do', async () => {
  const open = await runCli(['serve', '--state', dir, '--host', '0.0.0.0']);
  expect(open.exitCode).toBe(2);
  expect(open.stderr).toMatch(/--host 0\.0\.0\.0 would show the dashboard beyond this machine: give it a token too/);
  const both = await runCli(['serve', '--state', dir, '--all']);
  expect([both.exitCode, both.stderr]).toEqual([2, expect.stringMatching(/--state and --all contradict each other/)]);
  const missing = await runCli(['serve', '--state', join(root, 'nowhere')]);
  expect([missing.exitCode, missing.stderr]).toEqual([2, expect.stringMatching(/is not a directory/)]);
});
