// Writes what the oracle later reads: the receipt comment after a replay passed, and the human-gate
// reason. The format is the oracle's (oracle/receipt.ts); test/receipt.test.ts proves they agree.

export const RECEIPT_FENCE = 'nightshift-receipt';
export const HUMAN_GATED_LABEL = 'human-gated';

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
