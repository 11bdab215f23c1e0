// The GitHub simulator's pull requests, branch protection and check runs, over a real bare repository
// (the remote nightshift pushes to): pull requests are opened on branches pushed there, the required
// checks are real commands run on the pushed commit (queued, then in progress, then completed), and a
// merge through the API writes a real merge commit on the base branch (first parent the base's head,
// message `commit_title` + blank line + `commit_message`), refused as GitHub refuses it: 405 when a
// required check is missing or failing, when the branch is behind a strict base, or when it conflicts;
// 409 when the head moved. Rulesets: the same checks may come from a ruleset instead of branch
// protection (`GET /rules/branches/:branch`), and a ruleset may require a merge queue: the REST merge is
// refused, and GraphQL's `enqueuePullRequest` queues the pull request; the queue builds a merge group
// (a real merge commit on a `gh-readonly-queue/...` branch), runs the checks on it, and moves the base to
// it when they pass or takes the pull request out when one fails. Join its routes with
// `startGithubSim({ routes: pullRoutes(...).routes })`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GRAPHQL_ROUTES } from './github-graphql.ts';
import { mergeQueueSim } from './github-queue.ts';
import { notFound } from './github-routes.ts';
import type { GithubReply, GithubRequest, Route } from './github-routes.ts';
import type { GithubWorld } from './github-state.ts';

export type SimCheck = { name: string; command: string };
export type SimPull = {
  number: number; title: string; body: string; head: string; base: string;
  state: 'open' | 'closed'; merged: boolean; mergeCommit: string | null; created: string;
};
export type CheckRun = { id: number; name: string; sha: string; status: 'queued' | 'in_progress' | 'completed'; conclusion: 'success' | 'failure' | null; output: string };

export type PullOptions = {
  /** The bare repository the simulated GitHub serves (the push remote of the repository under test). */
  bare: string;
  /** Required status checks of every protected branch (none: branches are not protected). */
  checks?: SimCheck[];
  /** Branch protection's "require branches to be up to date before merging". */
  strict?: boolean;
  /** Approving reviews from people a merge needs (branch protection's required reviews). */
  approvals?: number;
  /** This many merges are made but answered 502, as if the answer were lost on the way. */
  lostMergeAnswers?: number;
  /** false: the protection endpoint answers 403 (a token without Administration read); the branch's view still names the checks. */
  protectionReadable?: boolean;
  /** The checks (and strict) come from a ruleset: branch protection is off, the rules endpoint names them. */
  rulesets?: boolean;
  /** A ruleset requires a merge queue with this merge method. */
  mergeQueue?: { method: 'MERGE' | 'SQUASH' | 'REBASE' };
};

export type PullSim = {
  routes: Route[];
  pulls: SimPull[];
  /** Check runs started, by commit. */
  runs(): CheckRun[];
  /** Merges refused (405/409), with GitHub's message. */
  refused: string[];
  /** Pull requests the merge queue took out, with why. */
  dequeued: string[];
  /** A person approves pull request `number` at its current head. */
  approve(number: number, login: string): void;
  /** Waits for the checks still running and removes their scratch directories. */
  close(): Promise<void>;
};

const DOCS = 'https://docs.github.com/rest/pulls/pulls';
const refuse = (status: number, message: string): GithubReply => ({ status, body: { message, documentation_url: DOCS, status: String(status) } });

