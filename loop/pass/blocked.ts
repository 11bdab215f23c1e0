// Proven blocks: a worker's `blocked` result must carry evidence, and a blocked-check agent from
// another vendor than the worker judges it. Proven: the ticket is gated for a person, with the
// evidence. Unproven: a failed pass, and the next worker is told why.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ticket } from '../../trackers/types.ts';
import type { Agent } from '../agents/types.ts';
import type { LoopContext } from '../context.ts';
import { requestIntervention } from '../guards/interventions.ts';
import { renderPrompt } from '../agents/prompt.ts';
import { HUMAN_GATED_LABEL, renderGateComment } from '../../oracle/receipt-write.ts';
import { BlockedCheckResult, readResult } from '../../oracle/results.ts';

/** `costUsd`: what the blocked-check agent cost (its CLI's report or its result's, the larger); the pass adds it. */
export type BlockJudgement =
  | { kind: 'proven'; reason: string; checker: string; costUsd: number }
  | { kind: 'unproven'; reason: string; checker: string | undefined; costUsd: number };

/** The checker: the first reviewer whose vendor differs from the worker's, else the last reviewer. */
export function pickBlockedChecker(worker: Agent, reviewers: readonly Agent[]): Agent | undefined {
  return reviewers.find((r) => r.vendor !== worker.vendor) ?? reviewers.at(-1);
}

export async function judgeBlock(ctx: LoopContext, ticket: Ticket, pass: number, worktree: string, claim: { summary: string; evidence: string }): Promise<BlockJudgement> {
  if (claim.evidence.trim() === '') {
    return { kind: 'unproven', reason: 'the block came without evidence (the exact command and its output); a block must be provable', checker: undefined, costUsd: 0 };
  }
  const checker = pickBlockedChecker(ctx.agent, ctx.reviewers);
  if (!checker) return { kind: 'unproven', reason: 'no blocked-check agent is configured', checker: undefined, costUsd: 0 };
  const dir = join(ctx.paths.passDir(ticket.key, pass), 'blocked-check');
  mkdirSync(dir, { recursive: true });
  const resultFile = join(dir, 'result.json');
  const promptFile = join(dir, 'prompt.md');
  writeFileSync(promptFile, renderPrompt('blocked-check', {
    ticket_key: ticket.key,
    ticket_title: ticket.title,
    ticket_description: ticket.description,
    summary: claim.summary || '(no summary)',
    evidence: claim.evidence,
    result_file: resultFile,
  }));
  rmSync(resultFile, { force: true });
  ctx.log.emit({ type: 'blocked-check-start', ticket: ticket.key, pass, checker: checker.spec });
  const outcome = await checker.run({
    role: 'blocked-check', ticket: ticket.key, pass, cwd: worktree, promptFile, resultFile, logFile: join(dir, 'agent.log'),
    env: ctx.env, timeoutMs: ctx.options.workerMinutes * 60_000, signal: ctx.signal,
  });
  const parsed = readResult(resultFile, BlockedCheckResult);
  const reported = outcome.kind === 'finished' ? outcome.report.costUsd ?? 0 : 0;
  if (parsed.kind === 'invalid') {
    ctx.log.emit({ type: 'blocked-check', ticket: ticket.key, pass, checker: checker.spec, verdict: 'unproven', reason: parsed.problem, cost_usd: reported });
    return { kind: 'unproven', reason: `the blocked-check gave no valid verdict (${parsed.problem})`, checker: checker.spec, costUsd: reported };
  }
  const costUsd = Math.max(reported, parsed.value.cost_usd);
  ctx.log.emit({ type: 'blocked-check', ticket: ticket.key, pass, checker: checker.spec, verdict: parsed.value.verdict, reason: parsed.value.reason, cost_usd: costUsd });
  return parsed.value.verdict === 'proven'
    ? { kind: 'proven', reason: parsed.value.reason, checker: checker.spec, costUsd }
    : { kind: 'unproven', reason: parsed.value.reason, checker: checker.spec, costUsd };
}

/** Gates a ticket for a person: the label, the reason with the evidence, and an intervention request. */
export async function gateTicket(ctx: LoopContext, ticket: Ticket, reason: string, evidence: string): Promise<void> {
  await ctx.tracker.comment(ticket.key, renderGateComment(reason, evidence));
  await ctx.tracker.addLabel(ticket.key, HUMAN_GATED_LABEL);
  requestIntervention(ctx, { kind: 'work', ticket: ticket.key, reason, evidence });
  ctx.log.emit({ type: 'ticket-gated', ticket: ticket.key, reason });
}
