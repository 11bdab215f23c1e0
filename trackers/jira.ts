// The Jira adapter over jira.js: a batch is one enhanced JQL search (`/rest/api/3/search/jql`, token
// pages of 100) for the range keys plus the batch label; moves go through the transition whose target
// status category matches; comments are ADF; each write re-checks before acting so a retry never doubles.
import { randomUUID } from 'node:crypto';
import type { Batch } from './batch.ts';
import { TrackerError, UsageError } from './errors.ts';
import { adfToText, textToAdf } from './jira-adf.ts';
import { connectJira } from './jira-client.ts';
import { createJiraSearch } from './jira-search.ts';
import { CommentsPage, Created, IssueWithTransitions } from './jira-schemas.ts';
import type { JiraComment, JiraIssue, JiraTransition } from './jira-schemas.ts';
import type { GateOptions } from './retry.ts';
import { TicketKey } from './types.ts';
import type { NewTicket, StateCategory, Ticket, Tracker } from './types.ts';

export type JiraTrackerOptions = {
  /** The site, e.g. https://your-site.atlassian.net */
  host: string;
  email: string;
  apiToken: string;
  /** Project new tickets go to when none of their related tickets names one. */
  projectKey?: string | undefined;
  /** Issue type of new tickets (default Task). */
  issueType?: string | undefined;
  gate?: GateOptions;
  /** Fail on any answer jira.js's schemas reject (tests), instead of warning. */
  strictSchemas?: boolean;
};

/** Done-category statuses or resolutions that mean the work was dropped, not done. */
const DROPPED = /won'?t|cancel|declin|duplicate|reject|abandon|obsolete/i;
const CATEGORY_KEY: Record<StateCategory, string> = { todo: 'new', in_progress: 'indeterminate', done: 'done', canceled: 'done' };
const BLOCKS = 'Blocks';
const PROPERTY = 'nightshift';
/** Searches while waiting for Jira's index to show a created issue (about 30 s in all). */
const INDEX_POLLS = 10;

export function jiraCategory(status: { name: string; statusCategory: { key: string } }, resolution?: { name: string } | null): StateCategory {
  switch (status.statusCategory.key) {
    case 'indeterminate': return 'in_progress';
    case 'done': return DROPPED.test(resolution?.name ?? '') || DROPPED.test(status.name) ? 'canceled' : 'done';
    default: return 'todo';
  }
}

function pickTransition(transitions: JiraTransition[], state: StateCategory): JiraTransition | undefined {
  const fitting = transitions.filter((t) => t.isAvailable !== false && t.to.statusCategory.key === CATEGORY_KEY[state]);
  if (state === 'done') return fitting.find((t) => !DROPPED.test(t.to.name) && !DROPPED.test(t.name));
  if (state === 'canceled') return fitting.find((t) => DROPPED.test(t.to.name) || DROPPED.test(t.name));
  return fitting[0];
}

function toComment(c: JiraComment): Ticket['comments'][number] {
  return { author: c.author?.displayName ?? 'unknown', body: adfToText(c.body), at: c.created };
}

