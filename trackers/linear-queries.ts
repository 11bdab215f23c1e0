// The GraphQL documents nightshift sends to Linear through the SDK's raw request, and zod schemas of
// their answers. Each selects exactly what the oracle, the scheduler and the writes need, so a batch
// is one paginated query instead of one request per lazy getter.
import { z } from 'zod';

/** Issues per page: 100 keeps the query under Linear's complexity limit of 10,000 points. */
export const PAGE_SIZE = 100;
/** Comments fetched with each issue of a batch page; chattier issues get a follow-up read. */
export const COMMENTS_PER_ISSUE = 20;

const ISSUE_FIELDS = `
      id identifier title description url
      state { type }
      labels(first: 20) { nodes { name } }
      inverseRelations(first: 20) { nodes { type issue { identifier } } }
      comments(first: ${COMMENTS_PER_ISSUE}) { nodes { body createdAt user { name } } pageInfo { hasNextPage endCursor } }`;

export const BATCH_QUERY = `query NightshiftBatch($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    nodes {${ISSUE_FIELDS}
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const MORE_COMMENTS_QUERY = `query NightshiftComments($id: String!, $after: String) {
  issue(id: $id) {
    comments(first: 100, after: $after) { nodes { body createdAt user { name } } pageInfo { hasNextPage endCursor } }
  }
}`;

/** What a write needs of one issue: ids, state, labels, the last comment, the team's states and labels. */
export const ISSUE_CONTEXT_QUERY = `query NightshiftIssue($id: String!, $label: String!, $withLabel: Boolean!) {
  issue(id: $id) {
    id identifier
    state { id type }
    labels(first: 100) { nodes { id name } }
    comments(last: 1) { nodes { body } }
    team { id key states(first: 100) { nodes { id type position } } }
  }
  issueLabels(filter: { name: { eq: $label } }, first: 50) @include(if: $withLabel) { nodes { id name team { id } } }
}`;

/** What creating an issue needs: the team, its labels by name, related issues, and the issue if a retry already made it. */
export const CREATE_CONTEXT_QUERY = `query NightshiftCreate($team: String!, $labels: [String!]!, $related: IssueFilter!, $newId: ID!) {
  teams(filter: { key: { eq: $team } }, first: 1) { nodes { id key } }
  issueLabels(filter: { name: { in: $labels } }, first: 100) { nodes { id name team { id } } }
  related: issues(filter: $related, first: 100) { nodes { id identifier } }
  created: issues(filter: { id: { eq: $newId } }, first: 1) {
    nodes {${ISSUE_FIELDS}
      relations(first: 50) { nodes { type relatedIssue { identifier } } }
    }
  }
}`;

const CommentNode = z.object({
  body: z.string(),
  createdAt: z.string(),
  user: z.object({ name: z.string() }).nullable(),
});
const CommentPage = z.object({
  nodes: z.array(CommentNode),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
});
export type CommentNode = z.infer<typeof CommentNode>;

export const IssueNode = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  url: z.string(),
  state: z.object({ type: z.string() }),
  labels: z.object({ nodes: z.array(z.object({ name: z.string() })) }),
  inverseRelations: z.object({ nodes: z.array(z.object({ type: z.string(), issue: z.object({ identifier: z.string() }) })) }),
  comments: CommentPage,
});
export type IssueNode = z.infer<typeof IssueNode>;

const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });

export const BatchAnswer = z.object({
  issues: z.object({ nodes: z.array(IssueNode), pageInfo: PageInfo }),
});

export type BatchPage = z.infer<typeof BatchAnswer>;

export const CommentsAnswer = z.object({ issue: z.object({ comments: CommentPage }) });

const LabelNode = z.object({ id: z.string(), name: z.string(), team: z.object({ id: z.string() }).nullable() });
export type LabelNode = z.infer<typeof LabelNode>;

export const IssueContextAnswer = z.object({
  issue: z.object({
    id: z.string(),
    identifier: z.string(),
    state: z.object({ id: z.string(), type: z.string() }),
    labels: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })) }),
    comments: z.object({ nodes: z.array(z.object({ body: z.string() })) }),
    team: z.object({
      id: z.string(),
      key: z.string(),
      states: z.object({ nodes: z.array(z.object({ id: z.string(), type: z.string(), position: z.number() })) }),
    }),
  }),
  issueLabels: z.object({ nodes: z.array(LabelNode) }).optional(),
});
export type IssueContext = z.infer<typeof IssueContextAnswer>;

export const CreateContextAnswer = z.object({
  teams: z.object({ nodes: z.array(z.object({ id: z.string(), key: z.string() })) }),
  issueLabels: z.object({ nodes: z.array(LabelNode) }),
  related: z.object({ nodes: z.array(z.object({ id: z.string(), identifier: z.string() })) }),
  created: z.object({
    nodes: z.array(IssueNode.extend({
      relations: z.object({ nodes: z.array(z.object({ type: z.string(), relatedIssue: z.object({ identifier: z.string() }) })) }),
    })),
  }),
});
export type CreateContext = z.infer<typeof CreateContextAnswer>;
