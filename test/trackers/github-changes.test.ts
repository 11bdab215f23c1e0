// GitHub's delta reads against the loopback GitHub: `changedSince` lists exactly the batch's issues
// updated since a time (the simulator honours since/sort/direction as GitHub does), skips the pull
// requests that endpoint also lists, and a quiet read finds nothing; `readTickets` reads the changed ones;
// every answer's x-ratelimit headers (REST and GraphQL budgets apart) become the tracker's `rateLimit()`.
import { expect, test } from 'vitest';
import { parseGithubBatch } from '../../trackers/github-batch.ts';
import { sinceParam } from '../../trackers/github-changes.ts';
import { openGithubTracker } from '../../trackers/github.ts';
import { githubRateLimit } from '../../trackers/rate-limits.ts';
import { generateTickets } from '../sim/fixtures.ts';
import { startGithubSim } from '../sim/github-server.ts';
import type { GithubSimOptions } from '../sim/github-server.ts';

async function withSim(options: GithubSimOptions, use: (sim: Awaited<ReturnType<typeof startGithubSim>>, tracker: ReturnType<typeof openGithubTracker>) => Promise<void>): Promise<void> {
  const sim = await startGithubSim(options);
  try {
    await use(sim, openGithubTracker({ token: sim.token, baseUrl: sim.url, repository: sim.repository }));
  } finally {
    await sim.close();
  }
}

test('a delta read lists exactly the batch issues updated since the watermark, oldest first, and no pull request', async () => {
  const tickets = generateTickets('ENG', 1, 8, 3).map((t) => ({ ...t, blockedBy: [] }));
  await withSim({ tickets }, async (sim, tracker) => {
    const batch = parseGithubBatch('acme/eng#1..#5');
    // the watermark: a time of the simulator's clock after the seeding (every later change is after it)
    const since = sim.world.clock();
    expect(await tracker.changedSince?.(batch, since)).toEqual([]);

    await tracker.moveTicket('ENG-4', 'canceled');
    await tracker.comment('ENG-2', 'a person asks something');
    await tracker.comment('ENG-7', 'outside the range: not listed');
    await tracker.addLabel('ENG-8', batch.label); // labelled into the batch
    // a pull request updated meanwhile, listed by the same endpoint with the next number
    const at = sim.world.clock();
    sim.world.pulls.push({ number: 9, title: 'Fix', state: 'open', labels: [batch.label], created: at, updated: at });

    const changes = await tracker.changedSince?.(batch, since) ?? [];
    expect(changes.map((c) => c.key)).toEqual(['ENG-4', 'ENG-2', 'ENG-8']);
    expect(changes.every((c) => c.updatedAt >= since && !Number.isNaN(Date.parse(c.updatedAt)))).toBe(true);
    const read = await tracker.readTickets?.(changes.map((c) => c.key)) ?? [];
    expect(read.map((t) => t.key)).toEqual(['ENG-4', 'ENG-2', 'ENG-8']);
    expect(read.find((t) => t.key === 'ENG-4')?.state).toBe('canceled');
    expect(read.find((t) => t.key === 'ENG-2')?.comments.at(-1)?.body).toBe('a person asks something');
    expect(read.find((t) => t.key === 'ENG-8')?.labels).toContain(batch.label);

    // quiet: nothing updated since the last change seen
    const last = changes.at(-1)?.updatedAt ?? since;
    expect(await tracker.changedSince?.(batch, new Date(Date.parse(last) + 1000).toISOString())).toEqual([]);
  });
});

test('a label batch asks GitHub for its label only', async () => {
  const tickets = generateTickets('ENG', 1, 4, 5).map((t, i) => ({ ...t, blockedBy: [], labels: i % 2 === 0 ? ['sprint'] : [] }));
  await withSim({ tickets }, async (sim, tracker) => {
    const since = sim.world.clock();
    for (const key of ['ENG-1', 'ENG-2', 'ENG-3']) await tracker.comment(key, 'seen');
    expect((await tracker.changedSince?.(parseGithubBatch('acme/eng label:sprint'), since))?.map((c) => c.key)).toEqual(['ENG-1', 'ENG-3']);
  });
});

test('since is sent to the second, never later than asked', () => {
  expect(sinceParam('2026-12-05T14:00:07.950Z')).toBe('2026-12-05T14:00:07Z');
  expect(sinceParam('2026-12-05T14:00:07.000Z')).toBe('2026-12-05T14:00:07Z');
});

test("the budget left comes from GitHub's answers: REST requests and GraphQL points apart", async () => {
  await withSim({ tickets: generateTickets('ENG', 1, 3, 2), rateLimit: 5000 }, async (sim, tracker) => {
    expect(tracker.rateLimit?.()).toBeUndefined();
    await tracker.readBatch(parseGithubBatch('acme/eng#1..#3')); // one GraphQL query
    await tracker.comment('ENG-1', 'hello'); // REST: read the issue, its last comment, then write
    const limits = tracker.rateLimit?.();
    expect(limits).toMatchObject({ complexityLimit: 5000, complexityRemaining: 4999, requestsLimit: 5000 });
    expect(limits?.requestsRemaining).toBe(5000 - (sim.requests() - 1));
    expect(limits?.resetAt).toBeGreaterThan(Date.now());
  });
});

test('a secondary limit (retry-after) and a spent primary limit say why', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  const now = Date.parse('2026-12-05T14:00:00Z');
  expect(githubRateLimit(headers({ 'retry-after': '30', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4000', 'x-ratelimit-resource': 'core' }), now))
    .toEqual({ requestsLimit: 5000, requestsRemaining: 4000, resetAt: now + 30_000, reason: 'secondary rate limit (retry after 30 s)' });
  expect(githubRateLimit(headers({ 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': '1796479200', 'x-ratelimit-resource': 'graphql' }), now))
    .toEqual({ complexityLimit: 5000, complexityRemaining: 0, resetAt: 1_796_479_200_000, reason: 'graphql limit spent' });
  expect(githubRateLimit(headers({}), now)).toBeUndefined();
});
