// The JSON results agents write to NIGHTSHIFT_RESULT_FILE (DESIGN.md, "Scripted agents"), validated
// with zod; a missing or invalid result is a failed pass, described precisely.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodIssues } from '../trackers/errors.ts';

export const WorkerResult = z.object({
  status: z.enum(['complete', 'blocked']),
  summary: z.string().default(''),
  evidence: z.string().default(''),
  discovered: z
    .array(z.object({ title: z.string().min(1), description: z.string().default(''), blocks: z.array(z.string()).default([]) }))
    .default([]),
  cost_usd: z.number().nonnegative().default(0),
});
export type WorkerResult = z.infer<typeof WorkerResult>;

export const ReviewerResult = z.object({
  verdict: z.enum(['approve', 'changes']),
  findings: z
    .array(z.object({ severity: z.enum(['high', 'medium', 'low']), message: z.string(), file: z.string().optional(), line: z.number().int().optional() }))
    .default([]),
  cost_usd: z.number().nonnegative().default(0),
});
export type ReviewerResult = z.infer<typeof ReviewerResult>;

// heal and blocked-check results may report their cost too (optional, as for workers and reviewers)
export const HealResult = z.object({
  classification: z.enum(['gap', 'wall']),
  summary: z.string(),
  evidence: z.string().default(''),
  cost_usd: z.number().nonnegative().default(0),
});
export type HealResult = z.infer<typeof HealResult>;

export const BlockedCheckResult = z.object({
  verdict: z.enum(['proven', 'unproven']),
  reason: z.string(),
  cost_usd: z.number().nonnegative().default(0),
});
export type BlockedCheckResult = z.infer<typeof BlockedCheckResult>;

export type Parsed<T> = { kind: 'ok'; value: T } | { kind: 'invalid'; problem: string };

/** Reads and validates a result file. */
export function readResult<T>(path: string, schema: z.ZodType<T>): Parsed<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { kind: 'invalid', problem: `no result file was written at ${path}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', problem: `the result file is not JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', problem: `the result file does not match the format:\n${formatZodIssues(parsed.error.issues)}` };
  return { kind: 'ok', value: parsed.data };
}
