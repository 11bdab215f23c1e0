// The GitHub simulator's router and its issue endpoints: a route is a method, a path pattern and a
// handler of the world; request bodies are checked with zod and refused as GitHub does (422 Validation
// Failed). Other route tables (pull requests, check runs) join with `createRouter([...ISSUE_ROUTES, ...])`.
import { z } from 'zod';
import { createViews, findIssue } from './github-state.ts';
import type { GIssue, GithubWorld } from './github-state.ts';

export type GithubReply = { status: number; body?: unknown; headers?: Record<string, string>; expected?: boolean };
export type GithubRequest = {
  method: string;
  url: URL;
  /** Named parts of the path pattern (`:owner`, `:number`, ...), URL-decoded. */
  params: Record<string, string>;
  body: unknown;
  /** The API root, for the URLs in answers. */
  base: string;
  /** Answer a list with fewer items than asked, more to come (a fault, still a legal answer). */
  shortPage?: boolean;
};
export type Route = { method: string; path: string; handle(world: GithubWorld, request: GithubRequest): GithubReply };

const DOCS = 'https://docs.github.com/rest';
export const notFound = (): GithubReply => ({ status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } });
const invalid = (message: string): GithubReply => ({ status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'invalid', message }], documentation_url: DOCS, status: '422' } });

/** Matches a request to its route; an unknown path is GitHub's 404. */
export function createRouter(routes: Route[]) {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/:(\w+)/g, (_, name: string) => { names.push(name); return '([^/]+)'; });
    return { route, names, pattern: new RegExp(`^${source}/?$`) };
  });
  return (world: GithubWorld, request: Omit<GithubRequest, 'params'>): GithubReply => {
    for (const { route, names, pattern } of compiled) {
      const match = pattern.exec(request.url.pathname);
      if (!match || route.method !== request.method) continue;
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
      return route.handle(world, { ...request, params });
    }
    return notFound();
  };
}

/** One page of `items` by `page`/`per_page` (or the `after` cursor of a short page's next link), with Link. */
export function paginate<T>(items: T[], request: GithubRequest): GithubReply & { body: T[] } {
  const q = request.url.searchParams;
  const perPage = Math.min(100, Math.max(1, Number(q.get('per_page') ?? 30) || 30));
  const after = q.get('after');
  const start = after !== null ? Number(after) : (Math.max(1, Number(q.get('page') ?? 1) || 1) - 1) * perPage;
  const size = request.shortPage ? Math.max(1, Math.ceil(perPage / 2)) : perPage;
  const page = items.slice(start, start + size);
  const end = start + page.length;
  if (end >= items.length) return { status: 200, body: page };
  const next = new URL(request.url);
  next.searchParams.set('per_page', String(perPage));
  if (request.shortPage || after !== null) {
    next.searchParams.delete('page');
    next.searchParams.set('after', String(end));
  } else {
    next.searchParams.set('page', String(end / perPage + 1));
  }
  return { status: 200, body: page, headers: { link: `<${request.base}${next.pathname}${next.search}>; rel="next"` } };
}

function repoOk(world: GithubWorld, p: Record<string, string>): boolean {
  return p.owner?.toLowerCase() === world.owner.toLowerCase() && p.repo?.toLowerCase() === world.name.toLowerCase();
}

/** The issue of the path, or GitHub's 404 when the repository or the number is not there. */
function withIssue(handle: (world: GithubWorld, issue: GIssue, request: GithubRequest) => GithubReply): Route['handle'] {
  return (world, request) => {
    const issue = repoOk(world, request.params) ? findIssue(world, Number(request.params.number)) : undefined;
    return issue ? handle(world, issue, request) : notFound();
  };
}

function touch(world: GithubWorld, issue: GIssue): void {
  issue.updated = world.clock();
}

function addLabels(world: GithubWorld, issue: GIssue, names: string[]): void {
  for (const name of names) {
    world.labels.add(name);
    if (!issue.labels.includes(name)) issue.labels.push(name);
  }
}

