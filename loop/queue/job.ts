// What travels between the loop and a `nightshift worker` through Redis: the job (a worker agent run of
// one pass), its answer, the names of the queue and of the Redis keys that hold the branches as git
// bundles, and the connection made from a redis:// URL. Both sides validate what they read (zod).
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The one BullMQ queue of worker passes. */
export const QUEUE_NAME = 'nightshift-passes';
/** Where the loop publishes the id of a job to stop (every worker listens). */
export const CANCEL_CHANNEL = 'nightshift:cancel';
/** Set when the loop cancels a job, for a worker that takes it after the cancel was published. */
export function canceledKey(jobId: string): string {
  return `nightshift:canceled:${jobId}`;
}
/** How long a bundle (or a cancel mark) stays in Redis after it is written (the loop reads it within seconds). */
export const BUNDLE_TTL_S = 24 * 3600;

export const PassJob = z.strictObject({
  ticket: z.string().min(1),
  pass: z.number().int().min(1),
  /** The agent SPEC (the loop's --agent); a `command:` path must exist on the worker's machine too. */
  agent: z.string().min(1),
  /** The ticket branch (refs/heads/nightshift/KEY) and the target branch, as the loop had them. */
  branch: z.string().min(1),
  base: z.string().regex(/^[0-9a-f]{40}$/),
  targetBranch: z.string().min(1),
  /** The Redis key of the bundle holding `branch` and `targetBranch`. */
  bundleKey: z.string().min(1),
  /** The rendered prompt, the finish line's commands and the journal, as text. */
  prompt: z.string(),
  verify: z.string(),
  journal: z.string(),
  /** Paths of the loop's machine the prompt names, replaced by the worker's own. */
  loopPaths: z.strictObject({ worktree: z.string(), resultFile: z.string(), journalFile: z.string() }),
  timeoutMs: z.number().int().positive(),
  /** The loop's --setup commands for the worktree (null: detected from the repository's lockfiles). */
  setup: z.array(z.string()).nullable(),
});
export type PassJob = z.infer<typeof PassJob>;

const AgentOutcome = z.union([
  z.strictObject({ kind: z.literal('finished'), exitCode: z.number(), durationMs: z.number(), report: z.strictObject({ costUsd: z.number().optional(), turns: z.number().optional(), sessionId: z.string().optional() }) }),
  z.strictObject({ kind: z.literal('timed-out'), durationMs: z.number() }),
  z.strictObject({ kind: z.literal('crashed'), detail: z.string(), durationMs: z.number() }),
  z.strictObject({ kind: z.literal('rate-limited'), detail: z.string(), retryAfterMs: z.number().optional(), durationMs: z.number() }),
]);

export const PassAnswer = z.strictObject({
  outcome: AgentOutcome,
  /** The branch's head after the agent, and the Redis key of a bundle from `base` to it (none: no new commits). */
  head: z.string().regex(/^[0-9a-f]{40}$/),
  bundleKey: z.string().nullable(),
  /** The agent's result file (null: it wrote none), the journal after it, the end of its log. */
  result: z.string().nullable(),
  journal: z.string(),
  log: z.string(),
  /** Which worker ran it (`host:pid`), for the event log. */
  worker: z.string(),
});
export type PassAnswer = z.infer<typeof PassAnswer>;

/**
 * The job id is the pass id: the ticket and pass, under a short hash of the loop's state dir (two
 * batches on one Redis never share ids). BullMQ holds one job per id, so a redelivered or re-added job
 * never runs twice side by side. Job ids may not hold `:`.
 */
export function passJobId(stateDir: string, ticket: string, pass: number): string {
  const batch = createHash('sha256').update(stateDir).digest('hex').slice(0, 10);
  return `${batch}.${ticket}.${pass}`.replace(/:/g, '_');
}

/** BullMQ's connection options from a redis:// URL (workers need no retry limit on blocking reads). */
export function connectionOf(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}
