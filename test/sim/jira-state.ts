// The Jira simulator's world: projects, one company-managed workflow (To Do, In Progress, Done,
// Won't Do, with global transitions), issues with ADF descriptions and comments, labels, Blocks links
// and entity properties; and the JSON Jira Cloud's v3 API answers with for them.
import type { SimTicket } from './fixtures.ts';
import { splitKey } from './fixtures.ts';
import { textToAdf } from '../../trackers/jira-adf.ts';

export type JStatus = { id: string; name: string; category: 'new' | 'indeterminate' | 'done'; resolution: string | null };
export type JComment = { id: string; authorId: string; body: unknown; created: string };
export type JIssue = {
  id: string; key: string; project: string; summary: string; description: unknown; statusId: string;
  labels: string[]; created: string; updated: string; properties: Record<string, unknown>; comments: JComment[]; issueType: string;
  /** When search first sees the issue (Jira's search index lags behind writes). */
  indexedAt?: number;
  /** The status search still reports until `until`, after a transition (the same lag). */
  staleStatus?: { statusId: string; until: number };
};
/** A Blocks link: `inward` blocks `outward`. */
export type JLink = { id: string; inward: string; outward: string };
export type JUser = { accountId: string; displayName: string };
export type JiraWorld = {
  issues: JIssue[]; links: JLink[]; users: JUser[]; apiUserId: string; nextId: number; clock: () => string;
  /** How long a created issue stays out of search results unless named in `reconcileIssues`. */
  searchLagMs: number;
};

export const STATUSES: JStatus[] = [
  { id: '10000', name: 'To Do', category: 'new', resolution: null },
  { id: '3', name: 'In Progress', category: 'indeterminate', resolution: null },
  { id: '10001', name: 'Done', category: 'done', resolution: 'Done' },
  { id: '10002', name: "Won't Do", category: 'done', resolution: "Won't Do" },
];
export const TRANSITIONS = [
  { id: '11', name: 'To Do', to: '10000' },
  { id: '21', name: 'Start progress', to: '3' },
  { id: '31', name: 'Done', to: '10001' },
  { id: '41', name: "Won't Do", to: '10002' },
];
const CATEGORY = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};
const STATUS_OF: Record<SimTicket['state'], string> = { todo: '10000', in_progress: '3', done: '10001', canceled: '10002' };

/** Jira's timestamp form: 2026-01-01T00:00:00.000+0000 */
export function jiraTime(iso: string): string {
  return new Date(iso).toISOString().replace('Z', '+0000');
}

export function seedJiraWorld(tickets: readonly SimTicket[], apiUserName: string): JiraWorld {
  let last = 0;
  const clock = () => jiraTime(new Date((last = Math.max(Date.now(), last + 1))).toISOString());
  const world: JiraWorld = { issues: [], links: [], users: [{ accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: apiUserName }], apiUserId: '5b10ac8d82e05b22cc7d4ef5', nextId: 10000, clock, searchLagMs: 0 };
  const userOf = (name: string) => {
    let user = world.users.find((u) => u.displayName === name);
    if (!user) world.users.push((user = { accountId: `5b10a2844c20165700ede${String(world.users.length).padStart(3, '0')}`, displayName: name }));
    return user.accountId;
  };
  for (const t of tickets) {
    const at = clock();
    world.issues.push({
      id: String(world.nextId++), key: t.key, project: splitKey(t.key).prefix, summary: t.title, description: t.description === '' ? null : textToAdf(t.description),
      statusId: STATUS_OF[t.state], labels: [...t.labels], created: at, updated: at, properties: {}, issueType: 'Task',
      comments: t.comments.map((c) => ({ id: String(world.nextId++), authorId: userOf(c.author), body: textToAdf(c.body), created: jiraTime(c.at) })),
    });
  }
  for (const t of tickets) {
    const to = world.issues.find((i) => i.key === t.key)!;
    for (const b of t.blockedBy) {
      const from = world.issues.find((i) => i.key === b);
      if (from) world.links.push({ id: String(world.nextId++), inward: from.id, outward: to.id });
    }
  }
  return world;
}