export function pullRoutes(options: PullOptions): PullSim {
  const pulls: SimPull[] = [];
  const reviews: Array<{ id: number; pull: number; login: string; commit: string }> = [];
  const runs: CheckRun[] = [];
  const refused: string[] = [];
  const running = new Set<Promise<void>>();
  let nextRun = 1;
  let lost = options.lostMergeAnswers ?? 0;
  const git = (...args: string[]) => execFileSync('git', ['-C', options.bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const sha = (ref: string): string | undefined => {
    try {
      return git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
    } catch {
      return undefined;
    }
  };
  const repoOk = (world: GithubWorld, p: Record<string, string>) => p.owner === world.owner && p.repo === world.name;

  function view(world: GithubWorld, base: string, pull: SimPull) {
    const url = `https://github.com/${world.owner}/${world.name}/pull/${pull.number}`;
    return {
      url: `${base}/repos/${world.owner}/${world.name}/pulls/${pull.number}`, html_url: url, number: pull.number, node_id: nodeId(pull), state: pull.state,
      title: pull.title, body: pull.body, merged: pull.merged, merge_commit_sha: pull.mergeCommit, created_at: pull.created,
      head: { ref: pull.head, sha: sha(`refs/heads/${pull.head}`) ?? null, label: `${world.owner}:${pull.head}` },
      base: { ref: pull.base, sha: sha(`refs/heads/${pull.base}`) ?? null, label: `${world.owner}:${pull.base}` },
    };
  }

  const nodeId = (pull: SimPull) => Buffer.from(`PullRequest:${pull.number}`).toString('base64');
  const identity = { GIT_AUTHOR_NAME: 'GitHub', GIT_AUTHOR_EMAIL: 'noreply@github.com', GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' };
  const commitTree = (tree: string, parents: string[], message: string) => execFileSync('git', ['-C', options.bare, 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], {
    input: message, encoding: 'utf8', env: { ...process.env, ...identity },
  }).trim();

  const queue = mergeQueueSim({ pulls, checks: options.checks !== undefined, method: options.mergeQueue?.method, git, sha, commitTree, startChecks, runs: () => runs, nodeId });

  /** Runs every required check on `commit` once, in a scratch copy of its tree, in the background; `done` when all have finished. */
  function startChecks(commit: string, done?: () => void): CheckRun[] {
    const existing = runs.filter((r) => r.sha === commit);
    if (existing.length > 0 || !options.checks) return existing;
    for (const check of options.checks) {
      const run: CheckRun = { id: nextRun++, name: check.name, sha: commit, status: 'queued', conclusion: null, output: '' };
      runs.push(run);
      const dir = mkdtempSync(join(tmpdir(), 'github-sim-check-'));
      const job = new Promise<void>((resolve) => {
        run.status = 'in_progress';
        const child = spawn('sh', ['-c', `git -C "$BARE" archive "$SHA" | tar -x -C . && ${check.command}`], {
          cwd: dir, env: { ...process.env, BARE: options.bare, SHA: commit }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (d: Buffer) => { run.output += d.toString(); });
        child.stderr.on('data', (d: Buffer) => { run.output += d.toString(); });
        child.on('close', (code) => {
          run.status = 'completed';
          run.conclusion = code === 0 ? 'success' : 'failure';
          rmSync(dir, { recursive: true, force: true });
          if (done && runs.filter((r) => r.sha === commit).every((r) => r.status === 'completed')) done();
          resolve();
        });
      });
      running.add(job);
      void job.then(() => running.delete(job));
    }
    return runs.filter((r) => r.sha === commit);
  }

  function checkView(world: GithubWorld, run: CheckRun) {
    return {
      id: run.id, name: run.name, head_sha: run.sha, status: run.status, conclusion: run.conclusion,
      html_url: `https://github.com/${world.owner}/${world.name}/runs/${run.id}`,
      output: { title: run.conclusion === 'failure' ? `${run.name} failed` : run.name, summary: run.status, text: run.output.slice(-8_000) },
    };
  }

  function merge(world: GithubWorld, request: GithubRequest, pull: SimPull): GithubReply {
    const body = z.object({ sha: z.string().optional(), merge_method: z.enum(['merge', 'squash', 'rebase']).optional(), commit_title: z.string().optional(), commit_message: z.string().optional() }).safeParse(request.body ?? {});
    if (!body.success) return { status: 422, body: { message: 'Validation Failed', documentation_url: DOCS, status: '422' } };
    const no = (status: number, message: string) => {
      refused.push(`#${pull.number}: ${message}`);
      return refuse(status, message);
    };
    if (pull.state !== 'open') return no(405, 'Pull Request is not mergeable');
    if (options.mergeQueue) return no(405, 'Changes must be made through the merge queue');
    const head = sha(`refs/heads/${pull.head}`);
    const base = sha(`refs/heads/${pull.base}`);
    if (!head || !base) return no(405, 'Pull Request is not mergeable');
    if (body.data.sha && body.data.sha !== head) return no(409, 'Head branch was modified. Review and try the merge again.');
    for (const check of options.checks ?? []) {
      const run = runs.find((r) => r.sha === head && r.name === check.name);
      if (!run || run.status !== 'completed') return no(405, `Required status check "${check.name}" is expected.`);
      if (run.conclusion !== 'success') return no(405, `Required status check "${check.name}" is failing.`);
    }
    const behind = (() => {
      try {
        git('merge-base', '--is-ancestor', base, head);
        return false;
      } catch {
        return true;
      }
    })();
    if (options.strict && behind) return no(405, 'Head branch is not up to date with the base branch.');
    const approved = new Set(reviews.filter((r) => r.pull === pull.number).map((r) => r.login)).size;
    if (approved < (options.approvals ?? 0)) return no(405, `At least ${options.approvals} approving review${options.approvals === 1 ? ' is' : 's are'} required by reviewers with write access.`);
    let tree: string;
    try {
      tree = git('merge-tree', '--write-tree', base, head).split('\n')[0] ?? '';
    } catch {
      return no(405, 'Pull Request is not mergeable');
    }
    const title = body.data.commit_title ?? `Merge pull request #${pull.number} from ${world.owner}/${pull.head}`;
    const message = body.data.commit_message ?? pull.title;
    const commit = commitTree(tree, [base, head], `${title}\n\n${message}\n`);
    try {
      git('update-ref', `refs/heads/${pull.base}`, commit, base);
    } catch {
      return no(409, 'Base branch was modified. Review and try the merge again.');
    }
    Object.assign(pull, { state: 'closed', merged: true, mergeCommit: commit });
    listAsIssue(world, pull);
    if (lost-- > 0) return { status: 502, body: { message: 'Server Error' } };
    return { status: 200, body: { sha: commit, merged: true, message: 'Pull Request successfully merged' } };
  }

  /** The issues list's view of a pull request kept in step with it (the list shows pull requests too). */
  function listAsIssue(world: GithubWorld, pull: SimPull): void {
    const listed = world.pulls.find((p) => p.number === pull.number);
    if (listed) Object.assign(listed, { title: pull.title, state: pull.state, updated: world.clock() });
    else world.pulls.push({ number: pull.number, title: pull.title, state: pull.state, labels: [], created: pull.created, updated: pull.created });
  }
  const find = (world: GithubWorld, p: Record<string, string>) => (repoOk(world, p) ? pulls.find((x) => x.number === Number(p.number)) : undefined);
  const Open = z.object({ title: z.string().min(1), head: z.string().min(1), base: z.string().min(1), body: z.string().optional() });
  const Edit = z.object({ title: z.string().min(1).optional(), body: z.string().optional(), state: z.enum(['open', 'closed']).optional() });

  const routes: Route[] = [
    { method: 'GET', path: '/repos/:owner/:repo/pulls', handle: (world, request) => {
      if (!repoOk(world, request.params)) return notFound();
      const q = request.url.searchParams;
      const state = q.get('state') ?? 'open';
      const head = q.get('head');
      const base = q.get('base');
      const found = pulls.filter((p) => (state === 'all' || p.state === state) && (!head || `${world.owner}:${p.head}` === head) && (!base || p.base === base))
        .sort((a, b) => (q.get('direction') === 'asc' ? a.number - b.number : b.number - a.number)); // newest first, as GitHub's default
      return { status: 200, body: found.map((p) => view(world, request.base, p)) };
    } },
    { method: 'POST', path: '/repos/:owner/:repo/pulls', handle: (world, request) => {
      if (!repoOk(world, request.params)) return notFound();
      const body = Open.safeParse(request.body);
      if (!body.success) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }], documentation_url: DOCS, status: '422' } };
      const head = body.data.head.replace(/^[^:]+:/, '');
      const invalid = (message: string) => ({ status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message }], documentation_url: DOCS, status: '422' } });
      const headSha = sha(`refs/heads/${head}`);
      const baseSha = sha(`refs/heads/${body.data.base}`);
      if (!headSha || !baseSha) return invalid(`${!headSha ? 'head' : 'base'} ref does not exist`);
      if (pulls.some((p) => p.state === 'open' && p.head === head && p.base === body.data.base)) return invalid(`A pull request already exists for ${world.owner}:${head}.`);
      if (headSha === baseSha) return invalid(`No commits between ${body.data.base} and ${head}`);
      const pull: SimPull = { number: world.nextNumber++, title: body.data.title, body: body.data.body ?? '', head, base: body.data.base, state: 'open', merged: false, mergeCommit: null, created: world.clock() };
      pulls.push(pull);
      listAsIssue(world, pull);
      return { status: 201, body: view(world, request.base, pull) };
    } },
    { method: 'GET', path: '/repos/:owner/:repo/pulls/:number', handle: (world, request) => {
      const pull = find(world, request.params);
      return pull ? { status: 200, body: view(world, request.base, pull) } : notFound();
    } },
    { method: 'PATCH', path: '/repos/:owner/:repo/pulls/:number', handle: (world, request) => {
      const pull = find(world, request.params);
      if (!pull) return notFound();
      const body = Edit.safeParse(request.body ?? {});
      if (!body.success) return { status: 422, body: { message: 'Validation Failed', documentation_url: DOCS, status: '422' } };
      if (body.data.title !== undefined) pull.title = body.data.title;
      if (body.data.body !== undefined) pull.body = body.data.body;
      if (body.data.state !== undefined && !pull.merged) pull.state = body.data.state;
      listAsIssue(world, pull);
      return { status: 200, body: view(world, request.base, pull) };
    } },
    { method: 'PUT', path: '/repos/:owner/:repo/pulls/:number/merge', handle: (world, request) => {
      const pull = find(world, request.params);
      return pull ? merge(world, request, pull) : notFound();
    } },
    { method: 'GET', path: '/repos/:owner/:repo/pulls/:number/reviews', handle: (world, request) => {
      const pull = find(world, request.params);
      if (!pull) return notFound();
      return { status: 200, body: reviews.filter((r) => r.pull === pull.number).map((r) => ({ id: r.id, user: { login: r.login }, state: 'APPROVED', commit_id: r.commit })) };
    } },
    { method: 'GET', path: '/repos/:owner/:repo/branches/:branch', handle: (world, request) => {
      const head = sha(`refs/heads/${request.params.branch ?? ''}`);
      if (!repoOk(world, request.params) || !head) return refuse(404, 'Branch not found');
      const protectedBy = options.checks !== undefined && !options.rulesets;
      const contexts = protectedBy ? (options.checks ?? []).map((c) => c.name) : [];
      return { status: 200, body: { name: request.params.branch, commit: { sha: head }, protected: protectedBy,
        protection: { enabled: protectedBy, required_status_checks: { enforcement_level: protectedBy ? 'non_admins' : 'off', contexts, checks: contexts.map((c) => ({ context: c, app_id: null })) } } } };
    } },
    { method: 'GET', path: '/repos/:owner/:repo/branches/:branch/protection/required_status_checks', handle: (world, request) => {
      if (options.protectionReadable === false) return refuse(403, 'Resource not accessible by personal access token');
      if (!repoOk(world, request.params) || !options.checks || options.rulesets) return refuse(404, 'Branch not protected');
      return { status: 200, body: { strict: options.strict ?? false, contexts: options.checks.map((c) => c.name), checks: options.checks.map((c) => ({ context: c.name, app_id: 15368 })) } };
    } },
    { method: 'GET', path: '/repos/:owner/:repo/rules/branches/:branch', handle: (world, request) => {
      if (!repoOk(world, request.params)) return notFound();
      const source = { ruleset_source_type: 'Repository', ruleset_source: `${world.owner}/${world.name}`, ruleset_id: 42 };
      const rules: unknown[] = [];
      if (options.rulesets && options.checks) {
        rules.push({ type: 'required_status_checks', ...source, parameters: { strict_required_status_checks_policy: options.strict ?? false, required_status_checks: options.checks.map((c) => ({ context: c.name, integration_id: 15368 })) } });
      }
      const queueRule = queue.rule(source);
      if (queueRule) rules.push(queueRule);
      return { status: 200, body: rules };
    } },
    { method: 'POST', path: '/graphql', handle: (world, request) => {
      const query = (request.body as { query?: unknown } | undefined)?.query;
      if (typeof query === 'string' && /enqueuePullRequest|isInMergeQueue/.test(query)) return queue.graphql(world, request);
      return GRAPHQL_ROUTES[0]!.handle(world, request); // the issues' GraphQL
    } },
    { method: 'GET', path: '/repos/:owner/:repo/commits/:ref/check-runs', handle: (world, request) => {
      if (!repoOk(world, request.params)) return notFound();
      const commit = sha(request.params.ref ?? '');
      if (!commit) return refuse(422, `No commit found for SHA: ${request.params.ref}`);
      const found = startChecks(commit);
      return { status: 200, body: { total_count: found.length, check_runs: found.map((r) => checkView(world, r)) } };
    } },
  ];

  return {
    routes, pulls, refused, dequeued: queue.dequeued,
    approve(number, login) {
      const pull = pulls.find((p) => p.number === number);
      if (pull) reviews.push({ id: reviews.length + 1, pull: number, login, commit: sha(`refs/heads/${pull.head}`) ?? '' });
    },
    runs: () => [...runs],
    async close() {
      await Promise.all([...running]);
    },
  };
}
