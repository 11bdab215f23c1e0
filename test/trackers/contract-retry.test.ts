// The request gate against the simulators: Retry-After and Linear's rate-limit reset are waited out
// (through an injected sleep, so the test never sleeps), backoff is jittered, the per-run budget
// stops requests before they are sent, and credentials are checked before any request.
import { describe, expect, test } from 'vitest';
import { parseBatch } from '../../trackers/batch.ts';
import { openTracker } from '../../trackers/open.ts';
import { generateTickets } from '../sim/fixtures.ts';
import type { FaultPlan } from '../sim/faults.ts';
import { startHarness } from '../sim/harness.ts';
import type { HarnessKind } from '../sim/harness.ts';
import { startJiraSim } from '../sim/jira-server.ts';
import { startLinearSim } from '../sim/linear-server.ts';
import { openLinearTracker } from '../../trackers/linear.ts';
import { openJiraTracker } from '../../trackers/jira.ts';

const TICKETS = generateTickets('ENG', 1, 5, 2);
const BATCH = parseBatch('ENG-1..ENG-5');

async function sleepsDuringRead(kind: HarnessKind, faults: FaultPlan, gate: { random?: () => number; baseDelayMs?: number } = {}) {
  const slept: number[] = [];
  const h = await startHarness(kind, { tickets: TICKETS, faults, gate: { ...gate, sleep: async (ms) => { slept.push(ms); } } });
  try {
    const read = await h.tracker.readBatch(BATCH);
    expect(read.tickets).toHaveLength(5);
    return { slept, requests: h.requests(), counted: h.tracker.requestCount() };
  } finally {
    await h.close();
  }
}

describe.each<HarnessKind>(['linear', 'jira'])('request gate: %s', (kind) => {
  test('waits out Retry-After of a 429, then reads', async () => {
    const { slept, requests, counted } = await sleepsDuringRead(kind, { rate: 1, kinds: ['http-429'], retryAfterSeconds: 7, limit: 1 });
    expect(slept).toEqual([7000]);
    expect([requests, counted]).toEqual([2, 2]);
  });

  test('backs off with jitter after a 5xx', async () => {
    const { slept } = await sleepsDuringRead(kind, { rate: 1, kinds: ['server-error'], limit: 2 }, { random: () => 0.5, baseDelayMs: 100 });
    expect(slept).toEqual([50, 100]);
  });

  test('follows short pages (fewer issues than asked, more to come) to the end', async () => {
    const h = await startHarness(kind, { tickets: generateTickets('ENG', 1, 250, 5), faults: { rate: 1, kinds: ['short-page'] } });
    try {
      const read = await h.tracker.readBatch(parseBatch('ENG-1..ENG-250'));
      expect(read.tickets.map((t) => t.key)).toEqual(Array.from({ length: 250 }, (_, i) => `ENG-${i + 1}`));
      expect(read.missing).toEqual([]);
      expect(h.requests()).toBeGreaterThan(3);
    } finally {
      await h.close();
    }
  });

  test('keeps the per-run request budget: the request over it is never sent', async () => {
    const h = await startHarness(kind, { tickets: generateTickets('ENG', 1, 250, 4), gate: { budget: 3 } });
    try {
      await h.tracker.readBatch(parseBatch('ENG-1..ENG-250'));
      await expect(h.tracker.moveTicket('ENG-1', 'done')).rejects.toMatchObject({ code: 'tracker-request-budget', exitCode: 2 });
      expect(h.requests()).toBe(3);
    } finally {
      await h.close();
    }
  });
});

test("linear: Linear's 400 RATELIMITED waits for the window's reset header", async () => {
  const { slept } = await sleepsDuringRead('linear', { rate: 1, kinds: ['rate-limited'], retryAfterSeconds: 5, limit: 1 });
  expect(slept).toHaveLength(1);
  expect(slept[0]).toBeGreaterThan(4000);
  expect(slept[0]).toBeLessThanOrEqual(5000);
});

test('linear: a comment applied only after its request timed out is not made twice (client-generated ids)', async () => {
  const sim = await startLinearSim({ tickets: TICKETS, faults: { rate: 1, kinds: ['late-apply'], on: 'writes', limit: 1, slowMs: 600 } });
  try {
    const tracker = openLinearTracker({ apiKey: sim.apiKey, apiUrl: sim.url, gate: { timeoutMs: 250, baseDelayMs: 1 } });
    await tracker.comment('ENG-1', 'exactly once');
    await sim.settled();
    expect(sim.injected).toEqual(['late-apply']);
    expect(sim.tickets().find((t) => t.key === 'ENG-1')?.comments.filter((c) => c.body === 'exactly once')).toHaveLength(1);
  } finally {
    await sim.close();
  }
});

