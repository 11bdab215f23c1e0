// The Linear simulator's resolvers: views of the world's records shaped like Linear's types (related
// objects and connections are functions of their arguments, which graphql-js calls), and the mutations
// the adapter sends, with Linear's input checks (unknown ids, duplicate ids, states of another team).
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { findIssue, identifier, matchIssue, matchLabel, matchState, matchTeam } from './linear-state.ts';
import type { LComment, LIssue, LLabel, LRelation, LState, LTeam, LUser, LinearWorld } from './linear-state.ts';

type Args = Record<string, unknown>;
const MAX_PAGE = 250;

export function inputError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: message } });
}

/** Relay pagination with Linear's defaults (50 per page, at most 250), cursors are node ids. */
function paginate<T extends { id: string }, V>(items: T[], args: Args, view: (item: T) => V) {
  for (const name of ['first', 'last'] as const) {
    const n = args[name] as number | undefined;
    if (n !== undefined && n !== null && (n < 0 || n > MAX_PAGE)) throw inputError(`${name} must be between 0 and ${MAX_PAGE}`);
  }
  let start = 0;
  let end = items.length;
  if (args.after) start = items.findIndex((i) => i.id === args.after) + 1;
  if (args.before) {
    const at = items.findIndex((i) => i.id === args.before);
    end = at < 0 ? end : at;
  }
  if (start <= 0 && args.after) throw inputError('after cursor not found');
  const first = args.first as number | undefined;
  const last = args.last as number | undefined;
  if (first !== undefined && first !== null) end = Math.min(end, start + first);
  else if (last !== undefined && last !== null) start = Math.max(start, end - last);
  else end = Math.min(end, start + 50);
  const page = items.slice(start, end);
  return {
    nodes: page.map(view),
    edges: page.map((item) => ({ cursor: item.id, node: view(item) })),
    pageInfo: { startCursor: page[0]?.id ?? null, endCursor: page.at(-1)?.id ?? null, hasPreviousPage: start > 0, hasNextPage: end < items.length },
  };
}


