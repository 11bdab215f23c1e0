// One worker pass on one ticket: a clean worktree (reused from the pool) and a fresh agent process,
// then the loop's own checks (a valid result, a proven block, commits on the branch, the finish line),
// discovered work filed, the two reviews and the landing; the worktree goes back to the pool at the end.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ticket } from '../../trackers/types.ts';
import { gateTicket, judgeBlock } from './blocked.ts';
import { startChecks, verifyPrepared } from './checks.ts';
import { fromLand } from './outcome.ts';
import type { PassOutcome, PassResult } from './outcome.ts';
import type { LoopContext } from '../context.ts';
import { fileDiscovered } from './discovered.ts';
import { branchOf } from '../git/git.ts';
import { branchesThatMade } from '../guards/target-guard.ts';
import { commitsAhead } from '../git/target.ts';
import { prepareWorktree } from '../git/worktrees.ts';
import { snapshotStillGood } from './warm.ts';
import type { HeadStart } from './warm.ts';
import { landTicket, replayAndSettle } from '../land/land.ts';
import { liveMergeOnTarget } from '../land/ahead.ts';
import { renderPrompt } from '../agents/prompt.ts';
import { WorkerResult, readResult } from '../../oracle/results.ts';
import { reviewChange } from '../land/review.ts';
import { checkRatchet } from '../land/ratchet.ts';
import { judgeRatchet, ratchetSection } from '../land/ratchet-gate.ts';
import { cannotStart, setupLog } from '../worktree/environment.ts';
import { forgetAgent, recordAgent } from '../state/state.ts';
import { finishLine, verifyFilePath } from '../worktree/verify.ts';
import { outsideChanges, snapshotOutside } from '../safety/outside.ts';
import { atLoopHead, snapshotAtLoopHead } from './snapshot.ts';
import type { OutsideSnapshot } from '../safety/outside.ts';
import type { AgentOutcome } from '../agents/types.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** Usage and rate limits: how often a pass waits and reruns its agent, and how long at most. */
const RATE_LIMIT_WAITS = 6;
const BASE_RATE_LIMIT_WAIT_MS = 60_000;
const MAX_RATE_LIMIT_WAIT_MS = 15 * 60_000;

/** `warmed`: the pass's head start, prepared while it waited for a slot (loop/pass/warm.ts), if any. */
export async function runPass(ctx: LoopContext, ticket: Ticket, pass: number, notes: string, warmed?: Promise<HeadStart | undefined>): Promise<PassResult> {
  const worktree = ctx.paths.worktree(ticket.key);
  try {
    return await passOn(ctx, ticket, pass, notes, warmed);
  } finally {
    // the worktree goes back to the pool whatever the outcome; an interrupted pass may leave it where
    // it is (the next start's stale cleanup removes it)
    if (!ctx.signal.aborted && existsSync(worktree)) await ctx.worktrees.release(worktree);
  }
}

