// The GitHub adapter beyond the shared contract: its batch syntax, GitHub's rate-limit answers (the
// secondary limit's 429 + retry-after, the primary limit's 403 + x-ratelimit-reset, an hour spent),
// GraphQL and REST list pages, blockers from `Blocked by #N` lines where the API has no issue
// dependencies, what a batch read costs, and credentials checked before any request.
import { describe, expect, test } from 'vitest';
import { parseOracleArgs } from '../../oracle/options.ts';
import { parseGithubBatch } from '../../trackers/github-batch.ts';
import { openGithubTracker } from '../../trackers/github.ts';
import { openTracker } from '../../trackers/open.ts';
import { generateTickets } from '../sim/fixtures.ts';
import type { SimTicket } from '../sim/fixtures.ts';
import type { FaultPlan } from '../sim/faults.ts';
import { startGithubSim } from '../sim/github-server.ts';
import type { GithubSimOptions } from '../sim/github-server.ts';
import { normalize } from '../sim/contract-scenario.ts';

const TICKETS = generateTickets('ENG', 1, 5, 2);
const BATCH = parseGithubBatch('acme/eng#1..#5');

async function withSim<T>(options: GithubSimOptions, gate: Parameters<typeof openGithubTracker>[0]['gate'], use: (sim: Awaited<ReturnType<typeof startGithubSim>>, tracker: ReturnType<typeof openGithubTracker>) => Promise<T>): Promise<T> {
  const sim = await startGithubSim(options);
  try {
    return await use(sim, openGithubTracker({ token: sim.token, baseUrl: sim.url, ...(gate ? { gate } : {}) }));
  } finally {
    await sim.close();
  }
}

describe('batch syntax', () => {
  test('ranges, lists and labels of one repository', () => {
    expect(parseGithubBatch('octo-org/widgets#120..#122')).toMatchObject({ spec: 'octo-org/widgets#120..#122', keys: ['WIDGETS-120', 'WIDGETS-121', 'WIDGETS-122'] });
    expect(parseGithubBatch('octo-org/hello-world#7,#3..#4').keys).toEqual(['HELLO_WORLD-7', 'HELLO_WORLD-3', 'HELLO_WORLD-4']);
    expect(parseGithubBatch('octo-org/widgets label:sprint 12')).toMatchObject({ keys: [], label: 'sprint 12', spec: 'octo-org/widgets label:sprint 12' });
    expect(parseGithubBatch('ENG-1..ENG-2').keys).toEqual(['ENG-1', 'ENG-2']);
    expect(parseGithubBatch('acme/eng#1').label).toMatch(/^nightshift-[0-9a-f]{8}$/);
  });

  test('the oracle takes the GitHub forms with --tracker github only', () => {
    expect(parseOracleArgs(['acme/eng label:sprint', '--tracker', 'github', '--repo', '.'], '/tmp').batch).toMatchObject({ keys: [], label: 'sprint' });
    expect(() => parseOracleArgs(['acme/eng#1', '--tracker', 'jira', '--repo', '.'], '/tmp')).toThrow(/not a ticket key/);
  });

  test.each(['acme/eng#0', 'acme/eng#1..#2..#3', 'acme/eng#x', 'acme/#1', 'acme/eng label:'])('"%s" is a usage error saying what to write', (spec) => {
    expect(() => parseGithubBatch(spec)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/owner\/|batch/) }));
  });
});

async function sleepsDuringRead(faults: FaultPlan, gate: { random?: () => number; baseDelayMs?: number } = {}) {
  const slept: number[] = [];
  return withSim({ tickets: TICKETS, faults }, { ...gate, sleep: async (ms) => { slept.push(ms); } }, async (sim, tracker) => {
    const read = await tracker.readBatch(BATCH);
    expect(read.tickets).toHaveLength(5);
    expect(tracker.requestCount()).toBe(sim.requests());
    return slept;
  });
}