const LabelName = z.string().min(1).max(50);
const CreateIssue = z.object({ title: z.string().min(1), body: z.string().nullable().optional(), labels: z.array(LabelName).optional() });
const UpdateIssue = z.object({
  title: z.string().min(1).optional(), body: z.string().nullable().optional(), state: z.enum(['open', 'closed']).optional(),
  state_reason: z.enum(['completed', 'not_planned', 'duplicate', 'reopened']).nullable().optional(),
});
const AddLabels = z.union([z.object({ labels: z.array(LabelName).min(1) }), z.array(LabelName).min(1)]);
const NewComment = z.object({ body: z.string().min(1) });
const NewBlocker = z.object({ issue_id: z.number().int() });

function dependencyRoute(handle: (world: GithubWorld, issue: GIssue, request: GithubRequest) => GithubReply): Route['handle'] {
  return withIssue((world, issue, request) => (world.dependencies ? handle(world, issue, request) : notFound()));
}

export const ISSUE_ROUTES: Route[] = [
  { method: 'GET', path: '/repos/:owner/:repo/issues', handle: (world, request) => {
    if (!repoOk(world, request.params)) return notFound();
    const views = createViews(world, request.base);
    const q = request.url.searchParams;
    const state = q.get('state') ?? 'open';
    const labels = (q.get('labels') ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '');
    const sort = q.get('sort') ?? 'created';
    const desc = (q.get('direction') ?? 'desc') === 'desc';
    // `since`: only what was updated at or after it (GitHub reads it to the second); a bad one is GitHub's 422
    const sinceText = q.get('since');
    const since = sinceText === null ? undefined : Date.parse(sinceText);
    if (since !== undefined && Number.isNaN(since)) return invalid(`since: "${sinceText}" is not an ISO 8601 time`);
    // pull requests share the issues' numbers and this list: each carries a `pull_request` object
    const listed = [...world.issues.map((i) => ({ ...i, view: () => views.issue(i) })), ...world.pulls.map((p) => ({ ...p, view: () => views.pull(p) }))];
    const key = (i: { created: string; updated: string }) => (sort === 'updated' ? i.updated : i.created);
    const found = listed
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())))
      .filter((i) => since === undefined || Date.parse(i.updated) >= Math.floor(since / 1000) * 1000)
      .sort((a, b) => (key(a).localeCompare(key(b)) || a.number - b.number) * (desc ? -1 : 1));
    const page = paginate(found, request);
    return { ...page, body: page.body.map((i) => i.view()) };
  } },
  { method: 'POST', path: '/repos/:owner/:repo/issues', handle: (world, request) => {
    if (!repoOk(world, request.params)) return notFound();
    const input = CreateIssue.safeParse(request.body);
    if (!input.success) return invalid(input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const at = world.clock();
    const issue: GIssue = {
      id: world.nextId++, number: world.nextNumber++, title: input.data.title, body: input.data.body ?? null, state: 'open', stateReason: null,
      labels: [], comments: [], blockedBy: [], created: at, updated: at, closed: null,
    };
    addLabels(world, issue, input.data.labels ?? []);
    world.issues.push(issue);
    return { status: 201, body: createViews(world, request.base).issue(issue), headers: { location: `${request.base}/repos/${world.owner}/${world.name}/issues/${issue.number}` } };
  } },
  { method: 'GET', path: '/repos/:owner/:repo/issues/:number', handle: withIssue((world, issue, request) => ({ status: 200, body: createViews(world, request.base).issue(issue) })) },
  { method: 'PATCH', path: '/repos/:owner/:repo/issues/:number', handle: withIssue((world, issue, request) => {
    const input = UpdateIssue.safeParse(request.body);
    if (!input.success) return invalid(input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { title, body, state, state_reason: reason } = input.data;
    if (title !== undefined) issue.title = title;
    if (body !== undefined) issue.body = body;
    if (state === 'closed') {
      if (issue.state !== 'closed') issue.closed = world.clock();
      issue.state = 'closed';
      issue.stateReason = reason === 'not_planned' || reason === 'duplicate' ? reason : 'completed';
    } else if (state === 'open') {
      if (issue.state === 'closed') issue.stateReason = 'reopened';
      issue.state = 'open';
      issue.closed = null;
    }
    touch(world, issue);
    return { status: 200, body: createViews(world, request.base).issue(issue) };
  }) },
  { method: 'POST', path: '/repos/:owner/:repo/issues/:number/labels', handle: withIssue((world, issue, request) => {
    const input = AddLabels.safeParse(request.body);
    if (!input.success) return invalid(input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    addLabels(world, issue, Array.isArray(input.data) ? input.data : input.data.labels);
    touch(world, issue);
    return { status: 200, body: issue.labels.map(createViews(world, request.base).label) };
  }) },
  { method: 'DELETE', path: '/repos/:owner/:repo/issues/:number/labels/:name', handle: withIssue((world, issue, request) => {
    const at = issue.labels.findIndex((l) => l.toLowerCase() === request.params.name?.toLowerCase());
    if (at < 0) return { status: 404, body: { message: 'Label does not exist', documentation_url: DOCS, status: '404' }, expected: true };
    issue.labels.splice(at, 1);
    touch(world, issue);
    return { status: 200, body: issue.labels.map(createViews(world, request.base).label) };
  }) },
  { method: 'GET', path: '/repos/:owner/:repo/issues/:number/comments', handle: withIssue((world, issue, request) => {
    const views = createViews(world, request.base);
    const page = paginate(issue.comments, request);
    return { ...page, body: page.body.map((c) => views.comment(issue, c)) };
  }) },
  { method: 'POST', path: '/repos/:owner/:repo/issues/:number/comments', handle: withIssue((world, issue, request) => {
    const input = NewComment.safeParse(request.body);
    if (!input.success) return invalid('body: cannot be blank');
    const comment = { id: world.nextId++, login: world.login, body: input.data.body, created: world.clock() };
    issue.comments.push(comment);
    touch(world, issue);
    return { status: 201, body: createViews(world, request.base).comment(issue, comment) };
  }) },
  { method: 'GET', path: '/repos/:owner/:repo/issues/:number/dependencies/blocked_by', handle: dependencyRoute((world, issue, request) => {
    const views = createViews(world, request.base);
    const page = paginate(issue.blockedBy.map((id) => world.issues.find((i) => i.id === id)).filter((i) => i !== undefined), request);
    return { ...page, body: page.body.map(views.issue) };
  }) },
  { method: 'POST', path: '/repos/:owner/:repo/issues/:number/dependencies/blocked_by', handle: dependencyRoute((world, issue, request) => {
    const input = NewBlocker.safeParse(request.body);
    if (!input.success) return invalid('issue_id: must be an integer');
    const blocker = world.issues.find((i) => i.id === input.data.issue_id);
    if (!blocker) return notFound();
    if (blocker === issue || issue.blockedBy.includes(blocker.id)) return invalid('the dependency already exists or would block the issue itself');
    issue.blockedBy.push(blocker.id);
    touch(world, issue);
    return { status: 201, body: createViews(world, request.base).issue(blocker) };
  }) },
  { method: 'DELETE', path: '/repos/:owner/:repo/issues/:number/dependencies/blocked_by/:id', handle: dependencyRoute((world, issue, request) => {
    const at = issue.blockedBy.indexOf(Number(request.params.id));
    if (at < 0) return notFound();
    const [removed] = issue.blockedBy.splice(at, 1);
    touch(world, issue);
    return { status: 200, body: createViews(world, request.base).issue(world.issues.find((i) => i.id === removed)!) };
  }) },
];
