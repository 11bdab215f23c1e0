// Writes what the oracle later reads: the receipt comment after a replay passed, the human-gate reason,
// and a failed audit. The formats are the oracle's (oracle/receipt.ts reads them, with these constants).
import { AUDIT_FENCE, HUMAN_GATED_LABEL, RECEIPT_FENCE } from './receipt.ts';

export { HUMAN_GATED_LABEL, RECEIPT_FENCE };

export type ReceiptFields = {
  ticket: string;
  mergeCommit: string;
  targetBranch: string;
  replayDigest: string;
  reviewers: Array<{ agent: string; verdict: string }>;
  run: string;
};

export function renderReceiptComment(fields: ReceiptFields): string {
  const receipt = {
    version: 1,
    ticket: fields.ticket,
    merge_commit: fields.mergeCommit,
    target_branch: fields.targetBranch,
    replay: 'passed',
    replay_digest: fields.replayDigest,
    reviewers: fields.reviewers,
    run: fields.run,
  };
  const reviews = fields.reviewers.length === 0 ? 'no reviewers configured' : fields.reviewers.map((r) => `${r.agent}: ${r.verdict}`).join(', ');
  return [
    `nightshift receipt: ${fields.ticket} merged as ${fields.mergeCommit.slice(0, 12)} into ${fields.targetBranch}; replay passed; reviews: ${reviews}.`,
    '',
    '```' + RECEIPT_FENCE,
    JSON.stringify(receipt),
    '```',
  ].join('\n');
}

/** The comment that gives a human gate its reason (the oracle reads the `Human-gated:` line). */
export function renderGateComment(reason: string, evidence: string): string {
  return `Human-gated: ${reason.replace(/\s+/g, ' ').trim()}\n\nEvidence:\n\n${evidence.trim() || '(none given)'}`;
}

/**
 * The comment of a failed final audit: the finish line of a done ticket failed on the final target
 * head. It supersedes the ticket's receipt (oracle/receipt.ts) until a later receipt.
 */
export function renderAuditComment(fields: { ticket: string; commit: string; targetBranch: string; command: string; output: string }): string {
  const audit = { version: 1, ticket: fields.ticket, result: 'failed', commit: fields.commit, command: fields.command };
  return [
    `nightshift audit: the finish line of ${fields.ticket} failed on ${fields.targetBranch} at ${fields.commit.slice(0, 12)}, so its receipt no longer counts and the ticket is reopened.`,
    '',
    `Command: ${fields.command}`,
    '',
    '```',
    fields.output.slice(-4_000).replace(/```/g, "'''"),
    '```',
    '',
    '```' + AUDIT_FENCE,
    JSON.stringify(audit),
    '```',
  ].join('\n');
}
