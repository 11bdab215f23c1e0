// The receipt the loop leaves on a ticket after a merge whose replay passed, and the human-gate
// reason; this module is the frozen reading of both (the loop writes them, the oracle judges them).
import { z } from 'zod';

/** The fenced block a receipt comment carries: ```nightshift-receipt\n{json}\n``` */
export const RECEIPT_FENCE = 'nightshift-receipt';

export const Receipt = z.object({
  version: z.literal(1),
  ticket: z.string(),
  merge_commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit id'),
  target_branch: z.string(),
  replay: z.enum(['passed', 'failed']),
  replay_digest: z.string(),
  reviewers: z.array(z.object({ agent: z.string(), verdict: z.string() })),
  run: z.string(),
});
export type Receipt = z.infer<typeof Receipt>;

const FENCE = new RegExp('```' + RECEIPT_FENCE + '[ \\t]*\\r?\\n([\\s\\S]*?)\\r?\\n```');

/** The fenced block of a failed final audit: ```nightshift-audit\n{json}\n``` (oracle/audit.ts writes it). */
export const AUDIT_FENCE = 'nightshift-audit';

export const AuditFailure = z.object({
  version: z.literal(1),
  ticket: z.string(),
  result: z.literal('failed'),
  /** The target head the finish line failed on. */
  commit: z.string(),
  command: z.string(),
});
export type AuditFailure = z.infer<typeof AuditFailure>;

const AUDIT = new RegExp('```' + AUDIT_FENCE + '[ \\t]*\\r?\\n([\\s\\S]*?)\\r?\\n```');

/**
 * The outcome of looking for a receipt in a ticket's comments: the latest receipt comment decides,
 * unless a failed audit comes after it (the finish line failed on a later target head).
 */
export type ReceiptLookup =
  | { kind: 'none' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'superseded'; audit: string; commit: string | undefined }
  | { kind: 'found'; receipt: Receipt };

export function findReceipt(comments: ReadonlyArray<{ body: string }>): ReceiptLookup {
  for (let i = comments.length - 1; i >= 0; i--) {
    const body = comments[i]?.body ?? '';
    const audit = AUDIT.exec(body);
    if (audit) {
      // any audit block supersedes: an unreadable one can only make a ticket less done, never more
      const parsed = AuditFailure.safeParse(safeJson(audit[1] ?? ''));
      return parsed.success
        ? { kind: 'superseded', audit: `the final audit found \`${parsed.data.command.slice(0, 120)}\` failing on ${parsed.data.commit.slice(0, 10)}`, commit: parsed.data.commit }
        : { kind: 'superseded', audit: 'an unreadable audit comment', commit: undefined };
    }
    const match = FENCE.exec(body);
    if (!match) continue;
    let json: unknown;
    try {
      json = JSON.parse(match[1] ?? '');
    } catch {
      return { kind: 'invalid', problem: 'receipt is not valid JSON' };
    }
    const parsed = Receipt.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { kind: 'invalid', problem: `receipt ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
    }
    return { kind: 'found', receipt: parsed.data };
  }
  return { kind: 'none' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The label of a ticket a person must take over. */
export const HUMAN_GATED_LABEL = 'human-gated';

const GATE_REASON = /^human-gated:[ \t]*(\S.*)$/im;

/** The reason of a human gate: the text after `Human-gated:` at the start of a line of any comment. */
export function findGateReason(comments: ReadonlyArray<{ body: string }>): string | undefined {
  for (let i = comments.length - 1; i >= 0; i--) {
    const match = GATE_REASON.exec(comments[i]?.body ?? '');
    if (match?.[1]) return match[1].trim();
  }
  return undefined;
}
