// The Jira simulator's endpoints: request validation (zod, Jira's error shapes) and the changes each
// makes to the world. The old `/search` answers 410 Gone, as Jira Cloud does since 2025.
import { z } from 'zod';
import { JqlError, compileJql } from './jira-jql.ts';
import { STATUSES, TRANSITIONS, createViews, findIssue, statusOf } from './jira-state.ts';
import type { JIssue, JiraWorld } from './jira-state.ts';

export type JiraReply = { status: number; body?: unknown; expected?: boolean };
/** `shortPage`: answer a search page with fewer issues than asked (more follow). */
type Request = { method: string; url: URL; body: unknown; shortPage?: boolean };

const fail = (status: number, ...messages: string[]): JiraReply => ({ status, body: { errorMessages: messages, errors: {} } });
const fieldError = (field: string, message: string): JiraReply => ({ status: 400, body: { errorMessages: [], errors: { [field]: message } } });

const Adf = z.object({ type: z.literal('doc'), version: z.literal(1), content: z.array(z.looseObject({ type: z.string() })) });
const Search = z.object({
  jql: z.string(), fields: z.array(z.string()).optional(), maxResults: z.number().int().min(0).optional(),
  nextPageToken: z.string().optional(), expand: z.string().optional(), properties: z.array(z.string()).optional(),
  fieldsByKeys: z.boolean().optional(), reconcileIssues: z.array(z.number()).optional(),
});
const Label = z.string().regex(/^\S+$/, 'labels cannot contain spaces');
const CreateIssue = z.object({
  fields: z.looseObject({
    project: z.object({ key: z.string() }), summary: z.string().min(1), issuetype: z.object({ name: z.enum(['Task', 'Bug', 'Story']) }),
    description: Adf.optional(), labels: z.array(Label).optional(),
  }),
  properties: z.array(z.object({ key: z.string(), value: z.unknown() })).optional(),
});
const Edit = z.object({
  fields: z.object({ labels: z.array(Label).optional() }).optional(),
  update: z.object({ labels: z.array(z.union([z.object({ add: Label }), z.object({ remove: Label }), z.object({ set: z.array(Label) })])).optional() }).optional(),
});
const Transition = z.object({ transition: z.object({ id: z.string() }) });
const AddComment = z.object({ body: Adf });
const Ref = z.object({ key: z.string().optional(), id: z.string().optional() });
const Link = z.object({ type: z.object({ name: z.string().optional(), id: z.string().optional() }), inwardIssue: Ref, outwardIssue: Ref, comment: z.unknown().optional() });

function bad(error: z.ZodError): JiraReply {
  const issue = error.issues[0];
  return fieldError(issue?.path.join('.') || 'body', issue?.message ?? 'invalid');
}

function list(url: URL, name: string): string[] | undefined {
  const all = url.searchParams.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return all.length > 0 ? all : undefined;
}

export function handleJira(world: JiraWorld, base: string, req: Request): JiraReply {
  const v = createViews(world, base);
  const path = req.url.pathname.replace(/\/+$/, '');
  const route = `${req.method} ${path}`;
  if (/^(GET|POST) \/rest\/api\/[23]\/search$/.test(route)) {
    return fail(410, 'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046');
  }
  if (route === 'POST /rest/api/3/search/jql' || route === 'GET /rest/api/3/search/jql') {
    const input = req.method === 'POST' ? req.body : {
      jql: req.url.searchParams.get('jql') ?? '', fields: list(req.url, 'fields'), nextPageToken: req.url.searchParams.get('nextPageToken') ?? undefined,
      maxResults: req.url.searchParams.has('maxResults') ? Number(req.url.searchParams.get('maxResults')) : undefined,
    };
    const parsed = Search.safeParse(input);
    if (!parsed.success) return bad(parsed.error);
    return search(world, v, parsed.data, req.shortPage === true);
  }
  const issueRoute = /^\/rest\/api\/3\/issue\/([^/]+)(\/transitions|\/comment)?$/.exec(path);
  if (issueRoute) {
    const issue = findIssue(world, decodeURIComponent(issueRoute[1] ?? ''));
    if (!issue) return fail(404, 'Issue does not exist or you do not have permission to see it.');
    const expand = list(req.url, 'expand') ?? [];
    switch (`${req.method} ${issueRoute[2] ?? ''}`) {
      case 'GET ': return { status: 200, body: v.issue(issue, list(req.url, 'fields'), expand) };
      case 'PUT ': return edit(world, issue, req.body);
      case 'GET /transitions': return { status: 200, body: { expand: 'transitions', transitions: v.transitions(issue) } };
      case 'POST /transitions': {
        const parsed = Transition.safeParse(req.body);
        if (!parsed.success) return bad(parsed.error);
        const t = TRANSITIONS.find((x) => x.id === parsed.data.transition.id && x.to !== issue.statusId);
        if (!t) return fail(400, `Transition id '${parsed.data.transition.id}' is not valid for this issue.`);
        if (world.searchLagMs > 0) issue.staleStatus = { statusId: issue.statusId, until: Date.now() + world.searchLagMs };
        issue.statusId = t.to;
        issue.updated = world.clock();
        return { status: 204 };
      }
      case 'GET /comment': {
        const order = req.url.searchParams.get('orderBy') ?? 'created';
        const sorted = [...issue.comments].sort((a, b) => a.created.localeCompare(b.created));
        if (order === '-created') sorted.reverse();
        const startAt = Number(req.url.searchParams.get('startAt') ?? 0);
        const maxResults = Math.min(Number(req.url.searchParams.get('maxResults') ?? 100), 100);
        return { status: 200, body: { startAt, maxResults, total: sorted.length, comments: sorted.slice(startAt, startAt + maxResults).map((c) => v.comment(issue, c)) } };
      }
      case 'POST /comment': {
        const parsed = AddComment.safeParse(req.body);
        if (!parsed.success) return fail(400, 'Comment body is not valid!');
        const c = { id: String(world.nextId++), authorId: world.apiUserId, body: parsed.data.body, created: world.clock() };
        issue.comments.push(c);
        return { status: 201, body: v.comment(issue, c) };
      }
    }
    return fail(405, `${req.method} is not supported here.`);
  }
  if (route === 'POST /rest/api/3/issue') return create(world, base, req.body);
  if (route === 'POST /rest/api/3/issueLink') {
    const parsed = Link.safeParse(req.body);
    if (!parsed.success) return bad(parsed.error);
    if (parsed.data.type.name !== 'Blocks' && parsed.data.type.id !== '10000') return fail(404, `No issue link type with name '${parsed.data.type.name}' found.`);
    const from = findIssue(world, parsed.data.inwardIssue.key ?? parsed.data.inwardIssue.id ?? '');
    const to = findIssue(world, parsed.data.outwardIssue.key ?? parsed.data.outwardIssue.id ?? '');
    if (!from || !to) return fail(404, 'Issue does not exist or you do not have permission to see it.');
    world.links.push({ id: String(world.nextId++), inward: from.id, outward: to.id });
    return { status: 201 };
  }
  return fail(404, `No simulated endpoint for ${route}.`);
}

