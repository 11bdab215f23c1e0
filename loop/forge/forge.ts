// The forge `--land pr` lands through: GitHub's pull requests, branch protection's required checks and
// the merge API, through @octokit/rest as the GitHub tracker uses it (trackers/github-client.ts: the
// request gate, retries of reads, rate-limit headers). The token comes from GITHUB_TOKEN only; the
// agents never see it (loop/safety/secrets.ts). The repository is GITHUB_REPOSITORY, else read from the
// push remote's URL (github.com[:/]owner/name).
import { RequestError } from '@octokit/request-error';
import { z } from 'zod';
import { connectGithub } from '../../trackers/github-client.ts';
import type { GithubConnection } from '../../trackers/github-client.ts';
import { UsageError } from '../../trackers/errors.ts';

export type Pull = { number: number; url: string; head: string; body: string; /** GraphQL node id */ id: string };
/** The merge queue a base branch requires (a ruleset's `merge_queue` rule) and its merge method. */
export type MergeQueue = { method: string };
/** A pull request as the merge queue has it: merged, waiting in the queue (with the commit it tests), or out of it. */
export type QueueState = { merged: boolean; queued: boolean; state: string | null; testing: string | null };
export type CheckState = { name: string; status: string; conclusion: string | null; url: string; output: string };
/** `--land pr` as a run holds it: the forge, how often a pull request's checks are read, how long they may take. */
export type PullLanding = { api: Forge; pollMs: number; checksTimeoutMs: number };
export type MergeAnswer = { kind: 'merged'; commit: string } | { kind: 'refused'; status: number; message: string };

export type Forge = {
  repository: string;
  /** The newest pull request of `branch` into `base` in `state` (default open), if any. */
  openPull(branch: string, base: string, state?: 'open' | 'closed'): Promise<Pull | undefined>;
  createPull(fields: { title: string; branch: string; base: string; body: string }): Promise<Pull>;
  editPull(number: number, fields: { body?: string; state?: 'closed' }): Promise<void>;
  /**
   * The required checks of `base` from branch protection and from rulesets (none when neither protects
   * it), the "up to date" rule, and the merge queue a ruleset requires.
   */
  requiredChecks(base: string): Promise<{ strict: boolean; checks: string[]; queue?: MergeQueue }>;
  /** Puts pull request `pull` into its base's merge queue, only if its head is still `sha`. */
  enqueue(pull: Pull, sha: string): Promise<void>;
  /** Where pull request `number` stands with the merge queue. */
  queueState(number: number): Promise<QueueState>;
  /** How many people have approved pull request `number` (their latest review an approval). */
  approvals(number: number): Promise<number>;
  /** The check runs GitHub has for `commit`. */
  checkRuns(commit: string): Promise<CheckState[]>;
  /** A merge commit through the API, only if the pull request's head is still `sha`. */
  merge(number: number, fields: { sha: string; title: string; message: string }): Promise<MergeAnswer>;
};

const PullView = z.object({ number: z.number(), node_id: z.string(), html_url: z.string(), body: z.string().nullable().optional(), head: z.object({ ref: z.string(), sha: z.string().nullable() }) });
const Protection = z.object({ strict: z.boolean().optional(), contexts: z.array(z.string()).optional(), checks: z.array(z.object({ context: z.string() })).optional() });
const CheckRuns = z.object({
  check_runs: z.array(z.object({
    name: z.string(), status: z.string(), conclusion: z.string().nullable(), html_url: z.string().nullable().optional(),
    output: z.object({ title: z.string().nullable().optional(), summary: z.string().nullable().optional(), text: z.string().nullable().optional() }).optional(),
  })),
});
const Merged = z.object({ sha: z.string(), merged: z.boolean() });
const BranchView = z.object({
  protection: z.object({ required_status_checks: z.object({ enforcement_level: z.string().optional(), contexts: z.array(z.string()).optional(), checks: z.array(z.object({ context: z.string() })).optional() }).optional() }).optional(),
});
const MergedView = z.object({ merged: z.boolean(), merge_commit_sha: z.string().nullable() });
const Rule = z.object({ type: z.string(), parameters: z.record(z.string(), z.unknown()).optional() });
const RuleChecks = z.object({ required_status_checks: z.array(z.object({ context: z.string() })).optional(), strict_required_status_checks_policy: z.boolean().optional() });
const QueueView = z.object({
  repository: z.object({
    pullRequest: z.object({
      merged: z.boolean(), isInMergeQueue: z.boolean(),
      mergeQueueEntry: z.object({ state: z.string(), headCommit: z.object({ oid: z.string() }).nullable().optional() }).nullable(),
    }).nullable(),
  }).nullable(),
});
const Review = z.object({ user: z.object({ login: z.string() }).nullable(), state: z.string() });

