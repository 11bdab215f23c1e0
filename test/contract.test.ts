// One contract, three trackers: the same scenario and the same tracker state afterwards for the local
// file, Linear (@linear/sdk against the GraphQL simulator) and Jira (jira.js against the REST
// simulator); then again for Linear and Jira with 10% injected faults, which must change nothing.
import { describe, expect, test } from 'vitest';
import { CONTRACT_TICKETS, runContract } from './sim/contract-scenario.ts';
import { startHarness } from './sim/harness.ts';
import type { HarnessKind } from './sim/harness.ts';

describe.each<HarnessKind>(['local', 'linear', 'jira'])('contract: %s', (kind) => {
  test('reads, writes idempotently, files discovered work, ends in the expected state', async () => {
    const h = await startHarness(kind, { tickets: CONTRACT_TICKETS });
    try {
      await runContract(h.tracker, h.state);
      expect(h.rejected).toEqual([]);
      // Every request the adapter counted reached the tracker, and none more.
      expect(h.tracker.requestCount()).toBe(h.requests());
    } finally {
      await h.close();
    }
  });
});

describe.each<HarnessKind>(['linear', 'jira'])('contract with a tenth of requests faulted: %s', (kind) => {
  test.each([11, 12, 13, 14])('seed %i: same outcome, no doubled write', async (seed) => {
    const h = await startHarness(kind, {
      tickets: CONTRACT_TICKETS,
      seed,
      faults: { rate: 0.1, slowMs: 300 },
      gate: { timeoutMs: 150, baseDelayMs: 2 },
    });
    try {
      await runContract(h.tracker, h.state);
      expect(h.rejected).toEqual([]);
      expect(h.requests()).toBeGreaterThanOrEqual(h.tracker.requestCount());
    } finally {
      await h.close();
    }
    expect(h.injected.length).toBeGreaterThan(0);
  });
});