function search(world: JiraWorld, v: ReturnType<typeof createViews>, input: z.infer<typeof Search>, shortPage: boolean): JiraReply {
  let compiled;
  try {
    compiled = compileJql(input.jql, (key) => findIssue(world, key) !== undefined);
  } catch (error) {
    if (error instanceof JqlError) return { ...fail(400, ...error.messages), expected: error.messages.every((m) => m.includes('does not exist for field')) };
    throw error;
  }
  const reconciled = new Set((input.reconcileIssues ?? []).map(String));
  const now = Date.now();
  // What the lagging index holds: issues created too recently are missing, recent transitions not yet seen.
  const visible = world.issues
    .filter((i) => (i.indexedAt ?? 0) <= now || reconciled.has(i.id))
    .map((i) => (i.staleStatus && i.staleStatus.until > now && !reconciled.has(i.id) ? { ...i, statusId: i.staleStatus.statusId } : i));
  const matches = visible.filter((i) => compiled.match({ key: i.key, project: i.project, labels: i.labels, status: statusOf(i).name, summary: i.summary, properties: i.properties, updated: i.updated }));
  const number = (i: JIssue) => Number(i.key.slice(i.key.lastIndexOf('-') + 1));
  matches.sort((a, b) => (a.project === b.project ? number(a) - number(b) : a.project < b.project ? -1 : 1));
  if (compiled.orderBy?.desc) matches.reverse();
  const offset = input.nextPageToken ? Number(Buffer.from(input.nextPageToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) return fail(400, 'The provided next page token is invalid or expired.');
  const asked = Math.min(input.maxResults ?? 50, 100);
  const size = shortPage ? Math.ceil(asked / 3) : asked;
  const page = matches.slice(offset, offset + size);
  const isLast = offset + size >= matches.length;
  return {
    status: 200,
    body: {
      issues: page.map((i) => v.issue(i, input.fields ?? ['id'], input.expand?.split(',') ?? [])),
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(offset + size)).toString('base64url') }),
      isLast,
    },
  };
}

function edit(world: JiraWorld, issue: JIssue, body: unknown): JiraReply {
  const parsed = Edit.safeParse(body);
  if (!parsed.success) return bad(parsed.error);
  if (parsed.data.fields?.labels) issue.labels = [...new Set(parsed.data.fields.labels)];
  for (const op of parsed.data.update?.labels ?? []) {
    if ('add' in op && !issue.labels.includes(op.add)) issue.labels.push(op.add);
    if ('remove' in op) issue.labels = issue.labels.filter((l) => l !== op.remove);
    if ('set' in op) issue.labels = [...new Set(op.set)];
  }
  issue.updated = world.clock();
  return { status: 204 };
}

function create(world: JiraWorld, base: string, body: unknown): JiraReply {
  const parsed = CreateIssue.safeParse(body);
  if (!parsed.success) return bad(parsed.error);
  const { fields, properties } = parsed.data;
  const project = fields.project.key.toUpperCase();
  const numbers = world.issues.filter((i) => i.project === project).map((i) => Number(i.key.slice(project.length + 1)));
  if (numbers.length === 0) return fieldError('project', 'valid project is required');
  const at = world.clock();
  const issue: JIssue = {
    id: String(world.nextId++), key: `${project}-${Math.max(...numbers) + 1}`, project, summary: fields.summary, description: fields.description ?? null,
    statusId: STATUSES[0]!.id, labels: [...new Set(fields.labels ?? [])], created: at, updated: at, issueType: fields.issuetype.name, comments: [],
    properties: Object.fromEntries((properties ?? []).map((p) => [p.key, p.value])), indexedAt: Date.now() + world.searchLagMs,
  };
  world.issues.push(issue);
  return { status: 201, body: { id: issue.id, key: issue.key, self: `${base}/rest/api/3/issue/${issue.id}` } };
}