async function passOn(ctx: LoopContext, ticket: Ticket, pass: number, notes: string, warmed: Promise<HeadStart | undefined> | undefined): Promise<PassResult> {
  const { key } = ticket;
  const target = ctx.options.targetBranch;
  const dir = ctx.paths.passDir(key, pass);
  mkdirSync(dir, { recursive: true });
  const head = warmed ? await warmed : undefined;

  // The snapshot of everything outside the worktree: the head start's when it is recent, else taken
  // now, beside the lookup and the worktree's preparation (nothing of this pass has run yet), not after
  // them in the agent's slot. Never during a merge: a merge moves the target ref before it syncs the
  // checked-out files, and a snapshot between the two would see another ticket's landing as a change
  // made by this pass.
  // None where the sandbox keeps the agents out of the repository: its refs and main checkout are read-only there.
  const undoneBefore = ctx.targetGuard.undone().length;
  const snapshot: Promise<OutsideSnapshot | undefined> = ctx.sandboxConfinesRepo
    ? Promise.resolve(undefined)
    : snapshotStillGood(head?.outside, undoneBefore)
      ? Promise.resolve(head.outside.snapshot)
      : snapshotAtLoopHead(ctx, 'before a pass', [key]);
  void snapshot.catch(() => undefined); // awaited below; a pass that resumes a landing does not need it

  // A crash between the merge and the receipt: the trailer is on the target, finish the landing.
  const already = head ? head.merged : await liveMergeOnTarget(ctx, ticket);
  if (already) {
    ctx.log.emit({ type: 'resume-landing', ticket: key, pass, commit: already });
    const landed = await replayAndSettle(ctx, ticket, pass, already, []);
    return { outcome: fromLand(landed), costUsd: 0 };
  }

  const worktree = ctx.paths.worktree(key);
  const prepared = head?.worktree ?? await prepareWorktree(ctx.repo, target, key, worktree, ctx.targetGuard.rev(), ctx.worktrees.acquire);
  // its dependencies, before the agent: a set-up that fails is the environment's, never charged to the ticket
  const env = await ctx.environment.prepare(worktree, { trusted: false, logFile: setupLog(dir), ticket: key, pass, where: 'pass' });
  if (env.kind === 'failed') return { outcome: { kind: 'setup-failed', command: env.command, output: env.output }, costUsd: 0 };
  const envKey = env.kind === 'none' ? undefined : env.key;
  const before = finishLine(ticket.description, key, worktree);
  const resultFile = join(dir, 'result.json');
  const promptFile = join(dir, 'prompt.md');
  const conflictNote = prepared.conflict ? `\n- ${target} has moved and does not merge cleanly into your branch: merge \`${target}\` first and resolve the conflicts.` : '';
  writeFileSync(promptFile, renderPrompt('worker', {
    ticket_key: key,
    ticket_title: ticket.title,
    ticket_description: ticket.description,
    verify_commands: before.commands.length > 0
      ? before.commands.map((c) => `    ${c}`).join('\n')
      : `(none yet: the ticket has no \`\`\`verify block. Your first duty is to add one: commit the commands that prove this ticket done, one per line, in \`${verifyFilePath(key)}\`. The reviewers check that they really test the ticket.)`,
    pass: String(pass),
    max_passes: String(ctx.options.maxPasses),
    worktree,
    branch: branchOf(key),
    target_branch: target,
    journal_file: ctx.paths.journal(key),
    pass_notes: (notes ? `- What happened before: ${notes.replace(/\n/g, '\n  ')}` : '- This is the first pass on this ticket.') + conflictNote,
    result_file: resultFile,
  }));

  const verifyFile = join(dir, 'verify.txt');
  writeFileSync(verifyFile, before.commands.length > 0 ? `${before.commands.join('\n')}\n` : '');
  const outsideBefore = await snapshot;
  // the guard's undos from here on, and the target as the loop had it, tell which foreign moves this agent may have made
  const undoneAtAgent = ctx.targetGuard.undone().length;
  const headAtAgent = ctx.targetGuard.rev();
  const stop = ctx.trackerStop?.(key);
  const stopped = (): PassResult | undefined => (stop?.aborted ? { outcome: { kind: 'canceled-by-tracker', reason: String(stop.reason) }, costUsd } : undefined);
  let costUsd = 0;
  let outcome: AgentOutcome;
  // the slot goes to the next agent as soon as this one's processes are gone, unless it reruns (a rate limit)
  let slotFreed = false;
  const freeSlot = () => {
    if (!slotFreed) ctx.agentExited?.(key, pass);
    slotFreed = true;
  };
  for (let wait = 0; ; wait++) {
    rmSync(resultFile, { force: true }); // only what this pass's agent writes counts
    ctx.log.emit({ type: 'agent-start', ticket: key, pass, agent: ctx.agent.spec, ...(wait > 0 ? { rerun: wait } : {}) });
    let agentPid: number | undefined;
    outcome = await ctx.agent.run({
      role: 'worker', ticket: key, pass, cwd: worktree, promptFile, resultFile, logFile: join(dir, 'agent.log'),
      env: ctx.env,
      // the stop hook holds the agent to this finish line; the safety hook protects the target branch
      extraEnv: { NIGHTSHIFT_JOURNAL_FILE: ctx.paths.journal(key), NIGHTSHIFT_VERIFY_FILE: verifyFile, NIGHTSHIFT_TARGET_BRANCH: target },
      timeoutMs: ctx.options.workerMinutes * 60_000, signal: stop ? AbortSignal.any([ctx.signal, stop]) : ctx.signal,
      onSpawn: (pid) => {
        agentPid = pid;
        recordAgent(ctx.paths, pid);
      },
      onExit: (exited) => {
        if (exited.kind !== 'rate-limited') freeSlot();
      },
    });
    if (agentPid !== undefined) forgetAgent(ctx.paths, agentPid);
    // A usage or rate limit is the vendor's, not the ticket's: wait and rerun the same pass.
    if (outcome.kind !== 'rate-limited' || wait >= RATE_LIMIT_WAITS || ctx.signal.aborted) break;
    const waitMs = Math.min(MAX_RATE_LIMIT_WAIT_MS, outcome.retryAfterMs ?? BASE_RATE_LIMIT_WAIT_MS * 2 ** wait);
    ctx.log.emit({ type: 'rate-limited', ticket: key, pass, detail: outcome.detail, wait_ms: waitMs });
    await sleep(waitMs, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
  const reported = outcome.kind === 'finished' ? outcome.report.costUsd ?? 0 : 0;
  // (a slot not freed early is freed by this event)
  ctx.log.emit({ type: 'agent-end', ticket: key, pass, outcome: outcome.kind, ...(outcome.kind === 'finished' ? { exit_code: outcome.exitCode } : {}), duration_ms: outcome.durationMs });
  const result = readResult(resultFile, WorkerResult);
  costUsd = Math.max(reported, result.kind === 'ok' ? result.value.cost_usd : 0);
  const done = (o: PassOutcome): PassResult => ({ outcome: o, costUsd });
  // a person canceled the ticket or moved it to done while the agent ran: nothing of it is merged
  const canceled = stopped();
  if (canceled) return canceled;

  // A pass that looks complete has its finish line run, and its commit count, ratchet check and review
  // diff read, from now on, beside the checks below: all are needed before the merge, none changes
  // anything outside the worktree. If a check below fails first, they are stopped (the verify killed).
  const early = outcome.kind === 'finished' && result.kind === 'ok' && result.value.status === 'complete'
    ? startChecks(ctx, ticket, worktree, dir, envKey)
    : undefined;
  try {
    // Only the loop moves the target: a move made during this pass is undone (and fails the pass). The
    // target is read first without the merge lock (where the loop left it: nothing to undo), and under it
    // only otherwise. The snapshot after the pass, like the one before its agent, is read beside merges
    // rather than inside the lock, beside that check.
    const [guard, afterRead] = await Promise.all([
      ctx.targetGuard.untouched().then((ok) => (ok ? { kind: 'ok' as const } : ctx.withMergeLock(() => ctx.targetGuard.check('after a pass', [key])))),
      outsideBefore ? ctx.readBesideMerges(() => snapshotOutside(ctx.repo)) : undefined,
    ]);
    // read beside a check that found a foreign head, the snapshot may show it: taken again once it is undone
    const outsideAfter = afterRead && !atLoopHead(ctx, afterRead) ? await snapshotAtLoopHead(ctx, 'after a pass', [key]) : afterRead;
    // what another ticket's branch made is its pass's to answer for, whichever pass saw it (below: refs
    // made outside the loop, and the target's foreign heads)
    const madeElsewhere = async (commit: string) => {
      const makers = await branchesThatMade(ctx.repo, commit, headAtAgent);
      return makers.length > 0 && !makers.includes(branchOf(key));
    };
    const outside = outsideBefore && outsideAfter
      ? await outsideChanges(ctx.repo, outsideBefore, outsideAfter, target, (older, newer) => ctx.targetGuard.loopMoved(older, newer), madeElsewhere)
      : [];
    // the tickets file and the loop's state files are the loop's: a write found now fails this pass
    outside.push(...((await ctx.foreignWrites?.check('after a worker', [key]))?.problems ?? []));
    // A move of the target undone since this pass's agent started (by this check, another pass's, a
    // merge's or a snapshot's) fails the pass whose branch made it. One that no ticket branch made (a
    // rewind, a commit on no branch) fails every pass under way when it was undone: any of their agents
    // could have made it. A deleted target (put back, nothing to keep) fails the pass that found it.
    // Where the sandbox keeps agents out of the repository, none of them did it: undone, failing no pass.
    const undoneSince = ctx.sandboxConfinesRepo ? [] : ctx.targetGuard.undone().slice(undoneAtAgent);
    for (const foreign of undoneSince) {
      if (!await madeElsewhere(foreign)) outside.unshift(`${target} was moved to ${foreign.slice(0, 12)} outside the loop; the loop moved it back`);
    }
    if (guard.kind === 'restored' && !guard.foreign && !ctx.sandboxConfinesRepo) outside.unshift(`${target} was deleted outside the loop; the loop put it back`);
    if (outside.length > 0) {
      ctx.log.emit({ type: 'outside-changes', ticket: key, pass, problems: outside });
      return done({ kind: 'outside-changes', problems: outside });
    }
    if (outcome.kind === 'timed-out') return done({ kind: 'agent-failed', reason: `it ran past the ${ctx.options.workerMinutes}-minute limit and was killed` });
    if (outcome.kind === 'crashed') return done({ kind: 'agent-failed', reason: outcome.detail });
    if (outcome.kind === 'rate-limited') return done({ kind: 'rate-limited', reason: outcome.detail });
    if (result.kind === 'invalid') return done({ kind: 'no-result', reason: result.problem });
    const { value } = result;

    // Discovered work is filed whatever the pass's fate; work that blocks this ticket defers its landing.
    const filed = value.discovered.length > 0 ? await fileDiscovered(ctx, ticket, pass, value.discovered) : [];
    const blocksThis = filed.filter((f) => f.blocks.includes(key)).map((f) => f.key);

    if (value.status === 'blocked') {
      const judgement = await judgeBlock(ctx, ticket, pass, worktree, { summary: value.summary, evidence: value.evidence });
      costUsd += judgement.costUsd; // the checker's cost is this pass's, so the budget sees it
      if (judgement.kind === 'proven') {
        await gateTicket(ctx, ticket, value.summary || judgement.reason, `${value.evidence}\n\nblocked-check (${judgement.checker}): ${judgement.reason}`);
        return done({ kind: 'gated', reason: judgement.reason });
      }
      return done({ kind: 'block-unproven', reason: judgement.reason });
    }
    if ((await (early?.ahead ?? commitsAhead(ctx.repo, target, key, ctx.targetGuard.rev()))) === 0) {
      return done({ kind: 'no-commits', reason: `the agent reported complete but ${branchOf(key)} has no commits beyond ${target}` });
    }
    const line = early?.line ?? finishLine(ticket.description, key, worktree);
    if (line.commands.length === 0) {
      return done({ kind: 'no-verify', reason: `the ticket has no \`\`\`verify block and the branch adds no ${verifyFilePath(key)}, so nothing can prove it done` });
    }
    const verify = await (early?.verify ?? verifyPrepared(ctx, key, worktree, dir, envKey, line.commands, ctx.signal));
    ctx.log.emit({ type: 'verify', ticket: key, pass, result: verify.kind, source: line.source, ...(verify.kind === 'failed' ? { command: verify.command, output: verify.output } : {}) });
    if (verify.kind === 'failed' && cannotStart(verify.exit, verify.output) && !ctx.environment.started.has(verify.command)) {
      return done({ kind: 'environment-failed', command: verify.command, output: verify.output });
    }
    if (verify.kind === 'failed') return done({ kind: 'verify-failed', command: verify.command, output: verify.output });
    if (blocksThis.length > 0) return done({ kind: 'waiting-on-discovered', keys: blocksThis });

    // a change that takes tests away merges only if both reviewers accept the worker's reason
    const ratchet = await (early?.ratchet ?? checkRatchet(ctx.repo, target, branchOf(key), ctx.targetGuard.rev()));
    const reviews = await reviewChange(ctx, ticket, pass, worktree, line.commands, ratchetSection(ratchet, value), early?.diff);
    costUsd += reviews.reduce((sum, r) => sum + r.costUsd, 0);
    const rejected = reviews.filter((r) => r.verdict !== 'approve');
    const ratchetDecision = judgeRatchet(ratchet, reviews);
    if (ratchetDecision.kind !== 'clear') {
      ctx.log.emit({ type: 'ratchet', ticket: key, pass, findings: ratchet.map((f) => f.message), decision: rejected.length === 0 && ratchetDecision.kind === 'accepted' ? 'accepted' : 'refused', accepted_by: reviews.filter((r) => r.ratchet === 'accept').map((r) => r.agent) });
    }
    if (rejected.length > 0) {
      const findings = rejected.map((r) => [
        `${r.agent}:`,
        ...(r.problem ? [`  - ${r.problem}`] : []),
        ...r.findings.map((f) => `  - [${f.severity}] ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : ''}${f.message}`),
      ].join('\n')).join('\n');
      return done({ kind: 'review-rejected', findings: ratchetDecision.kind === 'refused' ? `${findings}\n${ratchetDecision.findings}` : findings });
    }
    if (ratchetDecision.kind === 'refused') return done({ kind: 'ratchet-refused', findings: ratchetDecision.findings });
    // the worktree is done with: given back beside the merge (the pool finishes it before the path is
    // handed out again, and runPass waits for it)
    void ctx.worktrees.release(worktree).catch(() => undefined);
    const late = stopped();
    if (late) return late;
    const landed = await landTicket(ctx, ticket, pass, reviews.map((r) => ({ agent: r.agent, verdict: r.verdict })), early?.merge);
    return done(fromLand(landed));
  } finally {
    await early?.stop();
  }
}
