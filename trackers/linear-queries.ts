// The GraphQL documents nightshift sends to Linear through the SDK's raw request, and zod schemas of
// their answers. Each selects exactly what the oracle, the scheduler and the writes need, so a batch
// is one paginated query instead of one request per lazy getter.
import { z } from 'zod';

/**
 * Issues per page. Linear refuses a query over 10,000 complexity points (0.1 a property, 1 an object,
 * a connection multiplies its children by its size); a batch page of 90 costs about 8,700, and 250
 * tickets still take 3 pages.
 */
export const PAGE_SIZE = 90;
/** Labels, blocking relations and comments read with each issue of a batch page; more get a follow-up read. */
export const NESTED = 10;

const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';
const LABELS = `nodes { name } ${PAGE_INFO}`;
const RELATIONS = `nodes { type issue { identifier } } ${PAGE_INFO}`;
const COMMENTS = `nodes { body createdAt user { name } } ${PAGE_INFO}`;

const ISSUE_FIELDS = `
      id identifier title description url
      state { type }
      labels(first: ${NESTED}) { ${LABELS} }
      inverseRelations(first: ${NESTED}) { ${RELATIONS} }
      comments(first: ${NESTED}) { ${COMMENTS} }`;

/** Archived issues count too: Linear auto-archives closed issues, and a range must still read whole. */
export const BATCH_QUERY = `query NightshiftBatch($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after, includeArchived: true) {
    nodes {${ISSUE_FIELDS}
    }
    ${PAGE_INFO}
  }
}`;

/**
 * What changed in a batch since a time: ids and `updatedAt` only (about 2.5 points an issue asked
 * for), so the loop re-reads in full only the issues that changed. Not read by the oracle.
 */
export const CHANGED_QUERY = `query NightshiftChanged($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after, includeArchived: true, orderBy: updatedAt) {
    nodes { identifier updatedAt }
    ${PAGE_INFO}
  }
}`;
/** The workspace's blocker relations, newest change first (no filter exists): the delta read stops at its watermark. */
const RELATION_NODES = `nodes { type updatedAt issue { identifier } relatedIssue { identifier } }
    ${PAGE_INFO}`;
export const RELATIONS_QUERY = `query NightshiftRelations($first: Int!, $after: String) {
  issueRelations(first: $first, after: $after, includeArchived: true, orderBy: updatedAt) {
    ${RELATION_NODES}
  }
}`;
export const RelationsPage = z.object({
  nodes: z.array(z.object({ type: z.string(), updatedAt: z.string(), issue: z.object({ identifier: z.string() }), relatedIssue: z.object({ identifier: z.string() }) })),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
});
export const RelationsAnswer = z.object({ issueRelations: RelationsPage });
/** A delta read's first page and the relations feed's first page in one request (one of the hour's requests, not two). */
export const CHANGED_AND_RELATIONS_QUERY = `query NightshiftChangedAndRelations($filter: IssueFilter!, $first: Int!, $relations: Int!) {
  issues(filter: $filter, first: $first, includeArchived: true, orderBy: updatedAt) {
    nodes { identifier updatedAt }
    ${PAGE_INFO}
  }
  issueRelations(first: $relations, includeArchived: true, orderBy: updatedAt) {
    ${RELATION_NODES}
  }
}`;
export const ChangedAnswer = z.object({
  issues: z.object({ nodes: z.array(z.object({ identifier: z.string(), updatedAt: z.string() })), pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }) }),
});
export const ChangedAndRelationsAnswer = ChangedAnswer.extend({ issueRelations: RelationsPage });

/** The rest of an issue's labels, blocking relations or comments, when a batch page held only the first few. */
export const ISSUE_REST_QUERY = `query NightshiftIssueRest($id: String!, $labels: String, $relations: String, $comments: String,
  $withLabels: Boolean!, $withRelations: Boolean!, $withComments: Boolean!) {
  issue(id: $id) {
    labels(first: 100, after: $labels) @include(if: $withLabels) { ${LABELS} }
    inverseRelations(first: 100, after: $relations) @include(if: $withRelations) { ${RELATIONS} }
    comments(first: 100, after: $comments) @include(if: $withComments) { ${COMMENTS} }
  }
}`;

