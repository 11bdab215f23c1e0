// The Linear simulator's world: teams, workflow states, labels, issues, comments and relations, seeded
// from fixture tickets, plus the filter semantics of Linear's comparators. Pure data; the resolvers in
// linear-resolvers.ts read and change it.
import { randomUUID } from 'node:crypto';
import type { StateCategory } from '../../trackers/types.ts';
import type { SimTicket } from './fixtures.ts';
import { splitKey } from './fixtures.ts';

export type LTeam = { id: string; key: string; name: string };
export type LState = { id: string; teamId: string; name: string; type: string; position: number };
export type LLabel = { id: string; name: string; teamId: string | null; createdAt: string };
export type LIssue = {
  id: string; teamId: string; number: number; title: string; description: string | null; stateId: string;
  labelIds: string[]; createdAt: string; updatedAt: string;
  /** Set when Linear has archived the issue (e.g. auto-archive of closed issues). */
  archivedAt?: string;
};
export type LComment = { id: string; issueId: string; body: string; userId: string; createdAt: string };
export type LRelation = { id: string; type: string; issueId: string; relatedIssueId: string; createdAt: string };
export type LUser = { id: string; name: string };

export type LinearWorld = {
  teams: LTeam[]; states: LState[]; labels: LLabel[]; issues: LIssue[]; comments: LComment[];
  relations: LRelation[]; users: LUser[]; viewerId: string; lastSyncId: number; clock: () => string;
  /** Connections list newest first (Linear documents the createdAt order, not its direction). */
  newestFirst: boolean;
};

const WORKFLOW: Array<{ name: string; type: string; category?: StateCategory }> = [
  { name: 'Backlog', type: 'backlog' },
  { name: 'Todo', type: 'unstarted', category: 'todo' },
  { name: 'In Progress', type: 'started', category: 'in_progress' },
  { name: 'Done', type: 'completed', category: 'done' },
  { name: 'Canceled', type: 'canceled', category: 'canceled' },
];

/** A clock that never repeats or goes back, so creation order is total. */
function monotonicClock(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return new Date(last).toISOString();
  };
}

export function seedLinearWorld(tickets: readonly SimTicket[], viewerName: string): LinearWorld {
  const clock = monotonicClock();
  const world: LinearWorld = { teams: [], states: [], labels: [], issues: [], comments: [], relations: [], users: [], viewerId: randomUUID(), lastSyncId: 1000, clock, newestFirst: false };
  world.users.push({ id: world.viewerId, name: viewerName });
  const teamOf = (key: string): LTeam => {
    let team = world.teams.find((t) => t.key === key);
    if (!team) {
      team = { id: randomUUID(), key, name: `Team ${key}` };
      world.teams.push(team);
      WORKFLOW.forEach((s, i) => world.states.push({ id: randomUUID(), teamId: team!.id, name: s.name, type: s.type, position: i }));
    }
    return team;
  };
  const labelOf = (name: string, teamId: string): string => {
    let label = world.labels.find((l) => l.name === name && l.teamId === teamId);
    if (!label) world.labels.push((label = { id: randomUUID(), name, teamId, createdAt: clock() }));
    return label.id;
  };
  const userOf = (name: string): string => {
    let user = world.users.find((u) => u.name === name);
    if (!user) world.users.push((user = { id: randomUUID(), name }));
    return user.id;
  };
  for (const t of tickets) {
    const { prefix, number } = splitKey(t.key);
    const team = teamOf(prefix);
    const type = WORKFLOW.find((s) => s.category === t.state)?.type;
    const state = world.states.find((s) => s.teamId === team.id && s.type === type);
    const at = clock();
    world.issues.push({
      id: randomUUID(), teamId: team.id, number, title: t.title, description: t.description, stateId: state!.id,
      labelIds: t.labels.map((l) => labelOf(l, team.id)), createdAt: at, updatedAt: at,
    });
  }
  for (const t of tickets) {
    const issue = findIssue(world, t.key)!;
    for (const c of t.comments) world.comments.push({ id: randomUUID(), issueId: issue.id, body: c.body, userId: userOf(c.author), createdAt: c.at });
    for (const blocker of t.blockedBy) {
      const from = findIssue(world, blocker);
      if (from) world.relations.push({ id: randomUUID(), type: 'blocks', issueId: from.id, relatedIssueId: issue.id, createdAt: clock() });
    }
  }
  return world;
}

export function identifier(world: LinearWorld, issue: LIssue): string {
  return `${world.teams.find((t) => t.id === issue.teamId)?.key}-${issue.number}`;
}

/** Linear resolves an issue by its UUID or by its identifier (`ENG-12`). */
export function findIssue(world: LinearWorld, id: string): LIssue | undefined {
  const byId = world.issues.find((i) => i.id === id);
  if (byId) return byId;
  const match = /^([A-Za-z0-9_]+)-(\d+)$/.exec(id);
  if (!match) return undefined;
  const team = world.teams.find((t) => t.key === match[1]?.toUpperCase());
  return world.issues.find((i) => i.teamId === team?.id && i.number === Number(match[2]));
}