test('jira: a ticket just created is found despite search lag, by this tracker and by another process', async () => {
  const sim = await startJiraSim({ tickets: TICKETS, searchLagMs: 300 });
  try {
    const tracker = openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true });
    const created = await tracker.createTicket({ title: 'found at once', description: '', labels: [BATCH.label], blocks: ['ENG-2'], blockedBy: [] });
    expect(created).toMatchObject({ key: 'ENG-6', title: 'found at once', labels: [BATCH.label] });
    expect((await tracker.readBatch(BATCH)).tickets.map((t) => t.key)).toContain('ENG-6');
    // A fresh tracker (as the oracle is, in its own process) knows nothing to reconcile, and still sees it:
    // createTicket returned only once Jira's index showed the new ticket to a plain search.
    const oracleLike = openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true });
    expect((await oracleLike.readBatch(BATCH)).tickets.map((t) => t.key)).toContain('ENG-6');
    expect(sim.rejected).toEqual([]);
  } finally {
    await sim.close();
  }
});

test('jira: a reopened ticket is not left reading "done" in the lagging search', async () => {
  const done = TICKETS.map((t) => ({ ...t, state: 'done' as const }));
  const sim = await startJiraSim({ tickets: done, searchLagMs: 300 });
  try {
    const tracker = openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true });
    await tracker.moveTicket('ENG-3', 'todo');
    const oracleLike = openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true });
    expect((await oracleLike.readBatch(BATCH)).tickets.find((t) => t.key === 'ENG-3')?.state).toBe('todo');
  } finally {
    await sim.close();
  }
});

describe('credentials and settings, checked before any request', () => {
  test('missing credentials are named with where to get them, values never shown', async () => {
    await expect(openTracker({ kind: 'linear' }, {})).rejects.toMatchObject({ code: 'linear-credentials-missing', exitCode: 2, message: expect.stringContaining('LINEAR_API_KEY') });
    const jira = openTracker({ kind: 'jira' }, { JIRA_HOST: 'https://x.atlassian.net', JIRA_API_TOKEN: 'secret-token-value' });
    await expect(jira).rejects.toMatchObject({ code: 'jira-credentials-missing', message: expect.stringMatching(/JIRA_EMAIL/) });
    await expect(jira).rejects.not.toMatchObject({ message: expect.stringContaining('secret-token-value') });
  });

  test('a Linear endpoint over plain http off loopback is refused without echoing the key', async () => {
    const attempt = openTracker({ kind: 'linear' }, { LINEAR_API_KEY: 'lin_api_secret_value', LINEAR_API_URL: 'http://linear.example.com/graphql' });
    await expect(attempt).rejects.toMatchObject({ code: 'linear-config' });
    await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining('lin_api_secret_value') });
  });

  test('bad limits in the environment are usage errors', async () => {
    await expect(openTracker({ kind: 'linear' }, { LINEAR_API_KEY: 'k', NIGHTSHIFT_TRACKER_BUDGET: 'lots' })).rejects.toMatchObject({ code: 'bad-env', exitCode: 2 });
  });
});

describe('the simulators speak their APIs strictly', () => {
  test('linear: a document that does not fit the schema is rejected and recorded', async () => {
    const sim = await startLinearSim({ tickets: TICKETS });
    try {
      const post = (body: unknown) => fetch(sim.url, { method: 'POST', headers: { authorization: sim.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post({ query: '{ issue(id: "ENG-1") { identifier nope } }' })).status).toBe(400);
      expect((await post({ query: 'query($n: Int!) { issues(first: $n) { nodes { id } } }', variables: { n: 'ten' } })).status).toBe(400);
      const ok = await post({ query: '{ issue(id: "ENG-1") { identifier state { type } } }' });
      expect(await ok.json()).toEqual({ data: { issue: { identifier: 'ENG-1', state: { type: expect.any(String) } } } });
      expect(sim.rejected).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });

  test('jira: the old /search answers 410 Gone, a JQL key that does not exist answers 400', async () => {
    const sim = await startJiraSim({ tickets: TICKETS });
    try {
      const auth = `Basic ${Buffer.from(`${sim.email}:${sim.apiToken}`).toString('base64')}`;
      const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/rest/api/3/search', { jql: 'key = ENG-1' })).status).toBe(410);
      const missing = await post('/rest/api/3/search/jql', { jql: 'key in (ENG-1, ENG-77)' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ errorMessages: ["An issue with key 'ENG-77' does not exist for field 'key'."] });
    } finally {
      await sim.close();
    }
  });
});
