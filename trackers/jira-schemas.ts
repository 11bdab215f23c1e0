// zod schemas of the parts of Jira's answers nightshift reads (jira.js types most fields as `any`),
// and the field list one batch search asks for.
import { z } from 'zod';

/** The fields of a search or issue read: exactly what the oracle and the scheduler need. */
export const TICKET_FIELDS = ['summary', 'description', 'status', 'resolution', 'labels', 'issuelinks', 'comment'];
/** Issues per search page (Jira's largest page when fields are requested). */
export const SEARCH_PAGE = 100;

const Timestamp = z.union([z.string(), z.date()]).transform((v) => (v instanceof Date ? v : new Date(v)).toISOString());

export const JiraComment = z.object({
  id: z.string(),
  author: z.object({ displayName: z.string().optional() }).optional(),
  body: z.unknown(),
  created: Timestamp,
});
export type JiraComment = z.infer<typeof JiraComment>;

const IssueRef = z.object({ key: z.string() });
const Link = z.object({
  type: z.object({ name: z.string() }),
  inwardIssue: IssueRef.optional(),
  outwardIssue: IssueRef.optional(),
});

export const JiraStatus = z.object({ name: z.string(), statusCategory: z.object({ key: z.string() }) });

export const JiraIssue = z.object({
  id: z.string(),
  key: z.string(),
  fields: z.object({
    summary: z.string(),
    description: z.unknown().optional(),
    status: JiraStatus,
    resolution: z.object({ name: z.string() }).nullish(),
    labels: z.array(z.string()).default([]),
    issuelinks: z.array(Link).default([]),
    comment: z.object({ comments: z.array(JiraComment), total: z.number().optional() }).optional(),
  }),
});
export type JiraIssue = z.infer<typeof JiraIssue>;

export const SearchPage = z.object({
  issues: z.array(JiraIssue).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});
export type SearchPage = z.infer<typeof SearchPage>;

/** A page of a changes search: keys and update times only. */
export const ChangedPage = z.object({
  issues: z.array(z.object({ id: z.string(), key: z.string(), fields: z.object({ updated: z.string() }) })).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});
export type ChangedPage = z.infer<typeof ChangedPage>;

export const CommentsPage = z.object({
  comments: z.array(JiraComment).default([]),
  total: z.number().optional(),
  startAt: z.number().optional(),
});

const Transition = z.object({
  id: z.string(),
  name: z.string().default(''),
  isAvailable: z.boolean().optional(),
  to: z.object({ name: z.string().default(''), statusCategory: z.object({ key: z.string() }) }),
});
export type JiraTransition = z.infer<typeof Transition>;

/** GET issue with fields status,resolution and expand=transitions: where it is and where it may go. */
export const IssueWithTransitions = z.object({
  key: z.string(),
  fields: z.object({ status: JiraStatus, resolution: z.object({ name: z.string() }).nullish() }),
  transitions: z.array(Transition).default([]),
});

export const IssueLabels = z.object({ fields: z.object({ labels: z.array(z.string()).default([]) }) });

export const Created = z.object({ id: z.string(), key: z.string() });
