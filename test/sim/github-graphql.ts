// The GitHub simulator's GraphQL endpoint (POST /graphql): the part of GitHub's schema a batch read
// selects (repository.issueOrPullRequest, repository.issues by label, an issue's labels, comments and
// blockedBy), executed by graphql-js over the same world as the REST routes. Without issue dependencies
// the schema has no `blockedBy`, as on a GitHub Enterprise Server before them.
import { GraphQLError, buildSchema, graphqlSync } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import type { GithubReply, Route } from './github-routes.ts';
import { findIssue } from './github-state.ts';
import type { GIssue, GithubWorld } from './github-state.ts';

const sdl = (dependencies: boolean) => `
  type Query { repository(owner: String!, name: String!): Repository }
  type Repository {
    nameWithOwner: String!
    issueOrPullRequest(number: Int!): IssueOrPullRequest
    issues(labels: [String!], states: [IssueState!], first: Int, after: String): IssueConnection!
  }
  union IssueOrPullRequest = Issue | PullRequest
  type PullRequest { number: Int! }
  enum IssueState { OPEN CLOSED }
  enum IssueStateReason { COMPLETED NOT_PLANNED DUPLICATE REOPENED }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Issue {
    number: Int! title: String! body: String! state: IssueState! stateReason: IssueStateReason url: String! databaseId: Int
    repository: Repository!
    labels(first: Int, after: String): LabelConnection
    comments(first: Int, after: String): IssueCommentConnection!
    ${dependencies ? 'blockedBy(first: Int, after: String): IssueConnection!' : ''}
  }
  type Label { name: String! }
  type Actor { login: String! }
  type IssueComment { author: Actor body: String! createdAt: String! }
  type LabelConnection { nodes: [Label!]! pageInfo: PageInfo! totalCount: Int! }
  type IssueCommentConnection { nodes: [IssueComment!]! pageInfo: PageInfo! totalCount: Int! }
  type IssueConnection { nodes: [Issue!]! pageInfo: PageInfo! totalCount: Int! }
`;
const schemas = new Map<boolean, GraphQLSchema>();
const schemaOf = (dependencies: boolean) => schemas.get(dependencies) ?? schemas.set(dependencies, buildSchema(sdl(dependencies))).get(dependencies)!;

type Page = { first?: number | null; after?: string | null };
function connection<T>(items: T[], { first, after }: Page) {
  if (first !== undefined && first !== null && (first < 1 || first > 100)) throw new GraphQLError('Requesting more than 100 records on a connection is not supported; `first` must be 1..100.');
  const start = after ? Number(Buffer.from(after, 'base64').toString('utf8').split(':')[1]) : 0;
  const nodes = items.slice(start, start + (first ?? 100));
  const end = start + nodes.length;
  return { nodes, totalCount: items.length, pageInfo: { hasNextPage: end < items.length, endCursor: Buffer.from(`cursor:${end}`).toString('base64') } };
}

function issueNode(world: GithubWorld, issue: GIssue, base: string): Record<string, unknown> {
  const repository = repositoryNode(world, base);
  return {
    __typename: 'Issue', number: issue.number, title: issue.title, body: issue.body ?? '', state: issue.state.toUpperCase(),
    stateReason: issue.stateReason?.toUpperCase() ?? null, url: `${base}/web/${world.owner}/${world.name}/issues/${issue.number}`, databaseId: issue.id,
    repository,
    labels: (page: Page) => connection(issue.labels.map((name) => ({ name })), page),
    comments: (page: Page) => connection(issue.comments.map((c) => ({ author: { login: c.login }, body: c.body, createdAt: c.created })), page),
    blockedBy: (page: Page) => connection(issue.blockedBy.map((id) => world.issues.find((i) => i.id === id)).filter((i) => i !== undefined).map((i) => issueNode(world, i, base)), page),
  };
}

function repositoryNode(world: GithubWorld, base: string): Record<string, unknown> {
  return {
    nameWithOwner: `${world.owner}/${world.name}`,
    issueOrPullRequest: ({ number }: { number: number }) => {
      const issue = findIssue(world, number);
      if (!issue) throw new GraphQLError(`Could not resolve to an issue or pull request with the number of ${number}.`);
      return issueNode(world, issue, base);
    },
    issues: (args: Page & { labels?: string[] | null; states?: string[] | null }) => connection(world.issues
      .filter((i) => !args.states || args.states.includes(i.state.toUpperCase()))
      .filter((i) => (args.labels ?? []).every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())))
      .sort((a, b) => a.number - b.number)
      .map((i) => issueNode(world, i, base)), args),
  };
}

export const GRAPHQL_ROUTES: Route[] = [
  { method: 'POST', path: '/graphql', handle: (world, request): GithubReply => {
    const body = request.body as { query?: unknown; variables?: unknown } | undefined;
    if (typeof body?.query !== 'string') return { status: 400, body: { message: 'A query attribute must be specified and must be a string.' } };
    const root = {
      repository: ({ owner, name }: { owner: string; name: string }) => (owner.toLowerCase() === world.owner.toLowerCase() && name.toLowerCase() === world.name.toLowerCase() ? repositoryNode(world, request.base) : null),
    };
    const result = graphqlSync({ schema: schemaOf(world.dependencies), source: body.query, rootValue: root, variableValues: (body.variables ?? {}) as Record<string, unknown> });
    const errors = result.errors?.map((e) => ({ ...e.toJSON(), ...(e.message.startsWith('Could not resolve') ? { type: 'NOT_FOUND' } : {}) }));
    // GitHub answers 200 with `errors` for queries that do not validate, and with data beside NOT_FOUND errors
    return { status: 200, body: { ...(result.data !== undefined ? { data: result.data } : {}), ...(errors ? { errors } : {}) }, expected: true };
  } },
];