type Comparator = Record<string, unknown>;

/** Linear's String/Number/ID comparators. */
export function compare(value: string | number | null | undefined, comparator: Comparator | undefined | null): boolean {
  if (!comparator) return true;
  return Object.entries(comparator).every(([op, arg]) => {
    const v = value ?? null;
    const s = String(v ?? '');
    const a = arg as never;
    switch (op) {
      case 'eq': return v === a;
      case 'neq': return v !== a;
      case 'in': return (a as unknown[]).includes(v);
      case 'nin': return !(a as unknown[]).includes(v);
      case 'null': return (v === null) === a;
      case 'lt': return (v as number) < a;
      case 'lte': return (v as number) <= a;
      case 'gt': return (v as number) > a;
      case 'gte': return (v as number) >= a;
      case 'eqIgnoreCase': return s.toLowerCase() === String(a).toLowerCase();
      case 'neqIgnoreCase': return s.toLowerCase() !== String(a).toLowerCase();
      case 'startsWith': return s.startsWith(a);
      case 'notStartsWith': return !s.startsWith(a);
      case 'endsWith': return s.endsWith(a);
      case 'notEndsWith': return !s.endsWith(a);
      case 'contains': return s.includes(a);
      case 'notContains': return !s.includes(a);
      case 'containsIgnoreCase': return s.toLowerCase().includes(String(a).toLowerCase());
      case 'notContainsIgnoreCase': return !s.toLowerCase().includes(String(a).toLowerCase());
      default: throw new Error(`comparator ${op} is not simulated`);
    }
  });
}

type Filter = Record<string, unknown> | null | undefined;

function logical<T>(item: T, filter: Record<string, unknown>, self: (item: T, f: Filter) => boolean): boolean {
  const and = filter.and as Filter[] | undefined;
  const or = filter.or as Filter[] | undefined;
  return (!and || and.every((f) => self(item, f))) && (!or || or.some((f) => self(item, f)));
}

export function matchTeam(world: LinearWorld, team: LTeam | undefined, filter: Filter): boolean {
  if (!filter) return true;
  if (filter.null !== undefined && (team === undefined) !== filter.null) return false;
  if (!team) return filter.null === true;
  return compare(team.id, filter.id as Comparator) && compare(team.key, filter.key as Comparator)
    && compare(team.name, filter.name as Comparator) && logical(team, filter, (t, f) => matchTeam(world, t, f));
}

export function matchState(world: LinearWorld, state: LState, filter: Filter): boolean {
  if (!filter) return true;
  return compare(state.id, filter.id as Comparator) && compare(state.name, filter.name as Comparator)
    && compare(state.type, filter.type as Comparator) && compare(state.position, filter.position as Comparator)
    && matchTeam(world, world.teams.find((t) => t.id === state.teamId), filter.team as Filter)
    && logical(state, filter, (s, f) => matchState(world, s, f));
}

export function matchLabel(world: LinearWorld, label: LLabel, filter: Filter): boolean {
  if (!filter) return true;
  return compare(label.id, filter.id as Comparator) && compare(label.name, filter.name as Comparator)
    && matchTeam(world, world.teams.find((t) => t.id === label.teamId), filter.team as Filter)
    && logical(label, filter, (l, f) => matchLabel(world, l, f));
}

function matchLabels(world: LinearWorld, labels: LLabel[], filter: Filter): boolean {
  if (!filter) return true;
  const { some, every, length, and, or, ...each } = filter;
  return (some === undefined || labels.some((l) => matchLabel(world, l, some as Filter)))
    && (every === undefined || labels.every((l) => matchLabel(world, l, every as Filter)))
    && compare(labels.length, length as Comparator)
    && (Object.keys(each).length === 0 || labels.some((l) => matchLabel(world, l, each)))
    && logical(labels, { and, or }, (ls, f) => matchLabels(world, ls, f));
}

export function matchIssue(world: LinearWorld, issue: LIssue, filter: Filter): boolean {
  if (!filter) return true;
  const labels = world.labels.filter((l) => issue.labelIds.includes(l.id));
  return compare(issue.id, filter.id as Comparator) && compare(issue.number, filter.number as Comparator)
    && compare(issue.title, filter.title as Comparator) && compare(issue.description, filter.description as Comparator)
    && compare(issue.updatedAt, filter.updatedAt as Comparator)
    && matchTeam(world, world.teams.find((t) => t.id === issue.teamId), filter.team as Filter)
    && matchState(world, world.states.find((s) => s.id === issue.stateId)!, filter.state as Filter)
    && matchLabels(world, labels, filter.labels as Filter)
    && logical(issue, filter, (i, f) => matchIssue(world, i, f));
}
