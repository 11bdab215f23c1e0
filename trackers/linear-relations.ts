// Linear's relations feed for the delta reads: a blocker edge added (or archived) need not bump either
// issue's `updatedAt`, so the issues feed alone misses it until the hourly reconcile. `issueRelations`
// has no filter: it is read by `updatedAt`, newest first, a page of 10 at a time (the first in the same
// request as the delta read's first page), until a relation older than the watermark (at most 5 pages). Linear does not document that order: a page that comes
// back oldest first turns the feed off for the run (the reconcile still sees every edge), never read wrong.
import type { z } from 'zod';
import { RELATIONS_QUERY, RelationsAnswer } from './linear-queries.ts';
import type { RelationsPage } from './linear-queries.ts';
import type { LinearConnection } from './linear-client.ts';
import type { Change } from './types.ts';
import { TicketKey } from './types.ts';

const RELATIONS_PAGE = 10;
const MAX_PAGES = 5;

export type RelationPage = z.infer<typeof RelationsPage>;

export type RelationFeed = {
  /** Both ends of every blocker relation changed after `since`, as changes `via: 'relation'`; `first`: the first page, read already. */
  changed(since: string, first?: RelationPage): Promise<Change[]>;
  /** false once Linear answered in an order the feed cannot stop early in. */
  on(): boolean;
  /** Relations a page (the first page is asked for beside a delta read's). */
  page: number;
};

export function openRelationFeed(linear: Pick<LinearConnection, 'read'>): RelationFeed {
  let on = true;
  return {
    on: () => on,
    page: RELATIONS_PAGE,
    async changed(since, first) {
      if (!on) return [];
      const changes: Change[] = [];
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer: RelationPage = page === 0 && first ? first : (await linear.read('relations read', RELATIONS_QUERY, { first: RELATIONS_PAGE, after }, RelationsAnswer)).issueRelations;
        const nodes = answer.nodes;
        if (nodes.some((n, i) => i > 0 && n.updatedAt > (nodes[i - 1]?.updatedAt ?? ''))) {
          on = false;
          return [];
        }
        for (const node of nodes) {
          if (node.updatedAt <= since) return changes;
          if (node.type !== 'blocks') continue;
          for (const key of [node.issue.identifier, node.relatedIssue.identifier]) {
            if (TicketKey.safeParse(key).success) changes.push({ key, updatedAt: node.updatedAt, via: 'relation' });
          }
        }
        if (!answer.pageInfo.hasNextPage) return changes;
        after = answer.pageInfo.endCursor;
      }
      return changes;
    },
  };
}
