// The format of a golden case (oracle/cases/<name>.json): the tracker state, the git state to build,
// the batch and the oracle's expected exit code. Cases are data, validated here with zod; a bad case is
// a clear error naming the file and the JSON path, never a silently skipped check.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError, formatZodIssues } from '../trackers/errors.ts';

const Key = z.string().regex(/^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/, 'must look like ENG-120');

/** A comment: literal text (`{{merge:NAME}}` stands for the full id of a merge built by `git`), or a receipt. */
const CaseComment = z.union([
  z.strictObject({ body: z.string(), author: z.string().default('someone') }),
  z.strictObject({
    receipt: z.strictObject({
      /** The ticket the receipt names (default: the ticket carrying it). */
      ticket: Key.optional(),
      /** The NAME of a merge step of `git`. */
      merge: z.string(),
      replay: z.enum(['passed', 'failed']).default('passed'),
      target_branch: z.string().default('main'),
    }),
  }),
]);

const CaseTicket = z.strictObject({
  key: Key,
  title: z.string().optional(),
  state: z.enum(['todo', 'in_progress', 'done', 'canceled']),
  labels: z.array(z.string()).default([]),
  comments: z.array(CaseComment).default([]),
});
export type CaseTicket = z.infer<typeof CaseTicket>;

/** Faults a tracker simulator injects: test/sim/faults.ts's FaultPlan (seeded, so a case is repeatable). */
const Faults = z.strictObject({
  /** Fraction of requests that get a fault, 0..1. */
  rate: z.number().min(0).max(1),
  kinds: z.array(z.enum(['http-429', 'rate-limited', 'server-error', 'server-error-after', 'slow', 'truncated'])).optional(),
  retryAfterSeconds: z.number().min(0).optional(),
  slowMs: z.number().int().min(0).optional(),
  skipFirst: z.number().int().min(0).optional(),
  limit: z.number().int().min(0).optional(),
});

const Tracker = z.union([
  /** The local tracker with a well-formed tickets file. */
  z.strictObject({ kind: z.literal('local'), project: z.string(), tickets: z.array(CaseTicket) }),
  /** The local tracker with a tickets file of this exact text (malformed on purpose). */
  z.strictObject({ kind: z.literal('local'), raw: z.string() }),
  /** The local tracker pointed at a tickets file that does not exist. */
  z.strictObject({ kind: z.literal('local'), absent: z.literal(true) }),
  /** A tracker simulator (loopback HTTP), with optional faults. */
  z.strictObject({
    kind: z.enum(['linear', 'jira', 'github']),
    project: z.string(),
    tickets: z.array(CaseTicket),
    faults: Faults.optional(),
    /** Extra environment of the oracle call, e.g. NIGHTSHIFT_TRACKER_TIMEOUT_MS for a timeout case. */
    env: z.record(z.string().regex(/^NIGHTSHIFT_TRACKER_[A-Z_]+$/), z.string()).default({}),
  }),
]);
export type CaseTracker = z.infer<typeof Tracker>;

/** One merge of `nightshift/<merge>` into the target (or onto a side branch), with its trailer(s). */
const MergeStep = z.strictObject({
  merge: Key,
  /** How comments refer to this merge (`{{merge:NAME}}`, `receipt.merge`); default: the key. */
  name: z.string().optional(),
  /** Trailer values: the key by default, other keys, or null for no trailer at all. */
  trailer: z.union([Key, z.array(Key), z.null()]).optional(),
  /** false: the merge lands on a side branch, never on the target. */
  onTarget: z.boolean().default(true),
});
export type MergeStep = z.infer<typeof MergeStep>;

export const GoldenCase = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(/^[a-z0-9-]+$/),
  about: z.string(),
  batch: z.string(),
  /** The branch the repo is built on (merges land here). */
  branch: z.string().default('main'),
  /** The --target-branch the oracle is asked about (default: `branch`). */
  targetBranch: z.string().optional(),
  git: z.array(MergeStep).default([]),
  tracker: Tracker,
  expect: z.strictObject({
    exit: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    /** When given: exactly these tickets are satisfied in the oracle's JSON. */
    satisfied: z.array(Key).optional(),
    /** Least number of tracker reads per oracle call (1 unless the tracker cannot be read at all). */
    minReads: z.number().int().min(0).default(1),
  }),
});
export type GoldenCase = z.infer<typeof GoldenCase>;

/** Loads every `*.json` of `dir`, sorted by file name; any invalid case is a UsageError naming it. */
export function loadCases(dir: string): GoldenCase[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new UsageError('golden-cases-missing', `cannot list the golden cases in ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new UsageError('golden-cases-missing', `${dir} holds no golden cases (*.json).`);
  return names.map((name) => {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError('golden-case-invalid', `golden case ${file} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = GoldenCase.safeParse(json);
    if (!parsed.success) throw new UsageError('golden-case-invalid', `golden case ${file} is invalid:\n${formatZodIssues(parsed.error.issues)}`);
    if (`${parsed.data.name}.json` !== name) throw new UsageError('golden-case-invalid', `golden case ${file} is named "${parsed.data.name}"; the file must be ${parsed.data.name}.json.`);
    return parsed.data;
  });
}
