// Jira's rate-limit headers through the real jira.js client against the loopback Jira: every answer's
// X-RateLimit-Limit/-Remaining/-Reset become the tracker's `rateLimit()`, and a 429 past the hour's
// requests adds its Retry-After and RateLimit-Reason, which pause the watch's reads (pacing).
import { expect, test } from 'vitest';
import { overShare } from '../../loop/tracker/watch.ts';
import { parseBatch } from '../../trackers/batch.ts';
import { openJiraTracker } from '../../trackers/jira.ts';
import { jiraRateLimit } from '../../trackers/rate-limits.ts';
import { generateTickets } from '../sim/fixtures.ts';
import { startJiraSim } from '../sim/jira-server.ts';

const BATCH = parseBatch('ENG-1..ENG-4');

test("the budget left is read from every answer's headers, and a refusal says why and until when", async () => {
  const sim = await startJiraSim({ tickets: generateTickets('ENG', 1, 4, 3), rateLimit: 3 });
  try {
    const tracker = openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true, gate: { baseDelayMs: 1 } });
    expect(tracker.rateLimit?.()).toBeUndefined();
    await tracker.readBatch(BATCH);
    const read = tracker.rateLimit?.();
    expect(read).toMatchObject({ requestsLimit: 3, requestsRemaining: 3 - sim.requests() });
    expect(read?.resetAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(read?.reason).toBeUndefined();
    expect(overShare(read, 0.5)).toBe(sim.requests() > 1);

    // the hour's requests spent: 429 with a Retry-After longer than the gate waits, so the read fails at once
    while (sim.requests() < 3) await tracker.readBatch(BATCH);
    await expect(tracker.readBatch(BATCH)).rejects.toThrow(/rate limited/);
    const refused = tracker.rateLimit?.();
    expect(refused).toMatchObject({ requestsLimit: 3, requestsRemaining: 0, reason: 'jira-quota-tenant-based' });
    expect(refused?.resetAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(overShare(refused, 0.5)).toBe(true);
  } finally {
    await sim.close();
  }
});

test("Jira's header forms: a reset as ISO 8601 to the minute, Retry-After in seconds, the reason", () => {
  const now = Date.parse('2026-12-05T14:00:00Z');
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  expect(jiraRateLimit(headers({ 'x-ratelimit-limit': '350', 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '2026-12-05T14:30Z' }), now))
    .toEqual({ requestsLimit: 350, requestsRemaining: 12, resetAt: Date.parse('2026-12-05T14:30:00Z') });
  expect(jiraRateLimit(headers({ 'retry-after': '5', 'ratelimit-reason': 'jira-burst-based' }), now))
    .toEqual({ resetAt: now + 5000, reason: 'jira-burst-based' });
  expect(jiraRateLimit(headers({}), now)).toBeUndefined();
});
