// The GitHub Issues adapter over @octokit/rest: a batch is a range of issue numbers of one repository
// (one GET each) plus every issue with the batch label (one list); open/closed and the state reason give
// the state, a `nightshift:in-progress` label marks work under way; blockers come from the issue
// dependencies API where the answer has them, else from `Blocked by #N` lines of the body. Each write
// re-checks before acting, and a new issue carries a hidden token, so a retry never doubles anything.
// Delta reads for the loop's snapshot (github-changes.ts) list the issues updated since a time.
import { randomUUID } from 'node:crypto';
import type { Batch } from './batch.ts';
import { TrackerError, UsageError } from './errors.ts';
import { batchRepo, keyPrefix, namesRepo, parseRepo } from './github-batch.ts';
import type { RepoRef } from './github-batch.ts';
import { changedIssues } from './github-changes.ts';
import { GraphqlRefused, connectGithub } from './github-client.ts';
import { BatchAnswer, NUMBERS_PER_QUERY, aliased, batchQuery, whole } from './github-graphql.ts';
import type { GqlIssue } from './github-graphql.ts';
import { IN_PROGRESS_LABEL, MARKER, bodyBlockers, fromGraphql, githubCategory, sameName, sameRepo } from './github-issue.ts';
import { Issue, IssueComment, labelName } from './github-schemas.ts';
import type { GateOptions } from './retry.ts';

export { IN_PROGRESS_LABEL, bodyBlockers, githubCategory } from './github-issue.ts';
import type { BatchRead, NewTicket, StateCategory, Ticket, Tracker } from './types.ts';

export type GithubTrackerOptions = {
  token: string;
  /** The REST API base (GITHUB_API_URL), e.g. https://api.github.com */
  baseUrl: string;
  /** `owner/name` of the issues that key batches (`WIDGETS-1..WIDGETS-5`) and new tickets refer to. */
  repository?: string | undefined;
  gate?: GateOptions;
};

const ISSUE = '/repos/{owner}/{repo}/issues/{issue_number}';
const BLOCKED_BY = '/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by';
const marker = (token: string) => `<!-- nightshift-token: ${token} -->`;

