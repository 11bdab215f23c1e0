// How a pass ended (PassOutcome), said in one line for the journal, the events and the next prompt.
import type { LoopContext } from '../context.ts';
import type { LandOutcome } from '../land/land.ts';
import { appendJournal } from '../state/state.ts';

/** How a pass ended. Every kind but `landed` leaves the ticket not done (`gated` waits for a person). */
export type PassOutcome =
  | { kind: 'landed'; mergeCommit: string }
  | { kind: 'agent-failed'; reason: string }
  | { kind: 'rate-limited'; reason: string }
  | { kind: 'outside-changes'; problems: string[] }
  | { kind: 'no-result'; reason: string }
  | { kind: 'gated'; reason: string }
  | { kind: 'block-unproven'; reason: string }
  | { kind: 'no-commits'; reason: string }
  | { kind: 'verify-failed'; command: string; output: string }
  | { kind: 'no-verify'; reason: string }
  | { kind: 'waiting-on-discovered'; keys: string[] }
  | { kind: 'review-rejected'; findings: string }
  | { kind: 'ratchet-refused'; findings: string }
  | { kind: 'merge-conflict'; message: string }
  | { kind: 'check-failed'; url: string; check: string; output: string }
  | { kind: 'replay-failed'; command: string; output: string }
  | { kind: 'setup-failed'; command: string; output: string }
  | { kind: 'environment-failed'; command: string; output: string }
  | { kind: 'canceled-by-tracker'; reason: string };

export type PassResult = { outcome: PassOutcome; costUsd: number };

/** One-line reason for the journal, the events and the next pass's prompt. */
export function describeOutcome(outcome: PassOutcome): string {
  switch (outcome.kind) {
    case 'landed': return `merged as ${outcome.mergeCommit.slice(0, 12)}; replay passed; done`;
    case 'agent-failed': return `the agent failed: ${outcome.reason}`;
    case 'rate-limited': return `the agent's vendor kept refusing (usage or rate limit): ${outcome.reason}`;
    case 'outside-changes': return `the pass changed things outside its worktree, which is not allowed:\n${outcome.problems.join('\n')}`;
    case 'no-result': return `no valid result: ${outcome.reason}`;
    case 'gated': return `a second model found the block proven; the ticket waits for a person: ${outcome.reason}`;
    case 'block-unproven': return `reported blocked, but the block is not proven: ${outcome.reason}`;
    case 'no-commits': return outcome.reason;
    case 'verify-failed': return `the finish line failed at \`${outcome.command}\`:\n${outcome.output}`;
    case 'no-verify': return outcome.reason;
    case 'waiting-on-discovered': return `the pass reported work this ticket needs first (${outcome.keys.join(', ')}); the ticket waits for it and lands in a later pass`;
    case 'review-rejected': return `the reviewers asked for changes:\n${outcome.findings}`;
    case 'ratchet-refused': return outcome.findings;
    case 'merge-conflict': return `the branch does not merge cleanly into the target: ${outcome.message}`;
    case 'check-failed': return `the pull request ${outcome.url} failed its required check "${outcome.check}"; nothing was merged. Its output:\n${outcome.output}`;
    case 'replay-failed': return `merged, but the replay on the target failed at \`${outcome.command}\`, so the merge was reverted:\n${outcome.output}`;
    case 'setup-failed': return `the worktree's set-up \`${outcome.command}\` failed before the agent started (not the agent's doing; the run stops):\n${outcome.output}`;
    case 'environment-failed': return `the finish line \`${outcome.command}\` cannot start here, and the preflight never saw it start (not the agent's doing; the run stops):\n${outcome.output}`;
    case 'canceled-by-tracker': return `stopped, nothing merged: ${outcome.reason}`;
  }
}

export function fromLand(landed: LandOutcome): PassOutcome {
  switch (landed.kind) {
    case 'landed': return { kind: 'landed', mergeCommit: landed.mergeCommit };
    case 'merge-conflict': return { kind: 'merge-conflict', message: landed.message };
    case 'check-failed': return { kind: 'check-failed', url: landed.url, check: landed.check, output: landed.output };
    case 'interrupted': return { kind: 'agent-failed', reason: landed.reason };
    case 'replay-failed': return { kind: 'replay-failed', command: landed.command, output: landed.output };
    case 'replay-interrupted': return { kind: 'agent-failed', reason: `the loop stopped during the replay of ${landed.mergeCommit.slice(0, 12)}; the next start replays it again` };
  }
}

export function journalPass(ctx: LoopContext, key: string, pass: number, outcome: PassOutcome): void {
  appendJournal(ctx.paths, key, `nightshift: pass ${pass} ended: ${describeOutcome(outcome)}`);
}
