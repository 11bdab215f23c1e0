// The GitHub simulator's world: one repository's issues (numbers, open/closed with a state reason,
// labels, comments, "blocked by" dependencies), seeded from tickets in the local file's shape, and the
// REST views of them (the JSON GitHub answers). Pull requests and check runs can live beside the issues.
import { splitKey } from './fixtures.ts';
import type { SimTicket } from './fixtures.ts';

export type GComment = { id: number; login: string; body: string; created: string };
export type GIssue = {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'duplicate' | 'reopened' | null;
  labels: string[];
  comments: GComment[];
  /** Ids of the issues that block this one. */
  blockedBy: number[];
  created: string;
  updated: string;
  closed: string | null;
};

/** A pull request as the issues endpoints see it (GitHub lists pull requests among the issues). */
export type GPull = { number: number; title: string; state: 'open' | 'closed'; labels: string[]; created: string; updated: string };

export type GithubWorld = {
  owner: string;
  name: string;
  /** The login of the token's account (author of what the API writes). */
  login: string;
  issues: GIssue[];
  /** Pull requests, listed by `GET /repos/{owner}/{repo}/issues` beside the issues (with `pull_request`). */
  pulls: GPull[];
  /** The repository's labels (GitHub makes a label the first time an issue is given it). */
  labels: Set<string>;
  /** false: the API has no issue dependencies (older GitHub Enterprise Server): 404 and no summary. */
  dependencies: boolean;
  nextId: number;
  /** Issues and pull requests share one sequence of numbers. */
  nextNumber: number;
  clock(): string;
};

export const IN_PROGRESS = 'nightshift:in-progress';

export function seedGithubWorld(tickets: SimTicket[], options: { owner: string; name: string; login: string; dependencies: boolean }): GithubWorld {
  let last = 0;
  const clock = () => new Date((last = Math.max(Date.now(), last + 1000))).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const world: GithubWorld = { ...options, issues: [], pulls: [], labels: new Set(), nextId: 1_000_001, nextNumber: 1, clock };
  for (const t of tickets) {
    const number = splitKey(t.key).number;
    const at = clock();
    const labels = [...t.labels, ...(t.state === 'in_progress' ? [IN_PROGRESS] : [])];
    for (const l of labels) world.labels.add(l);
    const lines = options.dependencies ? [] : t.blockedBy.map((b) => `Blocked by #${splitKey(b).number}`);
    const body = [t.description, ...lines].filter((x) => x !== '').join('\n\n');
    world.issues.push({
      id: world.nextId++, number, title: t.title, body: body === '' ? null : body,
      state: t.state === 'done' || t.state === 'canceled' ? 'closed' : 'open',
      stateReason: t.state === 'done' ? 'completed' : t.state === 'canceled' ? 'not_planned' : null,
      labels, blockedBy: [], created: at, updated: at, closed: t.state === 'done' || t.state === 'canceled' ? at : null,
      comments: t.comments.map((c) => ({ id: world.nextId++, login: c.author, body: c.body, created: c.at.replace(/\.\d{3}Z$/, 'Z') })),
    });
    world.nextNumber = Math.max(world.nextNumber, number + 1);
  }
  if (options.dependencies) {
    for (const t of tickets) {
      const issue = findIssue(world, splitKey(t.key).number)!;
      issue.blockedBy = t.blockedBy.map((b) => findIssue(world, splitKey(b).number)?.id).filter((id) => id !== undefined);
    }
  }
  return world;
}

export function findIssue(world: GithubWorld, number: number): GIssue | undefined {
  return world.issues.find((i) => i.number === number);
}

/** The REST JSON of issues, comments and labels, with URLs under `base` (the API root). */
export function createViews(world: GithubWorld, base: string) {
  const repoUrl = `${base}/repos/${world.owner}/${world.name}`;
  const web = `${base}/web/${world.owner}/${world.name}`;
  const user = (login: string) => ({
    login, id: 1000 + [...login].reduce((a, c) => a + c.charCodeAt(0), 0), node_id: `U_${login}`, type: 'User', site_admin: false,
    url: `${base}/users/${encodeURIComponent(login)}`, html_url: `${base}/web/${encodeURIComponent(login)}`,
  });
  const label = (name: string) => ({
    id: 5000 + [...name].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) % 100000, node_id: `LA_${name}`,
    url: `${repoUrl}/labels/${encodeURIComponent(name)}`, name, color: 'ededed', default: false, description: null,
  });
  const issue = (i: GIssue) => {
    const blockers = i.blockedBy.map((id) => world.issues.find((x) => x.id === id)).filter((x) => x !== undefined);
    const blocking = world.issues.filter((x) => x.blockedBy.includes(i.id));
    return {
      url: `${repoUrl}/issues/${i.number}`, repository_url: repoUrl, labels_url: `${repoUrl}/issues/${i.number}/labels{/name}`,
      comments_url: `${repoUrl}/issues/${i.number}/comments`, events_url: `${repoUrl}/issues/${i.number}/events`,
      html_url: `${web}/issues/${i.number}`, id: i.id, node_id: `I_kw${i.id}`, number: i.number, title: i.title,
      user: user(world.login), labels: i.labels.map(label), state: i.state, state_reason: i.stateReason, locked: false,
      assignee: null, assignees: [], milestone: null, comments: i.comments.length, created_at: i.created, updated_at: i.updated,
      closed_at: i.closed, author_association: 'OWNER', active_lock_reason: null, body: i.body, performed_via_github_app: null,
      timeline_url: `${repoUrl}/issues/${i.number}/timeline`,
      ...(world.dependencies ? {
        issue_dependencies_summary: {
          blocked_by: blockers.filter((b) => b.state === 'open').length, blocking: blocking.filter((b) => b.state === 'open').length,
          total_blocked_by: blockers.length, total_blocking: blocking.length,
        },
      } : {}),
    };
  };
  const comment = (i: GIssue, c: GComment) => ({
    url: `${repoUrl}/issues/comments/${c.id}`, html_url: `${web}/issues/${i.number}#issuecomment-${c.id}`, issue_url: `${repoUrl}/issues/${i.number}`,
    id: c.id, node_id: `IC_${c.id}`, user: user(c.login), created_at: c.created, updated_at: c.created, author_association: 'OWNER',
    body: c.body, performed_via_github_app: null,
  });
  /** A pull request in the issues list's shape: an issue with a `pull_request` object. */
  const pull = (p: GPull) => ({
    url: `${repoUrl}/issues/${p.number}`, repository_url: repoUrl, html_url: `${web}/pull/${p.number}`, id: 9_000_000 + p.number, node_id: `PR_kw${p.number}`,
    number: p.number, title: p.title, user: user(world.login), labels: p.labels.map(label), state: p.state, state_reason: null, locked: false,
    assignee: null, assignees: [], milestone: null, comments: 0, created_at: p.created, updated_at: p.updated, closed_at: p.state === 'closed' ? p.updated : null,
    author_association: 'OWNER', active_lock_reason: null, body: '', performed_via_github_app: null,
    pull_request: { url: `${repoUrl}/pulls/${p.number}`, html_url: `${web}/pull/${p.number}`, diff_url: `${web}/pull/${p.number}.diff`, patch_url: `${web}/pull/${p.number}.patch`, merged_at: null },
  });
  return { issue, comment, label, user, pull };
}
