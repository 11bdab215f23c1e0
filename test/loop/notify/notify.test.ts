// Webhook notifications against real loopback HTTP receivers: each notice reaches a receiver once in
// Slack's shape (or the generic JSON one), a refusing receiver is retried, a dead one is a
// `notify-failed` event that changes nothing else, and no secret of the environment is carried.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { budgetNotices, healNotices, noticeOfEvent, runEnded, toldBefore } from '../../../loop/notify/notices.ts';
import { openNotifier } from '../../../loop/notify/notify.ts';
import type { LoopEvent } from '../../../loop/state/state.ts';

type Received = { path: string; type: string | undefined; body: unknown };
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A receiver that answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; requests: () => number }> {
  const got: Received[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests++;
      const status = statuses.shift() ?? 200;
      if (status === 200) got.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secretpath`, got, requests: () => requests };
}

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}/hook`;
}

const ctx = { batch: 'ENG-1..ENG-9', run: '20261204T010000-abcdef', stateDir: '/state', env: { LINEAR_API_KEY: 'lin_api_abcdefghijklmnopqrstuvwxyz' } };
const history: Array<LoopEvent & { ts: string }> = [
  { ts: '2026-12-04T01:00:00.000Z', type: 'heal-end', heal: 'h1', classification: 'gap', summary: 'retry the flaky fetch', tripwire: 'accepted' },
  { ts: '2026-12-04T01:10:00.000Z', type: 'heal-end', heal: 'h2', classification: 'gap', summary: 'loosen the oracle', tripwire: 'rejected' },
  { ts: '2026-12-04T01:20:00.000Z', type: 'heal-end', heal: 'h3', classification: 'wall', summary: 'needs a credential' },
];

function everyNotice() {
  return [
    runEnded(ctx, 3, '1 ticket(s) need a human'),
    noticeOfEvent(ctx, { type: 'ticket-gated', ticket: 'ENG-4', ts: '2026-12-04T01:30:00.000Z', reason: 'needs the key lin_api_abcdefghijklmnopqrstuvwxyz' }),
    ...healNotices(ctx, history),
    ...budgetNotices(ctx, [{ scope: 'batch', spentUsd: 8.5, limitUsd: 10 }, { scope: 'day', spentUsd: 1, limitUsd: 10 }, { scope: 'ticket:ENG-2', spentUsd: 2, limitUsd: 2 }], new Set(), '2026-12-04'),
  ].filter((n) => n !== undefined);
}

test('each notice reaches a Slack-shaped receiver once, with nothing but its text', async () => {
  const slack = await receiver();
  const events: LoopEvent[] = [];
  const notifier = openNotifier([{ url: slack.url, format: 'slack' }], { emit: (e) => events.push(e) });
  for (const notice of everyNotice()) notifier.send(notice);
  await notifier.drain(10_000);
  expect(slack.got.map((g) => g.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
    { text: 'nightshift ENG-1..ENG-9: a heal was accepted by the tripwire: retry the flaky fetch' },
    { text: 'nightshift ENG-1..ENG-9: a heal was rejected by the tripwire: loosen the oracle' },
    { text: 'nightshift ENG-1..ENG-9: ENG-4 is gated for a person: needs the key [redacted:LINEAR_API_KEY]' },
    { text: 'nightshift ENG-1..ENG-9: run ended, needs a human (exit 3): 1 ticket(s) need a human' },
    { text: "nightshift ENG-1..ENG-9: the batch's budget is at 85%: $8.50 of $10.00" },
    { text: 'nightshift ENG-1..ENG-9: the budget of ENG-2 is at 100%: $2.00 of $2.00' },
  ]);
  expect(slack.requests()).toBe(6);
  expect(new Set(slack.got.map((g) => g.type))).toEqual(new Set(['application/json']));
  // the events name the receiver's host, never its path (a Slack webhook's path is its secret)
  expect(events.map((e) => [e.type, e.target, e.attempts])).toEqual(Array(6).fill(['notify-sent', new URL(slack.url).host, 1]));
  expect(JSON.stringify(events)).not.toContain('secretpath');
  // a later loop does not tell of the same heals again
  expect(healNotices(ctx, [...history, ...events.map((e) => ({ ts: '2026-12-04T02:00:00.000Z', ...e }))])).toEqual([]);
  expect(toldBefore(events).has('budget:batch')).toBe(true);
});

test('the generic JSON shape carries the kind and the facts', async () => {
  const hook = await receiver();
  const notifier = openNotifier([{ url: hook.url, format: 'json' }], { emit: () => undefined });
  notifier.send(runEnded(ctx, 4, 'the budget is spent ($10.00 of $10.00): no new pass starts'));
  await notifier.drain(10_000);
  expect(hook.got.map((g) => g.body)).toEqual([{
    kind: 'run-ended', text: 'nightshift ENG-1..ENG-9: run ended, budget spent (exit 4): the budget is spent ($10.00 of $10.00): no new pass starts',
    batch: 'ENG-1..ENG-9', run: '20261204T010000-abcdef', state_dir: '/state', outcome: 'budget spent', exit_code: 4,
    reason: 'the budget is spent ($10.00 of $10.00): no new pass starts',
  }]);
});

test('a receiver that answers 503 is retried; one that refuses with 400 is not', async () => {
  const flaky = await receiver([503, 503]);
  const refusing = await receiver([400]);
  const events: LoopEvent[] = [];
  const notifier = openNotifier([{ url: flaky.url, format: 'slack' }, { url: refusing.url, format: 'slack' }], { emit: (e) => events.push(e), minTimeoutMs: 10 });
  notifier.send(runEnded(ctx, 0, 'the oracle says done'));
  await notifier.drain(10_000);
  expect([flaky.requests(), flaky.got.length, refusing.requests(), refusing.got.length]).toEqual([3, 1, 1, 0]);
  expect(events.map((e) => [e.type, e.attempts, e.problem])).toEqual(expect.arrayContaining([['notify-sent', 3, undefined], ['notify-failed', 1, 'HTTP 400']]));
});

test('a dead receiver is a notify-failed event; the live one still gets every notice, once', async () => {
  const live = await receiver();
  const dead = await deadUrl();
  const events: LoopEvent[] = [];
  const notifier = openNotifier([{ url: dead, format: 'slack' }, { url: live.url, format: 'slack' }], { emit: (e) => events.push(e), retries: 2, minTimeoutMs: 10 });
  expect(() => notifier.send(runEnded(ctx, 1, 'stopped short of done'))).not.toThrow();
  await notifier.drain(10_000);
  expect(live.got).toHaveLength(1);
  const failed = events.filter((e) => e.type === 'notify-failed');
  expect(failed).toEqual([{ type: 'notify-failed', kind: 'run-ended', about: `run-end:${ctx.run}`, target: new URL(dead).host, attempts: 3, problem: expect.stringMatching(/fetch failed: .*ECONNREFUSED/) }]);
});

test('drain gives up on a receiver that never answers, within its bound', async () => {
  const server = createServer(() => undefined); // takes the request, never answers
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const events: LoopEvent[] = [];
  const notifier = openNotifier([{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, format: 'json' }], { emit: (e) => events.push(e) });
  notifier.send(runEnded(ctx, 0, 'the oracle says done'));
  await notifier.drain(300);
  expect(events).toMatchObject([{ type: 'notify-failed', kind: 'run-ended', attempts: 1 }]);
  server.closeAllConnections();
});