export function openGithubTracker(options: GithubTrackerOptions): Tracker {
  const gh = connectGithub(options);
  /** Repositories by key prefix: GITHUB_REPOSITORY's, and each one a batch named. */
  const repos = new Map<string, RepoRef>();
  let home: RepoRef | undefined;
  if (options.repository) {
    home = parseRepo(options.repository, 'GITHUB_REPOSITORY');
    repos.set(keyPrefix(home), home);
  }

  function locate(key: string): { repo: RepoRef; number: number; params: { owner: string; repo: string; issue_number: number } } {
    const at = key.lastIndexOf('-');
    const repo = repos.get(key.slice(0, at));
    if (!repo) {
      throw new UsageError('github-repo-unknown', `cannot tell which GitHub repository ticket ${key} is in: name it in the batch (owner/repo#120..#134) or set GITHUB_REPOSITORY to the owner/name whose issues are ${key.slice(0, at)}-N.`);
    }
    const number = Number(key.slice(at + 1));
    return { repo, number, params: { owner: repo.owner, repo: repo.name, issue_number: number } };
  }

  async function readIssue(key: string): Promise<Issue | null> {
    const { repo, params } = locate(key);
    const issue = await gh.find(`read ${key}`, ISSUE, params, Issue);
    // pull requests share the numbers; a transferred issue answers from its new repository
    return issue && !issue.pull_request && sameRepo(issue, repo) ? issue : null;
  }

  async function mustRead(key: string): Promise<Issue> {
    const issue = await readIssue(key);
    if (!issue) throw new UsageError('ticket-missing', `GitHub has no issue for ${key} (${describe(key)}).`);
    return issue;
  }

  function describe(key: string): string {
    const { repo, number } = locate(key);
    return `${repo.owner}/${repo.name}#${number}`;
  }

  async function blockers(repo: RepoRef, issue: Issue): Promise<number[]> {
    const summary = issue.issue_dependencies_summary;
    if (!summary) return bodyBlockers(issue.body);
    if ((summary.total_blocked_by ?? summary.blocked_by) === 0) return [];
    const list = await gh.list(`blockers of #${issue.number}`, BLOCKED_BY, { owner: repo.owner, repo: repo.name, issue_number: issue.number }, Issue);
    return list.filter((b) => sameRepo(b, repo)).map((b) => b.number);
  }

  async function toTicket(repo: RepoRef, issue: Issue): Promise<Ticket> {
    const prefix = keyPrefix(repo);
    const comments = issue.comments === 0 ? [] : await gh.list(`comments of #${issue.number}`, `${ISSUE}/comments`, { owner: repo.owner, repo: repo.name, issue_number: issue.number }, IssueComment);
    return {
      key: `${prefix}-${issue.number}`,
      title: issue.title,
      description: (issue.body ?? '').replace(MARKER, ''),
      state: githubCategory(issue),
      labels: issue.labels.map(labelName).filter((l) => l !== IN_PROGRESS_LABEL),
      blockedBy: (await blockers(repo, issue)).map((n) => `${prefix}-${n}`),
      comments: [...comments].sort((a, b) => a.created_at.localeCompare(b.created_at))
        .map((c) => ({ author: c.user?.login ?? 'ghost', body: c.body ?? '', at: new Date(c.created_at).toISOString() })),
      url: issue.html_url,
    };
  }

  function batchRepoOf(batch: Batch): RepoRef {
    if (namesRepo(batch.spec)) {
      const repo = batchRepo(batch.spec);
      repos.set(keyPrefix(repo), repo);
      home = repo;
      return repo;
    }
    const repo = batch.keys[0] ? locate(batch.keys[0]).repo : home;
    const other = batch.keys.find((k) => locate(k).repo !== repo);
    if (!repo || other) throw new UsageError('github-repo-unknown', `a GitHub batch reads one repository; name it: owner/repo#120..#134 or "owner/repo label:NAME".`);
    return repo;
  }

  const write = gh.write;

  /** `keys` (and, with `label`, the issues carrying it) in GraphQL queries of up to 50 numbers (the labelled issues ride along, 50 a page). */
  async function readGraphql(repo: RepoRef, keys: readonly string[], label: string | undefined): Promise<BatchRead> {
    const numbers = keys.map((k) => locate(k).number);
    const chunks: number[][] = [];
    for (let i = 0; i < numbers.length; i += NUMBERS_PER_QUERY) chunks.push(numbers.slice(i, i + NUMBERS_PER_QUERY));
    const prefix = keyPrefix(repo);
    const tickets = new Map<number, Ticket>();
    const missing: string[] = [];
    const add = async (issue: GqlIssue) => {
      if (tickets.has(issue.number)) return;
      tickets.set(issue.number, whole(issue) ? fromGraphql(repo, issue) : await toTicket(repo, await mustRead(`${prefix}-${issue.number}`)));
    };
    let after: string | null = null;
    let labelDone = label === undefined;
    for (let i = 0; i < chunks.length || !labelDone; i++) {
      const chunk = chunks[i] ?? [];
      const withLabel: boolean = !labelDone;
      const { data }: { data: BatchAnswer } = await gh.graphql('batch read', batchQuery(chunk), { owner: repo.owner, name: repo.name, label: label ?? '', after, withLabel }, BatchAnswer);
      if (!data.repository) throw new TrackerError('github-repo-missing', `GitHub has no repository ${repo.owner}/${repo.name} that the token can read. Check the batch and the token's repository access.`);
      for (const n of chunk) {
        const node = aliased(data.repository, n);
        if (!node || (node.__typename === 'Issue' && !sameName(node.repository.nameWithOwner, repo))) missing.push(`${prefix}-${n}`);
        else if (node.__typename === 'Issue') await add(node);
      }
      if (withLabel) {
        for (const issue of data.repository.labelled?.nodes ?? []) await add(issue);
        after = data.repository.labelled?.pageInfo.hasNextPage ? data.repository.labelled.pageInfo.endCursor : null;
        labelDone = after === null;
      }
    }
    return { tickets: [...tickets.values()], missing };
  }

  /** The same over REST: one GET per issue, one list of the labelled issues. */
  async function readRest(repo: RepoRef, keys: readonly string[], label: string | undefined): Promise<BatchRead> {
    const issues = new Map<number, Issue>();
    const missing: string[] = [];
    for (const key of keys) {
      const issue = await gh.find(`read ${key}`, ISSUE, locate(key).params, Issue);
      if (issue === null || !sameRepo(issue, repo)) missing.push(key);
      else if (!issue.pull_request) issues.set(issue.number, issue);
    }
    const labelled = label === undefined ? [] : await gh.list('batch label', '/repos/{owner}/{repo}/issues', { owner: repo.owner, repo: repo.name, labels: label, state: 'all' }, Issue);
    for (const issue of labelled) if (!issue.pull_request && !issues.has(issue.number)) issues.set(issue.number, issue);
    const tickets: Ticket[] = [];
    for (const issue of issues.values()) tickets.push(await toTicket(repo, issue));
    return { tickets, missing };
  }

  /** Where GraphQL refuses the query (no `blockedBy` on an older GitHub Enterprise Server): REST reads. */
  let graphqlRefused = false;

  async function readIssues(repo: RepoRef, keys: readonly string[], label: string | undefined): Promise<BatchRead> {
    if (!graphqlRefused) {
      try {
        return await readGraphql(repo, keys, label);
      } catch (error) {
        if (!((error as { cause?: unknown }).cause instanceof GraphqlRefused)) throw error;
        graphqlRefused = true;
      }
    }
    return readRest(repo, keys, label);
  }

  return {
    kind: 'github',
    async readBatch(batch: Batch) {
      return readIssues(batchRepoOf(batch), batch.keys, batch.label);
    },

    async changedSince(batch: Batch, since: string) {
      return changedIssues(gh, batchRepoOf(batch), batch, since);
    },

    async readTickets(keys: readonly string[]) {
      const byRepo = new Map<RepoRef, string[]>();
      for (const key of keys) {
        const { repo } = locate(key);
        byRepo.set(repo, [...(byRepo.get(repo) ?? []), key]);
      }
      const tickets: Ticket[] = [];
      for (const [repo, some] of byRepo) tickets.push(...(await readIssues(repo, some, undefined)).tickets);
      return tickets;
    },

    rateLimit: () => gh.rateLimit(),

    async moveTicket(key: string, state: StateCategory) {
      const { params } = locate(key);
      await gh.gate.retry(`move ${key}`, async () => {
        const issue = await mustRead(key);
        const labelled = issue.labels.some((l) => labelName(l) === IN_PROGRESS_LABEL);
        const now = githubCategory(issue);
        if (state === 'todo' || state === 'in_progress') {
          if (issue.state === 'closed') await write(`reopen ${key}`, `PATCH ${ISSUE}`, { ...params, state: 'open', state_reason: 'reopened' });
        } else if (now !== state) {
          await write(`close ${key}`, `PATCH ${ISSUE}`, { ...params, state: 'closed', state_reason: state === 'done' ? 'completed' : 'not_planned' });
        }
        if (state === 'in_progress' && !labelled) await write(`label ${key}`, `POST ${ISSUE}/labels`, { ...params, labels: [IN_PROGRESS_LABEL] });
        if (state !== 'in_progress' && labelled) await write(`unlabel ${key}`, `DELETE ${ISSUE}/labels/{name}`, { ...params, name: IN_PROGRESS_LABEL });
      });
    },

    async comment(key: string, body: string) {
      const { params } = locate(key);
      await gh.gate.retry(`comment on ${key}`, async () => {
        const issue = await mustRead(key);
        if (issue.comments > 0) {
          const last = await gh.list(`last comment of ${key}`, `${ISSUE}/comments`, { ...params, per_page: 1, page: issue.comments }, IssueComment, 1);
          if (last[0]?.body === body) return;
        }
        await write(`comment on ${key}`, `POST ${ISSUE}/comments`, { ...params, body });
      });
    },

    async addLabel(key: string, label: string) {
      const { params } = locate(key);
      if (label.length > 50) throw new UsageError('github-bad-label', `GitHub labels have at most 50 characters: "${label}".`);
      // Adding a label the issue already has changes nothing, so the write itself is safe to repeat.
      await gh.gate.retry(`label ${key}`, () => write(`label ${key}`, `POST ${ISSUE}/labels`, { ...params, labels: [label] }));
    },

    async createTicket(input: NewTicket) {
      const related = [...input.blocks, ...input.blockedBy];
      const repo = related[0] ? locate(related[0]).repo : home;
      if (!repo) throw new UsageError('github-repo-unknown', 'cannot tell which GitHub repository a new ticket belongs to: it names no related ticket and no batch was read. Set GITHUB_REPOSITORY.');
      const where = { owner: repo.owner, repo: repo.name };
      const token = randomUUID();
      const made = await gh.gate.retry(`create in ${repo.owner}/${repo.name}`, async () => {
        const known = new Map<string, Issue>();
        for (const key of related) {
          const issue = await readIssue(key);
          if (!issue) throw new UsageError('ticket-missing', `GitHub has no issue ${key} (${describe(key)}), named as a blocker edge of a new ticket.`);
          known.set(key, issue);
        }
        const dependencies = [...known.values()].every((i) => i.issue_dependencies_summary !== undefined);
        const recent = await gh.list('recent issues', '/repos/{owner}/{repo}/issues', { ...where, state: 'all', sort: 'created', direction: 'desc', per_page: 30 }, Issue, 30);
        let issue = recent.find((i) => (i.body ?? '').includes(marker(token)));
        if (!issue) {
          const lines = dependencies ? [] : input.blockedBy.map((k) => `Blocked by #${locate(k).number}`);
          const body = [input.description, ...(lines.length > 0 ? [lines.join('\n')] : []), marker(token)].join('\n\n');
          const answer = Issue.safeParse(await write(`create in ${repo.owner}/${repo.name}`, 'POST /repos/{owner}/{repo}/issues', { ...where, title: input.title, body, labels: input.labels }));
          if (!answer.success) throw new TrackerError('github-create-lost', `GitHub's answer to creating "${input.title}" in ${repo.owner}/${repo.name} has no issue; look for it on GitHub.`);
          issue = answer.data;
        }
        const newKey = `${keyPrefix(repo)}-${issue.number}`;
        const edges: Array<[blocker: Issue, blockedKey: string, blocked: Issue]> = [
          ...input.blocks.map((k): [Issue, string, Issue] => [issue, k, known.get(k) ?? issue]),
          ...input.blockedBy.map((k): [Issue, string, Issue] => [known.get(k) ?? issue, newKey, issue]),
        ];
        for (const [blocker, blockedKey, blocked] of edges) {
          if (!dependencies) {
            if (blocked !== issue && !bodyBlockers(blocked.body).includes(blocker.number)) {
              await write(`link ${blockedKey}`, `PATCH ${ISSUE}`, { ...where, issue_number: blocked.number, body: `${blocked.body ?? ''}\n\nBlocked by #${blocker.number}` });
            }
            continue;
          }
          const existing = blocked === issue && blocked.issue_dependencies_summary?.total_blocked_by === 0 ? []
            : await gh.list(`blockers of ${blockedKey}`, BLOCKED_BY, { ...where, issue_number: blocked.number }, Issue);
          if (!existing.some((b) => b.id === blocker.id)) {
            await write(`link ${blockedKey}`, `POST ${BLOCKED_BY}`, { ...where, issue_number: blocked.number, issue_id: blocker.id });
          }
        }
        return issue;
      });
      const filed = await mustRead(`${keyPrefix(repo)}-${made.number}`);
      return toTicket(repo, filed);
    },

    requestCount: () => gh.gate.count(),
  };
}