/** The HTTP status GitHub answered a failed request with (the request gate wraps octokit's error). */
function statusOf(error: unknown): number | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof RequestError ? cause.status : undefined;
}

/** `owner/name` from a GitHub remote URL (https, ssh or scp-like), if it is one. */
export function githubRepository(url: string): string | undefined {
  const match = /github\.com[:/]([\w.-]+)\/([\w.-]+?)(\.git)?\/?$/.exec(url.trim());
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The forge of `--land pr`; a usage error (exit 2) when the token or the repository is not known. */
export function openForge(env: NodeJS.ProcessEnv, remoteUrl: string, options: { gate?: Parameters<typeof connectGithub>[0]['gate'] } = {}): Forge {
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) {
    throw new UsageError('no-forge-token', '--land pr: GITHUB_TOKEN is not set. Set it to a token with Contents and Pull requests read and write on the repository (and Checks read), or use --land push.');
  }
  const repository = env.GITHUB_REPOSITORY?.trim() || githubRepository(remoteUrl);
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new UsageError('no-forge-repository', `--land pr: cannot tell which GitHub repository the remote ${remoteUrl.replace(/(\w+:\/\/)[^\s/@]+@/, '$1***@')} is. Set GITHUB_REPOSITORY=owner/name, or use --land push.`);
  }
  const api = connectGithub({ token, baseUrl: env.GITHUB_API_URL?.trim() || 'https://api.github.com', ...(options.gate ? { gate: options.gate } : {}) });
  return forgeOf(api, repository);
}