/** What a write needs of one issue: ids, state, labels, the last comment, the team's states and labels. */
export const ISSUE_CONTEXT_QUERY = `query NightshiftIssue($id: String!, $label: String!, $withLabel: Boolean!) {
  issue(id: $id) {
    id identifier
    state { id type }
    labels(first: 100) { nodes { id name } }
    # Linear documents the order (createdAt) but not its direction: ask both ends, keep the newer.
    head: comments(first: 1) { nodes { body createdAt } }
    tail: comments(last: 1) { nodes { body createdAt } }
    team { id key states(first: 100) { nodes { id type position } } }
  }
  issueLabels(filter: { name: { eq: $label } }, first: 50) @include(if: $withLabel) { nodes { id name team { id } } }
}`;

/**
 * What a move needs of one issue: its id, state, and its team's states (about 70 points; the whole
 * write context below costs about 380). The team's states are kept for the run, so a later move of
 * an issue whose id is known needs no read at all.
 */
export const MOVE_CONTEXT_QUERY = `query NightshiftMove($id: String!) {
  issue(id: $id) {
    id identifier
    state { id type }
    team { id key states(first: 50) { nodes { id type position } } }
  }
}`;
export const MoveContextAnswer = z.object({
  issue: z.object({
    id: z.string(),
    identifier: z.string(),
    state: z.object({ id: z.string(), type: z.string() }),
    team: z.object({ id: z.string(), key: z.string(), states: z.object({ nodes: z.array(z.object({ id: z.string(), type: z.string(), position: z.number() })) }) }),
  }),
});
export type TeamState = z.infer<typeof MoveContextAnswer>['issue']['team']['states']['nodes'][number];

/** What a comment needs: the issue's id and its newest comment (a retried create is not made twice). */
export const COMMENT_CONTEXT_QUERY = `query NightshiftComment($id: String!) {
  issue(id: $id) {
    id
    head: comments(first: 1) { nodes { body createdAt } }
    tail: comments(last: 1) { nodes { body createdAt } }
  }
}`;
const EndComment = z.object({ nodes: z.array(z.object({ body: z.string(), createdAt: z.string() })) });
export const CommentContextAnswer = z.object({ issue: z.object({ id: z.string(), head: EndComment, tail: EndComment }) });

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

const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const page = <T extends z.ZodType>(node: T) => z.object({ nodes: z.array(node), pageInfo: PageInfo });

const CommentNode = z.object({
  body: z.string(),
  createdAt: z.string(),
  user: z.object({ name: z.string() }).nullable(),
});
export type CommentNode = z.infer<typeof CommentNode>;
const LabelName = z.object({ name: z.string() });
const Relation = z.object({ type: z.string(), issue: z.object({ identifier: z.string() }) });

export const IssueNode = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  url: z.string(),
  state: z.object({ type: z.string() }),
  labels: page(LabelName),
  inverseRelations: page(Relation),
  comments: page(CommentNode),
});
export type IssueNode = z.infer<typeof IssueNode>;

export const BatchAnswer = z.object({
  issues: z.object({ nodes: z.array(IssueNode), pageInfo: PageInfo }),
});
export type BatchPage = z.infer<typeof BatchAnswer>;

export const IssueRestAnswer = z.object({
  issue: z.object({ labels: page(LabelName).optional(), inverseRelations: page(Relation).optional(), comments: page(CommentNode).optional() }),
});
export type IssueRest = z.infer<typeof IssueRestAnswer>;

const LabelNode = z.object({ id: z.string(), name: z.string(), team: z.object({ id: z.string() }).nullable() });
export type LabelNode = z.infer<typeof LabelNode>;

export const IssueContextAnswer = z.object({
  issue: z.object({
    id: z.string(),
    identifier: z.string(),
    state: z.object({ id: z.string(), type: z.string() }),
    labels: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })) }),
    head: z.object({ nodes: z.array(z.object({ body: z.string(), createdAt: z.string() })) }),
    tail: z.object({ nodes: z.array(z.object({ body: z.string(), createdAt: z.string() })) }),
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