export function openJiraTracker(options: JiraTrackerOptions): Tracker {
  const jira = connectJira(options);
  const host = options.host.replace(/\/+$/, '');
  let lastBatchProject: string | undefined;
  /** Issues this tracker created, named in later searches so Jira's lagging index shows them (at most 50). */
  const created: string[] = [];

  function toTicket(issue: JiraIssue, comments: JiraComment[]): Ticket {
    const f = issue.fields;
    return {
      key: issue.key,
      title: f.summary,
      description: adfToText(f.description),
      state: jiraCategory(f.status, f.resolution),
      labels: f.labels,
      blockedBy: f.issuelinks.filter((l) => l.type.name === BLOCKS && l.inwardIssue).map((l) => l.inwardIssue?.key ?? ''),
      comments: [...comments].sort((a, b) => a.created.localeCompare(b.created)).map(toComment),
      url: `${host}/browse/${issue.key}`,
    };
  }

  const { search, changed, allComments } = createJiraSearch(jira);
  /** The tickets of a search's issues, each once, with all their comments. */
  async function ticketsOf(issues: JiraIssue[]): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    for (const issue of issues) {
      if (!TicketKey.safeParse(issue.key).success || tickets.some((t) => t.key === issue.key)) continue;
      tickets.push(toTicket(issue, await allComments(issue)));
    }
    return tickets;
  }

  /** Issue ids of the keys a changes search listed, for reading them back consistently. */
  const changedIds = new Map<string, string>();

  function projectFor(input: NewTicket): string {
    const related = [...input.blocks, ...input.blockedBy][0];
    const project = related ? related.slice(0, related.lastIndexOf('-')) : options.projectKey ?? lastBatchProject;
    if (!project) throw new UsageError('jira-project-unknown', 'cannot tell which Jira project a new ticket belongs to: it names no related ticket and no batch was read. Set JIRA_PROJECT_KEY.');
    return project;
  }

  /**
   * Waits until a plain search (no reconcileIssues) finds the issue carrying `token`: another process,
   * the oracle above all, must not read a batch that misses discovered work while Jira's index lags.
   */
  async function untilSearchable(token: string): Promise<void> {
    for (let poll = 0; poll < INDEX_POLLS; poll++) {
      const { issues } = await search([], [`issue.property[${PROPERTY}].token = "${token}"`]);
      if (issues.length > 0) return;
      await jira.gate.wait(Math.min(250 * 2 ** poll, 4000));
    }
  }

  /** Waits until a plain search reads `key` in `state` (bounded like untilSearchable). */
  async function untilSearchShows(key: string, state: StateCategory): Promise<void> {
    for (let poll = 0; poll < INDEX_POLLS; poll++) {
      const { issues } = await search([key], []);
      const seen = issues.find((i) => i.key === key);
      if (seen && jiraCategory(seen.fields.status, seen.fields.resolution) === state) return;
      await jira.gate.wait(Math.min(250 * 2 ** poll, 4000));
    }
  }

  function link(blocker: string, blocked: string): Promise<void> {
    // POST /issueLink: the inward issue is the one that blocks, the outward one is blocked by it.
    return jira.write(`link ${blocker} blocks ${blocked}`, (api) => api.issueLinks.linkIssues({ type: { name: BLOCKS }, inwardIssue: { key: blocker }, outwardIssue: { key: blocked } }));
  }

  return {
    kind: 'jira',
    async readBatch(batch: Batch) {
      lastBatchProject = batch.keys[0]?.slice(0, batch.keys[0].lastIndexOf('-')) ?? lastBatchProject;
      const { issues, absent } = await search(batch.keys, [`labels = "${batch.label}"`], created.slice(-50));
      const tickets = await ticketsOf(issues);
      const found = new Set(tickets.map((t) => t.key));
      return { tickets, missing: batch.keys.filter((k) => !found.has(k) || absent.includes(k)) };
    },

    async changedSince(batch: Batch, since: string) {
      // relative minutes (Jira reads an absolute JQL time in the user's time zone), one more for the rounding
      const minutes = Math.max(1, Math.ceil((Date.now() - Date.parse(since)) / 60_000) + 1);
      const found = await changed(batch.keys, [`labels = "${batch.label}"`], minutes);
      for (const i of found) changedIds.set(i.key, i.id);
      return found.filter((i) => TicketKey.safeParse(i.key).success).map((i) => ({ key: i.key, updatedAt: i.updated }));
    },

    async readTickets(keys: readonly string[]) {
      if (keys.length === 0) return [];
      // the changed issues by id with reconcileIssues: Jira's search index may list the new update time
      // before it shows the change itself, and a change read stale would not be read again
      const ids = keys.map((key) => changedIds.get(key)).filter((id) => id !== undefined);
      const { issues } = await search([...keys], [], [...created, ...ids].slice(-50));
      return ticketsOf(issues);
    },

    async moveTicket(key: string, state: StateCategory) {
      let wasDone = false;
      await jira.gate.retry(`move ${key}`, async () => {
        const issue = await jira.read(`read ${key}`, (api) => api.issues.getIssue({ issueIdOrKey: key, fields: ['status', 'resolution'], expand: 'transitions' }), IssueWithTransitions);
        const now = jiraCategory(issue.fields.status, issue.fields.resolution);
        if (now === state) return;
        wasDone ||= now === 'done';
        const transition = pickTransition(issue.transitions, state);
        if (!transition) {
          throw new TrackerError('jira-no-transition', `Jira offers no transition from "${issue.fields.status.name}" of ${key} to a ${state} status (category ${CATEGORY_KEY[state]}). Add one to the project's workflow.`);
        }
        await jira.write(`move ${key}`, (api) => api.issues.doTransition({ issueIdOrKey: key, transition: { id: transition.id } }));
      });
      // Reopened: until the lagging search index agrees, another process (the oracle) could still read "done".
      if (wasDone) await untilSearchShows(key, state);
    },

    async comment(key: string, body: string) {
      const document = textToAdf(body);
      await jira.gate.retry(`comment on ${key}`, async () => {
        const last = await jira.read(`last comment of ${key}`, (api) => api.issueComments.getComments({ issueIdOrKey: key, orderBy: '-created', maxResults: 1 }), CommentsPage);
        const previous = last.comments[0];
        if (previous && adfToText(previous.body) === body) return;
        await jira.write(`comment on ${key}`, (api) => api.issueComments.addComment({ issueIdOrKey: key, body: document }));
      });
    },

    async addLabel(key: string, label: string) {
      if (/\s/.test(label)) throw new UsageError('jira-bad-label', `Jira labels cannot contain spaces: "${label}".`);
      // Adding a label Jira already has changes nothing, so the edit itself is safe to repeat.
      await jira.gate.retry(`label ${key}`, () => jira.write(`label ${key}`, (api) => api.issues.editIssue({ issueIdOrKey: key, update: { labels: [{ add: label }] } })));
    },

    async createTicket(input: NewTicket) {
      const project = projectFor(input);
      const token = randomUUID();
      const related = [...input.blocks, ...input.blockedBy];
      const find = async (reconcile: string[] = []) => {
        const { issues, absent } = await search(related, [`issue.property[${PROPERTY}].token = "${token}"`], reconcile);
        if (absent.length > 0) throw new UsageError('ticket-missing', `Jira has no ticket ${absent.join(', ')} (named as a blocker edge of a new ticket).`);
        return issues.find((i) => !related.includes(i.key));
      };
      const filed = await jira.gate.retry(`create in ${project}`, async () => {
        let issue = await find();
        if (!issue) {
          const made = Created.parse(await jira.write(`create in ${project}`, (api) => api.issues.createIssue({
            fields: {
              project: { key: project }, summary: input.title, description: textToAdf(input.description),
              issuetype: { name: options.issueType ?? 'Task' }, labels: input.labels,
            },
            properties: [{ key: PROPERTY, value: { token } }],
          })));
          for (const b of input.blocks) await link(made.key, b);
          for (const a of input.blockedBy) await link(a, made.key);
          issue = await find([made.id]);
          if (!issue) throw new TrackerError('jira-create-lost', `Jira does not find ${made.key} just created in ${project}. Look for "${input.title}" in Jira.`);
          return issue;
        }
        const blocking = new Set(issue.fields.issuelinks.filter((l) => l.type.name === BLOCKS && l.outwardIssue).map((l) => l.outwardIssue?.key));
        const blockedBy = new Set(issue.fields.issuelinks.filter((l) => l.type.name === BLOCKS && l.inwardIssue).map((l) => l.inwardIssue?.key));
        for (const b of input.blocks.filter((k) => !blocking.has(k))) await link(issue.key, b);
        for (const a of input.blockedBy.filter((k) => !blockedBy.has(k))) await link(a, issue.key);
        return (await find([issue.id])) ?? issue;
      });
      created.push(filed.id);
      await untilSearchable(token);
      return toTicket(filed, filed.fields.comment?.comments ?? []);
    },

    requestCount: () => jira.gate.count(),
    rateLimit: () => jira.rateLimit(),
  };
}
