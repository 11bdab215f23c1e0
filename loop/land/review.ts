// Two-model review before a merge: each reviewer gets the ticket, its finish line and the diff; both
// must approve. One retry on an invalid result, then the review counts as `changes`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { branchOf } from '../git/git.ts';
import { renderPrompt } from '../agents/prompt.ts';
import { readResult } from '../../oracle/results.ts';
import type { ReviewerResult } from '../../oracle/results.ts';
import { RatchetReviewerResult } from './ratchet-gate.ts';
import type { RatchetAnswer } from './ratchet-gate.ts';

export type Review = { agent: string; verdict: 'approve' | 'changes'; findings: ReviewerResult['findings']; costUsd: number; problem?: string; ratchet?: RatchetAnswer };

const MAX_DIFF = 120_000;

/** What the ticket's branch changes since it left the target: the diff the reviewers read. */
export function reviewDiff(ctx: LoopContext, key: string): Promise<string> {
  return ctx.repo.raw(['diff', `${ctx.targetGuard.rev()}...refs/heads/${branchOf(key)}`]);
}

/**
 * `ratchet` is the prompt's Ratchet section (loop/land/ratchet-gate.ts), '' when the ratchet did not trip;
 * `diff`, the branch's diff if it was read already (reviewDiff).
 */
export async function reviewChange(ctx: LoopContext, ticket: Ticket, pass: number, worktree: string, commands: string[], ratchet = '', diff?: Promise<string>): Promise<Review[]> {
  const target = ctx.options.targetBranch;
  const fullDiff = await (diff ?? reviewDiff(ctx, ticket.key));
  const dir = join(ctx.paths.passDir(ticket.key, pass), 'review');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'diff.patch'), fullDiff);
  const shown = fullDiff.length > MAX_DIFF
    ? `${fullDiff.slice(0, MAX_DIFF)}\n... (diff cut at ${MAX_DIFF} characters; the whole diff is ${join(dir, 'diff.patch')})`
    : fullDiff;
  return Promise.all(ctx.reviewers.map(async (agent, index) => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const base = join(dir, `reviewer-${index + 1}-try-${attempt}`);
      const resultFile = `${base}.result.json`;
      const promptFile = `${base}.prompt.md`;
      writeFileSync(promptFile, renderPrompt('reviewer', {
        ticket_key: ticket.key,
        ticket_title: ticket.title,
        ticket_description: ticket.description,
        verify_commands: commands.length > 0 ? commands.map((c) => `    ${c}`).join('\n') : '(none: the ticket has no ```verify block)',
        target_branch: target,
        branch: branchOf(ticket.key),
        diff: '```diff\n' + shown + '\n```',
        ratchet,
        result_file: resultFile,
      }));
      rmSync(resultFile, { force: true });
      ctx.log.emit({ type: 'review-start', ticket: ticket.key, pass, reviewer: agent.spec, attempt });
      const outcome = await agent.run({
        role: 'reviewer', ticket: ticket.key, pass, cwd: worktree, promptFile, resultFile, logFile: `${base}.log`,
        env: ctx.env, timeoutMs: ctx.options.workerMinutes * 60_000, signal: ctx.signal,
      });
      const parsed = readResult(resultFile, RatchetReviewerResult);
      const cost = outcome.kind === 'finished' ? outcome.report.costUsd ?? 0 : 0;
      if (parsed.kind === 'ok') {
        const { ratchet: answer } = parsed.value;
        const review: Review = { agent: agent.spec, verdict: parsed.value.verdict, findings: parsed.value.findings, costUsd: Math.max(cost, parsed.value.cost_usd), ...(answer ? { ratchet: answer } : {}) };
        ctx.log.emit({ type: 'review', ticket: ticket.key, pass, reviewer: agent.spec, verdict: review.verdict, findings: review.findings, cost_usd: review.costUsd, ...(answer ? { ratchet: answer } : {}) });
        return review;
      }
      ctx.log.emit({ type: 'review-invalid', ticket: ticket.key, pass, reviewer: agent.spec, attempt, problem: parsed.problem, outcome: outcome.kind });
      if (attempt === 2) {
        return { agent: agent.spec, verdict: 'changes' as const, findings: [], costUsd: cost, problem: `reviewer ${agent.spec} gave no valid verdict twice: ${parsed.problem}` };
      }
    }
    throw new Error('unreachable');
  }));
}