describe("GitHub's rate limits and failures", () => {
  test('the secondary limit (429, retry-after) is waited out, then the read goes on', async () => {
    expect(await sleepsDuringRead({ rate: 1, kinds: ['http-429'], retryAfterSeconds: 7, limit: 1 })).toEqual([7000]);
  });

  test('the primary limit (403, x-ratelimit-remaining: 0) waits for x-ratelimit-reset', async () => {
    const slept = await sleepsDuringRead({ rate: 1, kinds: ['rate-limited'], retryAfterSeconds: 5, limit: 1 });
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(4000);
    expect(slept[0]).toBeLessThanOrEqual(6000);
  });

  test('5xx answers back off with jitter', async () => {
    expect(await sleepsDuringRead({ rate: 1, kinds: ['server-error'], limit: 2 }, { random: () => 0.5, baseDelayMs: 100 })).toEqual([50, 100]);
  });

  test("an hour's requests spent: a clear rate-limit error, not a hang, and no request sent into the closed window", async () => {
    await withSim({ tickets: TICKETS, rateLimit: 1 }, { baseDelayMs: 1 }, async (sim, tracker) => {
      await tracker.readBatch(BATCH);
      // that answer said x-ratelimit-remaining: 0 with the reset an hour away
      await expect(tracker.readBatch(BATCH)).rejects.toMatchObject({ code: 'tracker-rate-limited', exitCode: 2, message: expect.stringMatching(/Run again later/) });
      expect(sim.requests()).toBe(1);
    });
  });

  test('every answer carries the x-ratelimit headers, counting down', async () => {
    await withSim({ tickets: TICKETS }, undefined, async (sim) => {
      const get = () => fetch(`${sim.url}/repos/acme/eng/issues/1`, { headers: { authorization: `Bearer ${sim.token}` } });
      const [a, b] = [await get(), await get()];
      for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used', 'x-ratelimit-reset', 'x-ratelimit-resource']) expect(a.headers.get(name)).not.toBeNull();
      expect(Number(a.headers.get('x-ratelimit-remaining')) - Number(b.headers.get('x-ratelimit-remaining'))).toBe(1);
      expect((await fetch(`${sim.url}/repos/acme/eng/issues/1`)).status).toBe(401);
    });
  });

  test('labelled issues are read 50 a query (GraphQL cursor pages)', async () => {
    const tickets = generateTickets('ENG', 1, 120, 5).map((t) => ({ ...t, labels: ['sprint'] }));
    await withSim({ tickets }, undefined, async (sim, tracker) => {
      const read = await tracker.readBatch(parseGithubBatch('acme/eng label:sprint'));
      expect(normalize(read.tickets)).toEqual(normalize(tickets));
      expect(sim.requests()).toBe(3);
    });
  });

  test('REST list pages are followed by their Link header, short pages included', async () => {
    const tickets = generateTickets('ENG', 1, 120, 5).map((t) => ({ ...t, labels: ['sprint'] }));
    await withSim({ tickets, dependencies: false, faults: { rate: 1, kinds: ['short-page'] } }, undefined, async (sim, tracker) => {
      const read = await tracker.readBatch(parseGithubBatch('acme/eng label:sprint'));
      expect(read.tickets.map((t) => t.key).sort()).toEqual(tickets.map((t) => t.key).sort());
      expect(sim.injected.length).toBeGreaterThan(3);
    });
  });

  test('the per-run request budget stops the request over it before it is sent', async () => {
    await withSim({ tickets: TICKETS }, { budget: 2 }, async (sim, tracker) => {
      await tracker.readBatch(BATCH);
      await expect(tracker.moveTicket('ENG-1', 'done')).rejects.toMatchObject({ code: 'tracker-request-budget', exitCode: 2 });
      expect(sim.requests()).toBe(2);
    });
  });
});

