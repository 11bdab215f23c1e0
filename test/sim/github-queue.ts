// The GitHub simulator's merge queue (a ruleset's `merge_queue` rule), beside its pull requests
// (github-pulls.ts): GraphQL's `enqueuePullRequest` queues a pull request; the queue builds a merge group
// (a real merge commit of the base and the pull request's head, on a `gh-readonly-queue/<base>/pr-N-<sha>`
// branch of the bare repository), runs the required checks on it, and moves the base to it when they pass
// (built again on top when the base moved meanwhile), or takes the pull request out when one fails or it
// conflicts. A pull request's place in the queue is read through GraphQL as on GitHub.
import { GraphQLError, buildSchema, graphqlSync } from 'graphql';
import type { GithubReply, GithubRequest } from './github-routes.ts';
import type { GithubWorld } from './github-state.ts';
import type { CheckRun, SimPull } from './github-pulls.ts';

const QUEUE_SDL = `
  scalar GitObjectID
  type Query { repository(owner: String!, name: String!): Repository }
  type Mutation { enqueuePullRequest(input: EnqueuePullRequestInput!): EnqueuePullRequestPayload }
  input EnqueuePullRequestInput { pullRequestId: ID! expectedHeadOid: GitObjectID jump: Boolean clientMutationId: String }
  type EnqueuePullRequestPayload { mergeQueueEntry: MergeQueueEntry clientMutationId: String }
  type Repository { pullRequest(number: Int!): PullRequest }
  type PullRequest { number: Int! merged: Boolean! isInMergeQueue: Boolean! mergeQueueEntry: MergeQueueEntry }
  enum MergeQueueEntryState { QUEUED AWAITING_CHECKS MERGEABLE UNMERGEABLE LOCKED }
  type Commit { oid: GitObjectID! }
  type MergeQueueEntry { state: MergeQueueEntryState! position: Int! headCommit: Commit }
`;
const queueSchema = buildSchema(QUEUE_SDL);
type QueueEntry = { pull: SimPull; head: string; group: string; base: string };

/** What the queue uses of the pull-request simulator. */
export type QueueDeps = {
  pulls: SimPull[];
  /** Are checks configured at all (no checks: a merge group merges at once). */
  checks: boolean;
  method: 'MERGE' | 'SQUASH' | 'REBASE' | undefined;
  git(...args: string[]): string;
  sha(ref: string): string | undefined;
  commitTree(tree: string, parents: string[], message: string): string;
  startChecks(commit: string, done: () => void): CheckRun[];
  runs(): CheckRun[];
  nodeId(pull: SimPull): string;
};

export type QueueSim = {
  /** Pull requests the queue took out, with why. */
  dequeued: string[];
  /** GraphQL's merge-queue part: enqueuePullRequest, and a pull request's place in the queue. */
  graphql(world: GithubWorld, request: GithubRequest): GithubReply;
  /** The ruleset rule that requires the queue, for `GET /rules/branches/:branch`. */
  rule(source: Record<string, unknown>): Record<string, unknown> | undefined;
};

