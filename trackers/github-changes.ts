// GitHub's delta read for the loop's snapshot: one list of the repository's issues updated since a
// time (`GET /repos/{owner}/{repo}/issues?state=all&since=...&sort=updated&direction=asc`, the batch's
// label as a filter when the batch is a label), keeping the range's numbers and the labelled issues;
// pull requests, which the same endpoint lists, are skipped.
import type { Batch } from './batch.ts';
import { keyPrefix } from './github-batch.ts';
import type { RepoRef } from './github-batch.ts';
import type { GithubConnection } from './github-client.ts';
import { IssueStamp, labelName } from './github-schemas.ts';
import type { Change } from './types.ts';

/** GitHub reads `since` to the second: the fraction is dropped, so the read starts earlier, never later. */
export function sinceParam(since: string): string {
  return new Date(Math.floor(Date.parse(since) / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** The batch's issues updated at or after `since` (GitHub's time), oldest update first. */
export async function changedIssues(gh: GithubConnection, repo: RepoRef, batch: Batch, since: string): Promise<Change[]> {
  const numbers = new Set(batch.keys.map((k) => Number(k.slice(k.lastIndexOf('-') + 1))));
  // a label batch is every issue with its label: GitHub filters; a range is filtered here (its numbers or the label)
  const byLabel = numbers.size === 0;
  const label = batch.label.toLowerCase();
  const listed = await gh.list('changed issues', '/repos/{owner}/{repo}/issues', {
    owner: repo.owner, repo: repo.name, state: 'all', since: sinceParam(since), sort: 'updated', direction: 'asc', ...(byLabel ? { labels: batch.label } : {}),
  }, IssueStamp);
  const prefix = keyPrefix(repo);
  return listed
    .filter((i) => !i.pull_request && (byLabel || numbers.has(i.number) || i.labels.some((l) => labelName(l).toLowerCase() === label)))
    .map((i) => ({ key: `${prefix}-${i.number}`, updatedAt: new Date(i.updated_at).toISOString() }));
}