describe('what a batch read costs', () => {
  test('one GraphQL query per 50 issues; an issue with more than a query holds is read over REST', async () => {
    const blockers = Array.from({ length: 12 }, (_, i): SimTicket => ({ key: `ENG-${i + 2}`, title: `b${i}`, description: '', state: 'done', labels: [], blockedBy: [], comments: [] }));
    const chatty: SimTicket = {
      key: 'ENG-1', title: 'chatty', description: 'd', state: 'todo', labels: Array.from({ length: 12 }, (_, i) => `label-${String(i).padStart(2, '0')}`),
      blockedBy: blockers.map((b) => b.key),
      comments: Array.from({ length: 60 }, (_, i) => ({ author: 'Ada Lovelace', body: `comment ${i}`, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() })),
    };
    await withSim({ tickets: [chatty, ...blockers] }, undefined, async (sim, tracker) => {
      const read = await tracker.readBatch(parseGithubBatch('acme/eng#1..#13'));
      expect(normalize(read.tickets)).toEqual(normalize([chatty, ...blockers]));
      expect(sim.requests()).toBe(4);
      expect(normalize((await tracker.readBatch(parseGithubBatch('acme/eng#2..#13'))).tickets)).toEqual(normalize(blockers));
      expect(sim.requests()).toBe(4 + 1);
      expect(sim.rejected).toEqual([]);
    });
  });
});

describe('without the issue dependencies API (GitHub Enterprise Server before it)', () => {
  test('GraphQL refuses the query (no blockedBy): REST reads; blockers are read from and written as "Blocked by #N" lines', async () => {
    const tickets: SimTicket[] = [
      { key: 'ENG-1', title: 'a', description: 'first', state: 'todo', labels: [], blockedBy: [], comments: [] },
      { key: 'ENG-2', title: 'b', description: 'second', state: 'todo', labels: [], blockedBy: ['ENG-1'], comments: [] },
      { key: 'ENG-3', title: 'c', description: 'third', state: 'todo', labels: [], blockedBy: [], comments: [] },
    ];
    await withSim({ tickets, dependencies: false }, undefined, async (sim, tracker) => {
      const read = await tracker.readBatch(parseGithubBatch('acme/eng#1..#3'));
      expect(read.tickets.map((t) => [t.key, t.blockedBy])).toEqual([['ENG-1', []], ['ENG-2', ['ENG-1']], ['ENG-3', []]]);
      const made = await tracker.createTicket({ title: 'gap', description: 'found', labels: ['x'], blocks: ['ENG-3'], blockedBy: ['ENG-2'] });
      expect(made).toMatchObject({ key: 'ENG-4', blockedBy: ['ENG-2'], labels: ['x'] });
      const truth = sim.tickets();
      expect(truth.find((t) => t.key === 'ENG-3')).toMatchObject({ blockedBy: ['ENG-4'], description: 'third\n\nBlocked by #4' });
      expect(sim.rejected).toEqual([]);
    });
  });
});

test('GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql', async () => {
  const sim = await startGithubSim({ tickets: TICKETS });
  try {
    const tracker = openGithubTracker({ token: sim.token, baseUrl: `${sim.url}/api/v3/`, repository: sim.repository });
    expect((await tracker.readBatch(parseGithubBatch('ENG-1..ENG-5'))).tickets).toHaveLength(5);
    await tracker.comment('ENG-1', 'through the enterprise paths');
    expect(sim.tickets()[0]?.comments.at(-1)?.body).toBe('through the enterprise paths');
  } finally {
    await sim.close();
  }
});

describe('credentials and settings, checked before any request', () => {
  test('a missing GITHUB_TOKEN is named with where to get one', async () => {
    await expect(openTracker({ kind: 'github' }, { GITHUB_REPOSITORY: 'acme/eng' })).rejects.toMatchObject({ code: 'github-credentials-missing', exitCode: 2, message: expect.stringMatching(/GITHUB_TOKEN: a fine-grained/) });
  });

  test('a bad GITHUB_REPOSITORY is a usage error; a key batch without a repository says how to name one', async () => {
    await expect(openTracker({ kind: 'github' }, { GITHUB_TOKEN: 'secret-value', GITHUB_REPOSITORY: 'not a repo' })).rejects.toMatchObject({ code: 'bad-github-repo', exitCode: 2 });
    const tracker = await openTracker({ kind: 'github' }, { GITHUB_TOKEN: 'secret-value', GITHUB_API_URL: 'http://127.0.0.1:9' });
    await expect(tracker.readBatch(parseGithubBatch('ENG-1'))).rejects.toMatchObject({ code: 'github-repo-unknown', message: expect.stringContaining('GITHUB_REPOSITORY') });
    expect(tracker.requestCount()).toBe(0);
  });
});
