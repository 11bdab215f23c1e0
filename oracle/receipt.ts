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

/** The outcome of looking for a receipt in a ticket's comments (the latest receipt comment decides). */
export type ReceiptLookup =
  | { kind: 'none' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'found'; receipt: Receipt };

export function findReceipt(comments: ReadonlyArray<{ body: string }>): ReceiptLookup {
  for (let i = comments.length - 1; i >= 0; i--) {
    const match = FENCE.exec(comments[i]?.body ?? '');
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
