// The loop's snapshot against the loopback Linear, Jira and GitHub: after the first full read, a person's changes (a
// ticket canceled, one moved to done, a new ticket labelled into the batch) are seen by a delta read
// that reads only what changed; a quiet delta read reads nothing in full. On Linear a blocker edge added
// between two tickets (which moves neither issue) is seen through the relations feed.
import { LinearClient } from '@linear/sdk';
import { describe, expect, test } from 'vitest';
import { parseBatch } from '../../../trackers/batch.ts';
import { openSnapshot } from '../../../loop/tracker/snapshot.ts';
import { describeBudget, overShare, stopReason } from '../../../loop/tracker/watch.ts';
import { generateTickets } from '../../sim/fixtures.ts';
import { startHarness } from '../../sim/harness.ts';

describe.each(['linear', 'jira', 'github'] as const)('loop snapshot on %s', (kind) => {
  test('delta reads see a cancel, a move to done and a labelled-in ticket, and read only those', async () => {
    const h = await startHarness(kind, { tickets: generateTickets('ENG', 1, 6, 3) });
    try {
      const batch = parseBatch('ENG-1..ENG-6');
      const snapshot = openSnapshot(h.tracker, batch);
      const first = await snapshot.tracker.readBatch(batch);
      expect(first.tickets.map((t) => t.key).sort()).toEqual(['ENG-1', 'ENG-2', 'ENG-3', 'ENG-4', 'ENG-5', 'ENG-6']);
      // the first delta after a full read reads once more what changed within the overlap before it
      // (here every seeded ticket); after that, an update listed again is the same (id, updatedAt): not read
      await snapshot.refresh();
      expect(await snapshot.refresh()).toEqual([]);

      await h.tracker.moveTicket('ENG-2', 'canceled');
      await h.tracker.moveTicket('ENG-3', 'done');
      const created = await h.tracker.createTicket({ title: 'found later', description: 'x', labels: [batch.label], blocks: [], blockedBy: [] });
      const changed = await snapshot.refresh();
      expect(changed.sort()).toEqual(['ENG-2', 'ENG-3', created.key].sort());
      const after = await snapshot.tracker.readBatch(batch);
      const byKey = new Map(after.tickets.map((t) => [t.key, t]));
      expect(byKey.get('ENG-2')?.state).toBe('canceled');
      expect(byKey.get('ENG-3')?.state).toBe('done');
      expect(byKey.has(created.key)).toBe(true);
      expect(snapshot.reads()).toEqual({ full: 1, delta: 4 });
      expect(h.rejected).toEqual([]);
    } finally {
      await h.close();
    }
  });

  test.runIf(kind === 'linear')('a blocker edge a person adds between two batch tickets is seen by the next delta read (the relations feed)', async () => {
    const h = await startHarness(kind, { tickets: generateTickets('ENG', 1, 4, 7).map((t) => ({ ...t, blockedBy: [] })) });
    try {
      const batch = parseBatch('ENG-1..ENG-4');
      const snapshot = openSnapshot(h.tracker, batch);
      await snapshot.tracker.readBatch(batch);
      await snapshot.refresh();
      expect(await snapshot.refresh()).toEqual([]);
      // a person says ENG-1 blocks ENG-4 (neither issue's updatedAt moves in the simulator, as in Linear)
      const sdk = new LinearClient({ apiKey: h.env.LINEAR_API_KEY, apiUrl: h.env.LINEAR_API_URL });
      const id = async (key: string) => ((await sdk.client.rawRequest<{ issue: { id: string } }, { id: string }>('query Id($id: String!) { issue(id: $id) { id } }', { id: key })).data?.issue.id ?? '');
      await sdk.client.rawRequest('mutation Relate($input: IssueRelationCreateInput!) { issueRelationCreate(input: $input) { success } }', {
        input: { issueId: await id('ENG-1'), relatedIssueId: await id('ENG-4'), type: 'blocks' },
      });
      expect((await snapshot.refresh()).sort()).toEqual(['ENG-1', 'ENG-4']);
      const after = await snapshot.tracker.readBatch(batch);
      expect(after.tickets.find((t) => t.key === 'ENG-4')?.blockedBy).toEqual(['ENG-1']);
      expect(await snapshot.refresh()).toEqual([]);
      expect(h.rejected).toEqual([]);
    } finally {
      await h.close();
    }
  });

  test('a pass stops only when a person moved its ticket to canceled or done since it started', () => {
    const ticket = { key: 'ENG-1', title: '', description: '', labels: [], blockedBy: [], comments: [] };
    expect(stopReason({ ...ticket, state: 'canceled' }, 'in_progress')).toMatch(/canceled/);
    expect(stopReason({ ...ticket, state: 'done' }, 'todo')).toMatch(/done/);
    expect(stopReason({ ...ticket, state: 'done' }, 'done')).toBeUndefined();
    expect(stopReason({ ...ticket, state: 'in_progress' }, 'todo')).toBeUndefined();
  });

  test('timer reads pause past the share of the budget the tracker stated', () => {
    expect(overShare({ complexityLimit: 250_000, complexityRemaining: 100_000 }, 0.5)).toBe(true);
    expect(overShare({ complexityLimit: 250_000, complexityRemaining: 200_000, requestsLimit: 5000, requestsRemaining: 4000 }, 0.5)).toBe(false);
    expect(overShare(undefined, 0.5)).toBe(false);
  });

  test('the budget in words names the limit a tracker gave as its reason', () => {
    expect(describeBudget({ requestsLimit: 5000, requestsRemaining: 4990, complexityLimit: 5000, complexityRemaining: 4000 })).toBe('4,000/5,000 points, 4,990/5,000 requests left this hour');
    expect(describeBudget({ requestsLimit: 350, requestsRemaining: 0, reason: 'jira-burst-based' })).toBe('0/350 requests left this hour (limited: jira-burst-based)');
    expect(describeBudget({ reason: 'jira-per-issue-on-write' })).toBe('limited: jira-per-issue-on-write');
  });
});