export function createViews(world: LinearWorld, baseUrl: string) {
  const byCreated = <T extends { createdAt: string }>(items: T[]) =>
    [...items].sort((a, b) => (world.newestFirst ? b.createdAt.localeCompare(a.createdAt) : a.createdAt.localeCompare(b.createdAt)));
  const user = (u: LUser) => ({ id: u.id, name: u.name, displayName: u.name, email: `${u.name.replace(/\W+/g, '.').toLowerCase()}@example.com`, active: true, createdAt: '2026-01-01T00:00:00.000Z' });
  const team = (t: LTeam): Record<string, unknown> => ({
    id: t.id, key: t.key, name: t.name, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    states: (a: Args) => paginate(world.states.filter((s) => s.teamId === t.id && matchState(world, s, a.filter as Args)), a, state),
    labels: (a: Args) => paginate(world.labels.filter((l) => l.teamId === t.id && matchLabel(world, l, a.filter as Args)), a, label),
    issues: (a: Args) => paginate(byCreated(world.issues.filter((i) => i.teamId === t.id && matchIssue(world, i, a.filter as Args))), a, issue),
  });
  const teamById = (id: string) => team(world.teams.find((t) => t.id === id)!);
  const state = (s: LState) => ({ id: s.id, name: s.name, type: s.type, position: s.position, color: '#888888', description: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', team: () => teamById(s.teamId) });
  const label = (l: LLabel) => ({ id: l.id, name: l.name, color: '#5e6ad2', description: null, isGroup: false, createdAt: l.createdAt, updatedAt: l.createdAt, team: () => (l.teamId ? teamById(l.teamId) : null) });
  const comment = (c: LComment) => ({
    id: c.id, body: c.body, createdAt: c.createdAt, updatedAt: c.createdAt, editedAt: null, url: `${baseUrl}/comment/${c.id}`,
    user: () => user(world.users.find((u) => u.id === c.userId)!), issue: () => issueById(c.issueId),
  });
  const relation = (r: LRelation) => ({ id: r.id, type: r.type, createdAt: r.createdAt, updatedAt: r.createdAt, issue: () => issueById(r.issueId), relatedIssue: () => issueById(r.relatedIssueId) });
  const issue = (i: LIssue): Record<string, unknown> => {
    const s = world.states.find((x) => x.id === i.stateId)!;
    return {
      id: i.id, identifier: identifier(world, i), number: i.number, title: i.title, description: i.description,
      url: `${baseUrl}/issue/${identifier(world, i)}`, priority: 0, createdAt: i.createdAt, updatedAt: i.updatedAt,
      completedAt: s.type === 'completed' ? i.updatedAt : null, canceledAt: s.type === 'canceled' ? i.updatedAt : null, startedAt: null,
      labelIds: i.labelIds, state: () => state(s), team: () => teamById(i.teamId),
      labels: (a: Args) => paginate(world.labels.filter((l) => i.labelIds.includes(l.id) && matchLabel(world, l, a.filter as Args)), a, label),
      comments: (a: Args) => paginate(byCreated(world.comments.filter((c) => c.issueId === i.id && (!(a.filter as Args)?.body || (a.filter as Args).body === null))), a, comment),
      relations: (a: Args) => paginate(byCreated(world.relations.filter((r) => r.issueId === i.id)), a, relation),
      inverseRelations: (a: Args) => paginate(byCreated(world.relations.filter((r) => r.relatedIssueId === i.id)), a, relation),
    };
  };
  const issueById = (id: string) => issue(world.issues.find((i) => i.id === id)!);
  return { user, team, state, label, comment, relation, issue, paginate, byCreated };
}

function mustIssue(world: LinearWorld, id: unknown): LIssue {
  const found = typeof id === 'string' ? findIssue(world, id) : undefined;
  if (!found) throw inputError(`Entity not found: Issue - Could not find referenced Issue (${String(id)}).`);
  return found;
}

function freshId(world: LinearWorld, id: unknown, taken: (id: string) => boolean): string {
  if (id === undefined || id === null) return randomUUID();
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw inputError('id must be a UUID v4');
  if (taken(id)) throw inputError(`Entity already exists: ${id}`);
  void world;
  return id;
}

/** `shortPage`: answer top-level issue pages with fewer issues than asked (more follow). */
export function createRoot(world: LinearWorld, baseUrl: string, shortPage = false) {
  const v = createViews(world, baseUrl);
  const shorten = (a: Args): Args => (shortPage && typeof a.first === 'number' && a.first > 1 ? { ...a, first: Math.ceil(a.first / 3) } : a);
  const sync = () => ++world.lastSyncId;
  const now = world.clock;
  return {
    viewer: () => v.user(world.users.find((u) => u.id === world.viewerId)!),
    issue: (a: Args) => v.issue(mustIssue(world, a.id)),
    issues: (a: Args) => v.paginate(v.byCreated(world.issues.filter((i) => (a.includeArchived === true || !i.archivedAt) && matchIssue(world, i, a.filter as Args))), shorten(a), v.issue),
    // every relation of the workspace; by `updatedAt` newest first (Linear's order for it is not documented: the client checks)
    issueRelations: (a: Args) => v.paginate(a.orderBy === 'updatedAt' ? [...world.relations].sort((x, y) => y.createdAt.localeCompare(x.createdAt)) : v.byCreated(world.relations), shorten(a), v.relation),
    team: (a: Args) => {
      const t = world.teams.find((x) => x.id === a.id || x.key === a.id);
      if (!t) throw inputError('Entity not found: Team');
      return v.team(t);
    },
    teams: (a: Args) => v.paginate(world.teams.filter((t) => matchTeam(world, t, a.filter as Args)), a, v.team),
    issueLabels: (a: Args) => v.paginate(world.labels.filter((l) => matchLabel(world, l, a.filter as Args)), a, v.label),
    workflowStates: (a: Args) => v.paginate(world.states.filter((s) => matchState(world, s, a.filter as Args)), a, v.state),
    comment: (a: Args) => {
      const c = world.comments.find((x) => x.id === a.id);
      if (!c) throw inputError('Entity not found: Comment');
      return v.comment(c);
    },

    issueCreate: ({ input }: { input: Args }) => {
      const t = world.teams.find((x) => x.id === input.teamId);
      if (!t) throw inputError('Entity not found: Team - Could not find referenced Team.');
      const id = freshId(world, input.id, (x) => world.issues.some((i) => i.id === x));
      const states = world.states.filter((s) => s.teamId === t.id);
      const stateId = (input.stateId as string | undefined) ?? states.find((s) => s.type === 'unstarted')?.id ?? states[0]!.id;
      if (!states.some((s) => s.id === stateId)) throw inputError('stateId does not belong to the issue team');
      const labelIds = (input.labelIds as string[] | undefined) ?? [];
      for (const l of labelIds) if (!world.labels.some((x) => x.id === l && (x.teamId === null || x.teamId === t.id))) throw inputError(`Entity not found: IssueLabel ${l}`);
      const at = now();
      const number = 1 + Math.max(0, ...world.issues.filter((i) => i.teamId === t.id).map((i) => i.number));
      const created: LIssue = { id, teamId: t.id, number, title: String(input.title ?? ''), description: (input.description as string | undefined) ?? null, stateId, labelIds: [...new Set(labelIds)], createdAt: at, updatedAt: at };
      world.issues.push(created);
      return { lastSyncId: sync(), success: true, issue: v.issue(created) };
    },
    issueUpdate: ({ id, input }: { id: string; input: Args }) => {
      const i = mustIssue(world, id);
      if (input.stateId !== undefined) {
        if (!world.states.some((s) => s.id === input.stateId && s.teamId === i.teamId)) throw inputError('Entity not found: WorkflowState - the state is not in the issue team');
        i.stateId = input.stateId as string;
      }
      const check = (ids: unknown) => {
        for (const l of (ids as string[] | undefined) ?? []) if (!world.labels.some((x) => x.id === l)) throw inputError(`Entity not found: IssueLabel ${l}`);
      };
      check(input.labelIds); check(input.addedLabelIds); check(input.removedLabelIds);
      if (input.labelIds) i.labelIds = [...new Set(input.labelIds as string[])];
      for (const l of (input.addedLabelIds as string[] | undefined) ?? []) if (!i.labelIds.includes(l)) i.labelIds.push(l);
      i.labelIds = i.labelIds.filter((l) => !((input.removedLabelIds as string[] | undefined) ?? []).includes(l));
      if (typeof input.title === 'string') i.title = input.title;
      if (input.description !== undefined) i.description = input.description as string | null;
      i.updatedAt = now();
      return { lastSyncId: sync(), success: true, issue: v.issue(i) };
    },
    commentCreate: ({ input }: { input: Args }) => {
      const i = mustIssue(world, input.issueId);
      if (typeof input.body !== 'string' || input.body === '') throw inputError('body must not be empty');
      const id = freshId(world, input.id, (x) => world.comments.some((c) => c.id === x));
      const c: LComment = { id, issueId: i.id, body: input.body, userId: world.viewerId, createdAt: now() };
      world.comments.push(c);
      return { lastSyncId: sync(), success: true, comment: v.comment(c) };
    },
    issueRelationCreate: ({ input }: { input: Args }) => {
      const from = mustIssue(world, input.issueId);
      const to = mustIssue(world, input.relatedIssueId);
      if (from.id === to.id) throw inputError('an issue cannot relate to itself');
      if (world.relations.some((r) => r.issueId === from.id && r.relatedIssueId === to.id && r.type === input.type)) throw inputError('Relation already exists');
      const id = freshId(world, input.id, (x) => world.relations.some((r) => r.id === x));
      const r: LRelation = { id, type: String(input.type), issueId: from.id, relatedIssueId: to.id, createdAt: now() };
      world.relations.push(r);
      return { lastSyncId: sync(), success: true, issueRelation: v.relation(r) };
    },
    issueLabelCreate: ({ input }: { input: Args }) => {
      const teamId = (input.teamId as string | undefined) ?? null;
      if (teamId !== null && !world.teams.some((t) => t.id === teamId)) throw inputError('Entity not found: Team');
      if (world.labels.some((l) => l.name === input.name && (l.teamId === teamId || l.teamId === null))) throw inputError(`Duplicate label name: ${String(input.name)}`);
      const id = freshId(world, input.id, (x) => world.labels.some((l) => l.id === x));
      const l: LLabel = { id, name: String(input.name), teamId, createdAt: now() };
      world.labels.push(l);
      return { lastSyncId: sync(), success: true, issueLabel: v.label(l) };
    },
  };
}
