// The ticket model and the `Tracker` port: what the loop and the oracle need of Linear, Jira or the
// local tickets file. Adapters (`local.ts`, `linear.ts`, `jira.ts`, `github.ts`) are modules satisfying `Tracker`.
import { z } from 'zod';
import type { Batch } from './batch.ts';

/** The state category every tracker maps its workflow states onto. */
export const StateCategory = z.enum(['todo', 'in_progress', 'done', 'canceled']);
export type StateCategory = z.infer<typeof StateCategory>;

export const Comment = z.object({
  author: z.string(),
  body: z.string(),
  at: z.string(),
});
export type Comment = z.infer<typeof Comment>;

/** Ticket keys look like `ENG-120`: an upper-case project prefix, a dash, a positive number. */
export const TicketKey = z.string().regex(/^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/, 'must look like ENG-120');

export const Ticket = z.object({
  key: TicketKey,
  title: z.string(),
  description: z.string(),
  state: StateCategory,
  labels: z.array(z.string()),
  /** Keys of the tickets that block this one. */
  blockedBy: z.array(TicketKey),
  comments: z.array(Comment),
  /** Where a person can open the ticket, when the tracker has such a thing. */
  url: z.string().optional(),
});
export type Ticket = z.infer<typeof Ticket>;

/** What one read of a batch returns: the tickets found and the range keys the tracker does not have. */
export type BatchRead = {
  tickets: Ticket[];
  missing: string[];
};

export type NewTicket = {
  title: string;
  description: string;
  labels: string[];
  /** Keys this new ticket blocks (they gain it as a blocker). */
  blocks: string[];
  /** Keys that block this new ticket. */
  blockedBy: string[];
};

/** A ticket that changed, with the tracker's own time of its last update (`relation`: of a blocker relation it is in). */
export type Change = { key: string; updatedAt: string; via?: 'relation' };

/** The budget left, as the tracker's last answer stated it (absent parts: the tracker did not say). */
export type RateLimitState = {
  requestsLimit?: number;
  requestsRemaining?: number;
  complexityLimit?: number;
  complexityRemaining?: number;
  /** When the window resets, epoch ms. */
  resetAt?: number;
  /** The price of the last read, in the tracker's points (Linear's `X-Complexity`). */
  lastCost?: number;
  /** Why the tracker limited (Jira's `RateLimit-Reason`). */
  reason?: string;
};

/** The port every tracker adapter satisfies. Every call reads or writes the tracker afresh: no cache. */
export type Tracker = {
  readonly kind: 'local' | 'linear' | 'jira' | 'github';
  /** The range keys plus every ticket labelled with the batch label. */
  readBatch(batch: Batch): Promise<BatchRead>;
  moveTicket(key: string, state: StateCategory): Promise<void>;
  /** Adds a comment unless an identical one is already the ticket's last (writes are idempotent). */
  comment(key: string, body: string): Promise<void>;
  addLabel(key: string, label: string): Promise<void>;
  createTicket(input: NewTicket): Promise<Ticket>;
  /** Requests made so far (0 for the local file). */
  requestCount(): number;
  /**
   * Optional, for the loop's snapshot only (the oracle always reads whole): the batch's tickets updated
   * after `since` (the tracker's time), cheaply. An adapter without it is read in full instead.
   */
  changedSince?(batch: Batch, since: string): Promise<Change[]>;
  /** Optional, with `changedSince`: the given tickets read in full. */
  readTickets?(keys: readonly string[]): Promise<Ticket[]>;
  /** Optional: the rate-limit budget left, from the tracker's last answer's headers. */
  rateLimit?(): RateLimitState | undefined;
};