function forgeOf(api: GithubConnection, repository: string): Forge {
  const [owner = '', repo = ''] = repository.split('/');
  const at = { owner, repo };
  const pullOf = (p: z.infer<typeof PullView>): Pull => ({ number: p.number, url: p.html_url, head: p.head.ref, body: p.body ?? '', id: p.node_id });
  return {
    repository,
    async openPull(branch, base, state = 'open') {
      const found = await api.list('find the pull request', '/repos/{owner}/{repo}/pulls', { ...at, head: `${owner}:${branch}`, base, state, sort: 'created', direction: 'desc' }, PullView, 1);
      return found[0] ? pullOf(found[0]) : undefined;
    },
    async createPull({ title, branch, base, body }) {
      const made = PullView.parse(await api.write('open a pull request', 'POST /repos/{owner}/{repo}/pulls', { ...at, title, head: branch, base, body }));
      return pullOf(made);
    },
    async editPull(number, fields) {
      await api.write('edit the pull request', 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { ...at, pull_number: number, ...fields });
    },
    async requiredChecks(base) {
      const found: { strict?: boolean | undefined; contexts?: string[] | undefined; checks?: Array<{ context: string }> | undefined } | null = await api.find('read the branch protection', '/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks', { ...at, branch: base }, Protection).catch(async (error: unknown) => {
        // reading the protection needs Administration read; without it the branch's own view still names its required checks
        if (!(statusOf(error) === 403)) throw error;
        const branch = await api.find('read the branch', '/repos/{owner}/{repo}/branches/{branch}', { ...at, branch: base }, BranchView);
        const checks = branch?.protection?.required_status_checks;
        return checks && checks.enforcement_level !== 'off' ? { strict: undefined, contexts: checks.contexts, checks: checks.checks } : null;
      });
      // rulesets (GitHub's newer protection) add checks, the "up to date" rule and the merge queue; a GitHub without them answers 404
      const rules = await api.list('read the branch rules', '/repos/{owner}/{repo}/rules/branches/{branch}', { ...at, branch: base }, Rule).catch((error: unknown) => {
        if (statusOf(error) === 404) return [];
        throw error;
      });
      const names = new Set([...(found?.contexts ?? []), ...(found?.checks ?? []).map((c) => c.context)]);
      let strict = found?.strict ?? false;
      let queue: MergeQueue | undefined;
      for (const rule of rules) {
        if (rule.type === 'required_status_checks') {
          const parameters = RuleChecks.safeParse(rule.parameters ?? {});
          for (const check of parameters.data?.required_status_checks ?? []) names.add(check.context);
          strict ||= parameters.data?.strict_required_status_checks_policy ?? false;
        }
        if (rule.type === 'merge_queue') queue = { method: String(rule.parameters?.merge_method ?? 'MERGE').toUpperCase() };
      }
      return { strict, checks: [...names], ...(queue ? { queue } : {}) };
    },
    async enqueue(pull, sha) {
      try {
        await api.graphql('put the pull request in the merge queue', 'mutation NightshiftEnqueue($id: ID!, $sha: GitObjectID) { enqueuePullRequest(input: { pullRequestId: $id, expectedHeadOid: $sha }) { mergeQueueEntry { state } } }', { id: pull.id, sha }, z.unknown());
      } catch (error) {
        // a retried request finds it queued already: that is the answer wanted
        if ((await this.queueState(pull.number).catch(() => undefined))?.queued) return;
        throw error;
      }
    },
    async queueState(number) {
      const { data } = await api.graphql('read the merge queue', 'query NightshiftQueue($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { merged isInMergeQueue mergeQueueEntry { state headCommit { oid } } } } }', { owner, name: repo, number }, QueueView);
      const pull = data.repository?.pullRequest;
      if (!pull) throw new Error(`GitHub does not know pull request #${number} of ${repository}`);
      return { merged: pull.merged, queued: pull.isInMergeQueue, state: pull.mergeQueueEntry?.state ?? null, testing: pull.mergeQueueEntry?.headCommit?.oid ?? null };
    },
    async approvals(number) {
      const reviews = await api.list('read the reviews', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', { ...at, pull_number: number }, Review);
      const latest = new Map<string, string>();
      for (const review of reviews) if (review.user && review.state !== 'COMMENTED') latest.set(review.user.login, review.state);
      return [...latest.values()].filter((state) => state === 'APPROVED').length;
    },
    async checkRuns(commit) {
      const found = await api.find('read the check runs', '/repos/{owner}/{repo}/commits/{ref}/check-runs', { ...at, ref: commit, per_page: 100 }, CheckRuns);
      return (found?.check_runs ?? []).map((r) => ({
        name: r.name, status: r.status, conclusion: r.conclusion, url: r.html_url ?? '',
        output: [r.output?.title, r.output?.summary, r.output?.text].filter((s): s is string => typeof s === 'string' && s !== '').join('\n'),
      }));
    },
    async merge(number, { sha, title, message }) {
      try {
        const answer = Merged.parse(await api.write('merge the pull request', 'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
          ...at, pull_number: number, sha, merge_method: 'merge', commit_title: title, commit_message: message,
        }));
        return answer.merged ? { kind: 'merged', commit: answer.sha } : { kind: 'refused', status: 200, message: 'GitHub did not merge it' };
      } catch (error) {
        const status = statusOf(error);
        // 405 (not mergeable: checks, reviews, conflicts, behind a strict base) and 409 (the head moved) are answers, not failures
        if (status === 405 || status === 409 || status === 422) {
          const cause = (error as { cause: RequestError }).cause;
          const body = cause.response?.data as { message?: string } | undefined;
          return { kind: 'refused', status, message: body?.message ?? cause.message };
        }
        // no answer (a timeout, a 5xx): the merge may have happened; the pull request says whether it did
        const after = await api.find('read the pull request', '/repos/{owner}/{repo}/pulls/{pull_number}', { ...at, pull_number: number }, MergedView).catch(() => null);
        if (after?.merged && after.merge_commit_sha) return { kind: 'merged', commit: after.merge_commit_sha };
        throw error;
      }
    },
  };
}
