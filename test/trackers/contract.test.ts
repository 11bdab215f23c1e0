// One contract, three trackers: the same scenario and the same tracker state afterwards for the local
// file, Linear (@linear/sdk against the GraphQL simulator) and Jira (jira.js against the REST
// simulator); then again for Linear and Jira with 10% injected faults, which must change nothing.
import { describe, expect, test } from 'vitest';
import { parseBatch } from '../../trackers/batch.ts';
import { CONTRACT_TICKETS, normalize, runContract } from '../sim/contract-scenario.ts';
import type { SimTicket } from '../sim/fixtures.ts';
import { startHarness } from '../sim/harness.ts';
import { startLinearSim } from '../sim/linear-server.ts';
import { openLinearTracker } from '../../trackers/linear.ts';
import type { HarnessKind } from '../sim/harness.ts';

describe.each<HarnessKind>(['local', 'linear', 'jira', 'github'])('contract: %s', (kind) => {
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

test('contract: linear listing newest first (the direction Linear leaves undocumented) ends the same', async () => {
  const sim = await startLinearSim({ tickets: CONTRACT_TICKETS, newestFirst: true });
  try {
    const tracker = openLinearTracker({ apiKey: sim.apiKey, apiUrl: sim.url });
    await runContract(tracker, sim.tickets);
    expect(sim.rejected).toEqual([]);
  } finally {
    await sim.close();
  }
});

/** A ticket with more comments, labels and blockers than one batch page carries per issue. */
function chattyTickets(): SimTicket[] {
  const blockers = Array.from({ length: 12 }, (_, i): SimTicket => ({ key: `ENG-${i + 2}`, title: `b${i}`, description: '', state: 'done', labels: [], blockedBy: [], comments: [] }));
  const chatty: SimTicket = {
    key: 'ENG-1', title: 'chatty', description: 'd', state: 'todo',
    labels: Array.from({ length: 12 }, (_, i) => `label-${String(i).padStart(2, '0')}`),
    blockedBy: blockers.map((b) => b.key),
    comments: Array.from({ length: 45 }, (_, i) => ({ author: 'Ada Lovelace', body: `comment ${i}`, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() })),
  };
  return [chatty, ...blockers];
}

describe.each<HarnessKind>(['local', 'linear', 'jira'])('full history: %s', (kind) => {
  test('a ticket with more comments, labels and blockers than a page holds reads back whole and in order', async () => {
    const tickets = chattyTickets();
    const h = await startHarness(kind, { tickets });
    try {
      const read = await h.tracker.readBatch(parseBatch('ENG-1..ENG-13'));
      expect(normalize(read.tickets)).toEqual(normalize(tickets));
      expect(h.rejected).toEqual([]);
      expect(h.tracker.requestCount()).toBe(h.requests());
      expect(h.requests()).toBeLessThanOrEqual(3);
    } finally {
      await h.close();
    }
  });
});

describe.each<HarnessKind>(['linear', 'jira', 'github'])('contract with a tenth of requests faulted: %s', (kind) => {
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
