// Jira reads by JQL through the enhanced search (`/rest/api/3/search/jql`): token pages, range keys
// Jira says do not exist dropped and reported, `reconcileIssues` for issues just written, and the rest
// of an issue's comments when the search held only the first ones.
import type { z } from 'zod';
import type { JiraConnection } from './jira-client.ts';
import { badRequestMessages } from './jira-client.ts';
import { ChangedPage, CommentsPage, SEARCH_PAGE, SearchPage, TICKET_FIELDS } from './jira-schemas.ts';
import type { JiraComment, JiraIssue } from './jira-schemas.ts';

/** The keys a 400 from JQL validation says do not exist. */
function absentKeys(messages: string[]): string[] {
  return messages.flatMap((m) => [...m.matchAll(/(?:issue with key|issue key) '([A-Z][A-Z0-9_]*-\d+)'/gi)].map((x) => x[1] ?? ''));
}

function jql(keys: string[], extra: string[]): string {
  const clauses = [...(keys.length > 0 ? [`key in (${keys.join(', ')})`] : []), ...extra];
  return `${clauses.join(' OR ')} ORDER BY key ASC`;
}

/**
 * What changed since a time: keys and update times of `key in (keys) OR extra...` updated in the last
 * `minutes` (Jira's relative time, so neither side's time zone matters; minute precision).
 */
function changedJql(keys: string[], extra: string[], minutes: number): string {
  const clauses = [...(keys.length > 0 ? [`key in (${keys.join(', ')})`] : []), ...extra];
  return `(${clauses.join(' OR ')}) AND updated >= -${minutes}m ORDER BY key ASC`;
}

export type JiraSearch = {
  /** Issues of `key in (keys) OR extra...`, all pages; `absent` lists keys Jira says do not exist. */
  search(keys: string[], extra: string[], reconcile?: string[]): Promise<{ issues: JiraIssue[]; absent: string[] }>;
  /** Keys and update times of the issues of `key in (keys) OR extra...` updated in the last `minutes`. */
  changed(keys: string[], extra: string[], minutes: number): Promise<Array<{ id: string; key: string; updated: string }>>;
  /** All comments of an issue read by a search. */
  allComments(issue: JiraIssue): Promise<JiraComment[]>;
};

/** One page of an enhanced JQL search, whatever fields its issues carry. */
type Page<I> = { issues: I[]; nextPageToken?: string | null | undefined; isLast?: boolean | undefined };

export function createJiraSearch(jira: JiraConnection): JiraSearch {
  /** Every issue of one JQL query, page by page, parsed by `schema` (full tickets, or keys and update times). */
  async function allPages<I>(label: string, query: string, fields: string[], schema: z.ZodType<Page<I>>, reconcile: string[]): Promise<I[]> {
    const issues: I[] = [];
    let nextPageToken: string | undefined;
    do {
      const page: Page<I> = await jira.read(label, (api) => api.issueSearch.searchAndReconsileIssuesUsingJqlPost({
        jql: query, fields, maxResults: SEARCH_PAGE, ...(nextPageToken ? { nextPageToken } : {}),
        // Search is eventually consistent; naming an issue just written asks Jira to reflect that write.
        ...(reconcile.length > 0 ? { reconcileIssues: reconcile.map(Number) } : {}),
      }), schema);
      issues.push(...page.issues);
      nextPageToken = page.isLast === false && page.nextPageToken ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return issues;
  }

  /**
   * Runs a query over `key in (keys) OR extra...`; a range key Jira says does not exist (JQL validation
   * refuses the whole query) is dropped and the query asked again without it.
   */
  async function withoutAbsent<T>(keys: string[], extra: string[], none: T, ask: (wanted: string[]) => Promise<T>): Promise<{ result: T; absent: string[] }> {
    let wanted = [...keys];
    const absent: string[] = [];
    for (;;) {
      if (wanted.length === 0 && extra.length === 0) return { result: none, absent };
      try {
        return { result: await ask(wanted), absent };
      } catch (error) {
        const gone = absentKeys(badRequestMessages(error)).filter((k) => wanted.includes(k));
        if (gone.length === 0) throw error;
        absent.push(...gone);
        wanted = wanted.filter((k) => !gone.includes(k));
      }
    }
  }

  async function search(keys: string[], extra: string[], reconcile: string[] = []): Promise<{ issues: JiraIssue[]; absent: string[] }> {
    const { result, absent } = await withoutAbsent(keys, extra, [] as JiraIssue[], (wanted) => allPages('search', jql(wanted, extra), TICKET_FIELDS, SearchPage, reconcile));
    return { issues: result, absent };
  }

  async function changed(keys: string[], extra: string[], minutes: number): Promise<Array<{ id: string; key: string; updated: string }>> {
    const { result } = await withoutAbsent(keys, extra, [] as ChangedPage['issues'], (wanted) => allPages('changed search', changedJql(wanted, extra, minutes), ['updated'], ChangedPage, []));
    return result.map((i) => ({ id: i.id, key: i.key, updated: i.fields.updated }));
  }

  async function allComments(issue: JiraIssue): Promise<JiraComment[]> {
    const comments = [...(issue.fields.comment?.comments ?? [])];
    const total = issue.fields.comment?.total ?? comments.length;
    while (comments.length < total) {
      const page = await jira.read(`comments of ${issue.key}`, (api) => api.issueComments.getComments({
        issueIdOrKey: issue.key, startAt: comments.length, maxResults: 100, orderBy: 'created',
      }), CommentsPage);
      if (page.comments.length === 0) break;
      comments.push(...page.comments);
    }
    return comments;
  }
  return { search, changed, allComments };
}