export function findIssue(world: JiraWorld, idOrKey: string): JIssue | undefined {
  return world.issues.find((i) => i.id === idOrKey || i.key === idOrKey.toUpperCase());
}

export function statusOf(issue: JIssue): JStatus {
  return STATUSES.find((s) => s.id === issue.statusId)!;
}

export function createViews(world: JiraWorld, base: string) {
  const api = `${base}/rest/api/3`;
  const user = (accountId: string) => {
    const u = world.users.find((x) => x.accountId === accountId)!;
    return { self: `${api}/user?accountId=${u.accountId}`, accountId: u.accountId, displayName: u.displayName, active: true, accountType: 'atlassian', timeZone: 'Etc/UTC' };
  };
  const status = (s: JStatus) => ({
    self: `${api}/status/${s.id}`, description: '', iconUrl: `${base}/images/icons/statuses/generic.png`, name: s.name, untranslatedName: s.name, id: s.id,
    statusCategory: { self: `${api}/statuscategory/${CATEGORY[s.category].id}`, ...CATEGORY[s.category] },
  });
  const comment = (issue: JIssue, c: JComment) => ({
    self: `${api}/issue/${issue.id}/comment/${c.id}`, id: c.id, author: user(c.authorId), body: c.body, updateAuthor: user(c.authorId),
    created: c.created, updated: c.created, jsdPublic: true,
  });
  const ref = (i: JIssue) => ({ id: i.id, key: i.key, self: `${api}/issue/${i.id}`, fields: { summary: i.summary, status: status(statusOf(i)) } });
  const linkType = { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks', self: `${api}/issueLinkType/10000` };
  const fieldsOf = (i: JIssue): Record<string, unknown> => {
    const s = statusOf(i);
    return {
      summary: i.summary,
      description: i.description,
      status: status(s),
      resolution: s.resolution ? { self: `${api}/resolution/1`, id: s.resolution === 'Done' ? '10000' : '10001', description: '', name: s.resolution } : null,
      labels: i.labels,
      issuelinks: world.links.filter((l) => l.inward === i.id || l.outward === i.id).map((l) => {
        const other = world.issues.find((x) => x.id === (l.inward === i.id ? l.outward : l.inward))!;
        return { id: l.id, self: `${api}/issueLink/${l.id}`, type: linkType, ...(l.inward === i.id ? { outwardIssue: ref(other) } : { inwardIssue: ref(other) }) };
      }),
      comment: { comments: i.comments.slice(0, 20).map((c) => comment(i, c)), self: `${api}/issue/${i.id}/comment`, maxResults: 20, total: i.comments.length, startAt: 0 },
      project: { self: `${api}/project/${i.project}`, id: '10000', key: i.project, name: i.project, projectTypeKey: 'software' },
      issuetype: { self: `${api}/issuetype/10001`, id: '10001', description: '', name: i.issueType, subtask: false },
      created: i.created,
      updated: i.updated,
    };
  };
  const issue = (i: JIssue, fields: string[] | undefined, expand: string[]) => {
    const all = fieldsOf(i);
    const wanted = !fields || fields.some((f) => f === '*all' || f === '*navigable') ? Object.keys(all) : fields;
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: i.id, self: `${api}/issue/${i.id}`, key: i.key,
      fields: Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]])),
      ...(expand.includes('transitions') ? { transitions: transitions(i) } : {}),
    };
  };
  const transitions = (i: JIssue) => TRANSITIONS.filter((t) => t.to !== i.statusId).map((t) => ({
    id: t.id, name: t.name, to: status(STATUSES.find((s) => s.id === t.to)!), hasScreen: false, isGlobal: true, isInitial: false, isAvailable: true, isConditional: false, looped: false,
  }));
  return { user, issue, comment, transitions };
}
