// The ratchet at the merge gate: the "Ratchet" section of a reviewer's prompt (the findings and the
// worker's stated reason), the reviewer result's optional `ratchet` answer, and the decision: a tripped
// ratchet lets the change merge only when every reviewer approves and answers `"ratchet": "accept"`.
import { z } from 'zod';
import type { RatchetFinding } from './ratchet.ts';
import { ReviewerResult } from '../../oracle/results.ts';

/** A reviewer's result with the ratchet answer; `{verdict, findings}` alone stays valid. */
export const RatchetReviewerResult = ReviewerResult.extend({ ratchet: z.enum(['accept', 'refuse']).optional() });

export type RatchetAnswer = 'accept' | 'refuse' | undefined;

/** The prompt section for a tripped ratchet; '' when nothing was found. */
export function ratchetSection(findings: readonly RatchetFinding[], reason: { summary: string; evidence: string }): string {
  if (findings.length === 0) return '';
  const quoted = [reason.summary, reason.evidence].filter((t) => t.trim() !== '').join('\n\n').trim() || '(the worker gave no reason)';
  return [
    '# Ratchet: this change takes something away from the tests',
    '',
    'The harness compared the branch with its merge base and found:',
    ...listed(findings, '- '),
    '',
    "The worker's stated reason (its result summary and evidence):",
    '',
    ...quoted.split('\n').map((line) => `> ${line}`),
    '',
    'This change merges only if you approve AND accept that reason: add `"ratchet": "accept"` to your',
    'result. Accept only when the reason holds (the tests were wrong, obsolete or moved elsewhere, and the',
    'finish line still exercises what the ticket needs); otherwise answer `"ratchet": "refuse"` and say in',
    'your findings what must be restored.',
    '',
  ].join('\n');
}

const LISTED = 25;

/** The findings as prompt lines, the first few of a long list. */
function listed(findings: readonly RatchetFinding[], bullet: string): string[] {
  const lines = findings.slice(0, LISTED).map((f) => `${bullet}ratchet: ${f.message}`);
  return findings.length > LISTED ? [...lines, `${bullet}... and ${findings.length - LISTED} more (all of them are in the run's events.jsonl)`] : lines;
}

export type RatchetDecision =
  | { kind: 'clear' }
  | { kind: 'accepted'; by: string[] }
  | { kind: 'refused'; findings: string; refusedBy: string[] };

/** Whether a tripped ratchet lets the change through: every reviewer must have answered `accept`. */
export function judgeRatchet(findings: readonly RatchetFinding[], reviews: ReadonlyArray<{ agent: string; ratchet?: RatchetAnswer }>): RatchetDecision {
  if (findings.length === 0) return { kind: 'clear' };
  const refusedBy = reviews.filter((r) => r.ratchet !== 'accept').map((r) => r.agent);
  if (refusedBy.length === 0 && reviews.length > 0) return { kind: 'accepted', by: reviews.map((r) => r.agent) };
  const who = reviews.length === 0 ? 'no reviewer saw it' : refusedBy.map((agent) => {
    const answer = reviews.find((r) => r.agent === agent)?.ratchet;
    return `${agent} ${answer === 'refuse' ? 'refused it' : 'did not accept it'}`;
  }).join(', ');
  return {
    kind: 'refused',
    refusedBy: reviews.length === 0 ? [] : refusedBy,
    findings: [
      `The ratchet refused the merge: the change takes something away from the tests, and not both reviewers accepted your reason (${who}).`,
      ...listed(findings, '  - '),
      'Restore what was taken away, or, if removing it is right, say why in your result summary and evidence so the reviewers can accept it.',
    ].join('\n'),
  };
}
