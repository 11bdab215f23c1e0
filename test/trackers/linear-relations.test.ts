// The relations feed's reading of Linear's answers (their shape as Linear sends it, page by page): it
// stops at the watermark, names both ends of a blocker relation, and turns itself off for good when a
// page comes back oldest first (Linear does not document the order), rather than read the feed wrong.
import { expect, test } from 'vitest';
import { openRelationFeed } from '../../trackers/linear-relations.ts';

type Node = { type: string; updatedAt: string; issue: { identifier: string }; relatedIssue: { identifier: string } };
const node = (type: string, updatedAt: string, from: string, to: string): Node => ({ type, updatedAt, issue: { identifier: from }, relatedIssue: { identifier: to } });

/** Linear's answers, one page per call, as the feed asks for them. */
function pages(...answers: Node[][]) {
  const asked: Array<Record<string, unknown>> = [];
  return {
    asked,
    read: async <T>(_label: string, _query: string, variables: Record<string, unknown>): Promise<T> => {
      asked.push(variables);
      const nodes = answers[asked.length - 1] ?? [];
      return { issueRelations: { nodes, pageInfo: { hasNextPage: asked.length < answers.length, endCursor: `c${asked.length}` } } } as T;
    },
  };
}

test('newest first: both ends of each blocker relation newer than the watermark, pages followed until an older one', async () => {
  const linear = pages(
    [node('blocks', '2026-12-05T10:05:00Z', 'ENG-1', 'ENG-4'), node('related', '2026-12-05T10:04:00Z', 'ENG-2', 'ENG-3')],
    [node('blocks', '2026-12-05T10:03:00Z', 'ENG-5', 'ENG-6'), node('blocks', '2026-12-05T09:00:00Z', 'ENG-7', 'ENG-8')],
    [node('blocks', '2026-12-05T08:00:00Z', 'ENG-9', 'ENG-10')],
  );
  const feed = openRelationFeed(linear);
  expect(await feed.changed('2026-12-05T10:00:00Z')).toEqual([
    { key: 'ENG-1', updatedAt: '2026-12-05T10:05:00Z', via: 'relation' }, { key: 'ENG-4', updatedAt: '2026-12-05T10:05:00Z', via: 'relation' },
    { key: 'ENG-5', updatedAt: '2026-12-05T10:03:00Z', via: 'relation' }, { key: 'ENG-6', updatedAt: '2026-12-05T10:03:00Z', via: 'relation' },
  ]);
  expect(linear.asked.map((v) => v.after)).toEqual([null, 'c1']); // the third page was never needed
  expect(feed.on()).toBe(true);
});

test('a page oldest first turns the feed off: nothing is claimed from it, and it is not asked again', async () => {
  const linear = pages([node('blocks', '2026-01-01T00:00:00Z', 'ENG-1', 'ENG-2'), node('blocks', '2026-12-05T10:05:00Z', 'ENG-3', 'ENG-4')]);
  const feed = openRelationFeed(linear);
  expect(await feed.changed('2026-12-05T10:00:00Z')).toEqual([]);
  expect(feed.on()).toBe(false);
  expect(await feed.changed('2026-12-05T10:00:00Z')).toEqual([]);
  expect(linear.asked).toHaveLength(1);
});

test('a first page read beside the delta read is used, not asked for again', async () => {
  const linear = pages([node('blocks', '2026-12-05T10:01:00Z', 'ENG-7', 'ENG-8')]);
  const feed = openRelationFeed(linear);
  const first = { nodes: [node('blocks', '2026-12-05T10:02:00Z', 'ENG-1', 'ENG-2')], pageInfo: { hasNextPage: false, endCursor: null } };
  expect((await feed.changed('2026-12-05T10:00:00Z', first)).map((c) => c.key)).toEqual(['ENG-1', 'ENG-2']);
  expect(linear.asked).toHaveLength(0);
});
