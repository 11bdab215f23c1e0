// What a GitHub issue means to nightshift: its state category (open/closed, the state reason, the
// in-progress label), its blockers written as `Blocked by #N` lines, and the ticket of an issue read in GraphQL.
import { keyPrefix } from './github-batch.ts';
import type { RepoRef } from './github-batch.ts';
import type { GqlIssue } from './github-graphql.ts';
import { labelName } from './github-schemas.ts';
import type { Issue } from './github-schemas.ts';
import type { StateCategory, Ticket } from './types.ts';

/** The label that tells an open issue is being worked on. */
export const IN_PROGRESS_LABEL = 'nightshift:in-progress';
/** The hidden token line of an issue nightshift filed (not part of the ticket's description). */
export const MARKER = /\n*<!-- nightshift-token: [0-9a-f-]+ -->\s*$/;

/** open + the in-progress label, open, closed as completed, closed as not planned or duplicate. */
export function githubCategory(issue: Pick<Issue, 'state' | 'state_reason' | 'labels'>): StateCategory {
  if (issue.state === 'closed') return issue.state_reason === 'not_planned' || issue.state_reason === 'duplicate' ? 'canceled' : 'done';
  return issue.labels.some((l) => labelName(l) === IN_PROGRESS_LABEL) ? 'in_progress' : 'todo';
}

/** Issue numbers named on `Blocked by #12, #15` lines of a body (same repository only). */
export function bodyBlockers(body: string | null | undefined): number[] {
  const numbers: number[] = [];
  for (const line of (body ?? '').matchAll(/^[ \t>*-]*blocked by:?[ \t]+(.+)$/gim)) {
    for (const ref of (line[1] ?? '').matchAll(/(?<![\w/.-])#([1-9][0-9]*)\b/g)) numbers.push(Number(ref[1]));
  }
  return [...new Set(numbers)];
}

/** Whether a REST issue is of `repo` (a transferred issue answers from its new repository). */
export const sameRepo = (issue: Issue, repo: RepoRef) => issue.repository_url.toLowerCase().endsWith(`/repos/${repo.owner}/${repo.name}`.toLowerCase());
export const sameName = (nameWithOwner: string, repo: RepoRef) => nameWithOwner.toLowerCase() === `${repo.owner}/${repo.name}`.toLowerCase();

/** A ticket from an issue one GraphQL query held whole. */
export function fromGraphql(repo: RepoRef, issue: GqlIssue): Ticket {
  const prefix = keyPrefix(repo);
  const labels = (issue.labels?.nodes ?? []).map((l) => l.name);
  return {
    key: `${prefix}-${issue.number}`,
    title: issue.title,
    description: issue.body.replace(MARKER, ''),
    state: githubCategory({ state: issue.state === 'OPEN' ? 'open' : 'closed', state_reason: issue.stateReason?.toLowerCase() ?? null, labels }),
    labels: labels.filter((l) => l !== IN_PROGRESS_LABEL),
    blockedBy: issue.blockedBy.nodes.filter((b) => sameName(b.repository.nameWithOwner, repo)).map((b) => `${prefix}-${b.number}`),
    comments: [...issue.comments.nodes].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((c) => ({ author: c.author?.login ?? 'ghost', body: c.body, at: new Date(c.createdAt).toISOString() })),
    url: issue.url,
  };
}
