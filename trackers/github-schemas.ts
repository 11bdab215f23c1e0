// The parts of GitHub's REST answers nightshift reads (issues, comments, dependencies), as zod schemas:
// an answer cut short or of another shape fails here, not deep in the adapter.
import { z } from 'zod';

const Label = z.union([z.string(), z.object({ name: z.string() })]);

export const Issue = z.object({
  id: z.number(),
  number: z.number(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  state_reason: z.string().nullable().optional(),
  labels: z.array(Label),
  /** How many comments the issue has (so an issue without any costs no comments read). */
  comments: z.number(),
  html_url: z.string(),
  repository_url: z.string(),
  /** Present on pull requests, which share the issues' numbers. */
  pull_request: z.unknown().optional(),
  /** Present where the API has issue dependencies. */
  issue_dependencies_summary: z.object({ blocked_by: z.number(), total_blocked_by: z.number().optional() }).optional(),
});
export type Issue = z.infer<typeof Issue>;

/** An issue as a delta read needs it: which one, when it last changed, its labels, whether it is a pull request. */
export const IssueStamp = z.object({
  number: z.number(),
  updated_at: z.string(),
  labels: z.array(Label),
  pull_request: z.unknown().optional(),
});

export const IssueComment = z.object({
  id: z.number(),
  body: z.string().nullable().optional(),
  user: z.object({ login: z.string() }).nullable(),
  created_at: z.string(),
});
export type IssueComment = z.infer<typeof IssueComment>;

export const labelName = (label: z.infer<typeof Label>): string => (typeof label === 'string' ? label : label.name);