export function mergeQueueSim(deps: QueueDeps): QueueSim {
  const { pulls, git, sha, commitTree, startChecks, nodeId } = deps;
  const queue: QueueEntry[] = [];
  const dequeued: string[] = [];
  const runs = () => deps.runs();
  /** The queue's merge group for `entry`: the pull request merged into the base as it is now, on a queue branch; checked. */
  function buildGroup(world: GithubWorld, entry: QueueEntry): boolean {
    const base = sha(`refs/heads/${entry.pull.base}`);
    const head = sha(`refs/heads/${entry.pull.head}`);
    let tree = '';
    try {
      tree = base && head ? git('merge-tree', '--write-tree', base, head).split('\n')[0] ?? '' : '';
    } catch {
      tree = '';
    }
    if (!base || !head || !tree) {
      leave(entry, 'the pull request conflicts with the base');
      return false;
    }
    entry.base = base;
    entry.group = commitTree(tree, [base, head], `Merge pull request #${entry.pull.number} from ${world.owner}/${entry.pull.head}\n\n${entry.pull.title}\n`);
    git('update-ref', `refs/heads/gh-readonly-queue/${entry.pull.base}/pr-${entry.pull.number}-${head}`, entry.group);
    startChecks(entry.group, () => settle(world, entry));
    settle(world, entry); // no checks, or this very commit checked before
    return true;
  }

  function leave(entry: QueueEntry, why: string) {
    queue.splice(queue.indexOf(entry), 1);
    dequeued.push(`#${entry.pull.number}: ${why}`);
    for (const ref of git('for-each-ref', '--format=%(refname)', `refs/heads/gh-readonly-queue/${entry.pull.base}/pr-${entry.pull.number}-*`).split('\n').filter(Boolean)) git('update-ref', '-d', ref);
  }

  /** A merge group's checks are done: the base moves to it (built again if the base moved meanwhile), or the pull request leaves. */
  function settle(world: GithubWorld, entry: QueueEntry) {
    if (!queue.includes(entry)) return;
    if (sha(`refs/heads/${entry.pull.head}`) !== entry.head) return leave(entry, 'the head branch was pushed while queued'); // as GitHub does
    const checks = runs().filter((r) => r.sha === entry.group);
    if (checks.some((r) => r.status !== 'completed')) return;
    const red = checks.find((r) => r.conclusion !== 'success');
    if (red) return leave(entry, `${red.name} failed on the merge group ${entry.group}`);
    try {
      git('update-ref', `refs/heads/${entry.pull.base}`, entry.group, entry.base);
    } catch {
      buildGroup(world, entry); // the base moved: tested again on top of it
      return;
    }
    Object.assign(entry.pull, { state: 'closed', merged: true, mergeCommit: entry.group });
    leave(entry, 'merged');
    dequeued.pop();
  }

  /** GraphQL's merge-queue part: enqueuePullRequest, and a pull request's place in the queue. */
  function graphql(world: GithubWorld, request: GithubRequest): GithubReply {
    const body = request.body as { query: string; variables?: Record<string, unknown> };
    const entryView = (entry: QueueEntry) => ({ state: 'AWAITING_CHECKS', position: queue.indexOf(entry) + 1, headCommit: { oid: entry.group } });
    const pullNode = (pull: SimPull) => {
      const found = queue.find((e) => e.pull === pull);
      if (found && found.head !== sha(`refs/heads/${pull.head}`)) leave(found, 'the head branch was pushed while queued');
      const entry = queue.includes(found as QueueEntry) ? found : undefined;
      return { number: pull.number, merged: pull.merged, isInMergeQueue: entry !== undefined, mergeQueueEntry: entry ? entryView(entry) : null };
    };
    const root = {
      repository: ({ owner, name }: { owner: string; name: string }) => (owner === world.owner && name === world.name
        ? { pullRequest: ({ number }: { number: number }) => { const pull = pulls.find((p) => p.number === number); return pull ? pullNode(pull) : null; } }
        : null),
      enqueuePullRequest: ({ input }: { input: { pullRequestId: string; expectedHeadOid?: string | null } }) => {
        const pull = pulls.find((p) => nodeId(p) === input.pullRequestId);
        if (!pull) throw new GraphQLError(`Could not resolve to a node with the global id of '${input.pullRequestId}'`);
        if (!deps.method) throw new GraphQLError('Pull request is not in a state that can be enqueued: the base branch does not require a merge queue');
        if (pull.state !== 'open') throw new GraphQLError('Pull request is closed');
        const queued = queue.find((e) => e.pull === pull);
        if (queued && queued.head === sha(`refs/heads/${pull.head}`)) throw new GraphQLError('Pull request is already in the merge queue');
        if (queued) leave(queued, 'the head branch was pushed while queued'); // GitHub took it out at the push
        if (input.expectedHeadOid && input.expectedHeadOid !== sha(`refs/heads/${pull.head}`)) throw new GraphQLError('Expected head oid does not match the head of the pull request');
        const entry: QueueEntry = { pull, head: sha(`refs/heads/${pull.head}`) ?? '', group: '', base: '' };
        queue.push(entry);
        buildGroup(world, entry);
        return { mergeQueueEntry: queue.includes(entry) ? entryView(entry) : null };
      },
    };
    const result = graphqlSync({ schema: queueSchema, source: body.query, rootValue: root, variableValues: body.variables ?? {} });
    return { status: 200, body: { ...(result.data !== undefined ? { data: result.data } : {}), ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) }, expected: true };
  }

  return {
    dequeued,
    graphql,
    rule: (source) => (deps.method ? { type: 'merge_queue', ...source, parameters: { check_response_timeout_minutes: 60, grouping_strategy: 'ALLGREEN', max_entries_to_build: 5, max_entries_to_merge: 5, merge_method: deps.method, min_entries_to_merge: 1, min_entries_to_merge_wait_minutes: 5 } } : undefined),
  };
}
