// A batch read in GitHub's GraphQL API: up to 50 issues of the range by number (aliases of
// `issueOrPullRequest`) and a page of the labelled issues in one query, each issue with its labels,
// comments and blockers, so a check of 250 tickets costs a handful of requests instead of one or more
// per issue. An issue with more comments, labels or blockers than one query holds is read over REST.
import { z } from 'zod';

/** Issues of the range per query (each with three connections: GitHub prices a query by them). */
export const NUMBERS_PER_QUERY = 50;
export const COMMENTS_PER_ISSUE = 50;

const FIELDS = `fragment Fields on Issue {
  number title body state stateReason url databaseId repository { nameWithOwner }
  labels(first: 50) { nodes { name } pageInfo { hasNextPage } }
  comments(first: ${COMMENTS_PER_ISSUE}) { totalCount nodes { author { login } body createdAt } }
  blockedBy(first: 50) { totalCount nodes { number repository { nameWithOwner } } }
}`;

/** The query of `numbers` (aliases `n120`, ...) and, when `withLabel`, one page of the labelled issues. */
export function batchQuery(numbers: readonly number[]): string {
  const aliases = numbers.map((n) => `    n${n}: issueOrPullRequest(number: ${n}) { __typename ...Fields }`).join('\n');
  return `query($owner: String!, $name: String!, $label: String!, $after: String, $withLabel: Boolean!) {
  repository(owner: $owner, name: $name) {
${aliases}
    labelled: issues(labels: [$label], states: [OPEN, CLOSED], first: 50, after: $after) @include(if: $withLabel) {
      nodes { ...Fields } pageInfo { hasNextPage endCursor }
    }
  }
}
${FIELDS}`;
}

export const GqlIssue = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string(),
  state: z.enum(['OPEN', 'CLOSED']),
  stateReason: z.string().nullable(),
  url: z.string(),
  databaseId: z.number().nullable(),
  repository: z.object({ nameWithOwner: z.string() }),
  labels: z.object({ nodes: z.array(z.object({ name: z.string() })), pageInfo: z.object({ hasNextPage: z.boolean() }) }).nullable(),
  comments: z.object({ totalCount: z.number(), nodes: z.array(z.object({ author: z.object({ login: z.string() }).nullable(), body: z.string(), createdAt: z.string() })) }),
  blockedBy: z.object({ totalCount: z.number(), nodes: z.array(z.object({ number: z.number(), repository: z.object({ nameWithOwner: z.string() }) })) }),
});
export type GqlIssue = z.infer<typeof GqlIssue>;

const Node = z.union([GqlIssue.extend({ __typename: z.literal('Issue') }), z.object({ __typename: z.literal('PullRequest') })]).nullable();

export const BatchAnswer = z.object({
  repository: z.object({
    labelled: z.object({ nodes: z.array(GqlIssue), pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }) }).optional(),
  }).catchall(Node).nullable(),
});
export type BatchAnswer = z.infer<typeof BatchAnswer>;

/** The issue (or pull request, or nothing) answered under alias `n<number>`. */
export function aliased(repository: Record<string, unknown>, number: number): z.infer<typeof Node> | undefined {
  return repository[`n${number}`] as z.infer<typeof Node> | undefined;
}

/** Whether one query held all of the issue (else it is read over REST). */
export function whole(issue: GqlIssue): boolean {
  return !issue.labels?.pageInfo.hasNextPage && issue.comments.totalCount <= issue.comments.nodes.length && issue.blockedBy.totalCount <= issue.blockedBy.nodes.length;
}
