// Every "done" of `nightshift run` is confirmed by frozen code: when the loop says done (0) or needs a
// human (3), the supervisor asks the oracle once, as its own process, and runs the final audit (every
// done ticket's finish line on the final head). The run's exit code is theirs, never the loop's. A
// disagreement with the loop is an event, an intervention request and a line in the summary; an audit
// failure reopens its tickets for the loop to run again, at most AUDIT_ROUNDS times a run, and after
// that gates them for a person with the evidence.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runAudit } from '../oracle/audit.ts';
import type { AuditReport, AuditTicket } from '../oracle/audit.ts';
import { describeAudit } from '../oracle/audit-command.ts';
import { appendLedger, interventionsFile } from '../oracle/ledger.ts';
import type { InterventionRecord } from '../oracle/ledger.ts';
import { HUMAN_GATED_LABEL, renderGateComment } from '../oracle/receipt-write.ts';
import type { RunOptions } from '../oracle/run-options.ts';
import { openTracker } from '../trackers/open.ts';
import { oracleOnce } from './oracle-once.ts';

/** Times one run reopens tickets after a failed audit before it gates them for a person. */
export const AUDIT_ROUNDS = 2;

export type Confirmation =
  | { kind: 'final'; exitCode: number }
  | { kind: 'rerun'; reopened: string[] };

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv };

/** Appends a supervisor event to the run's log (made if the loop never made it: the record is the supervisor's). */
export function emit(stateDir: string, event: Record<string, unknown>): void {
  mkdirSync(stateDir, { recursive: true });
  appendFileSync(join(stateDir, 'events.jsonl'), `${JSON.stringify({ ts: new Date().toISOString(), run: 'supervisor', ...event })}\n`);
}

function requestIntervention(options: RunOptions, stateDir: string, env: NodeJS.ProcessEnv, input: Pick<InterventionRecord, 'kind' | 'ticket' | 'reason' | 'evidence'>): void {
  const record: InterventionRecord = { at: new Date().toISOString(), run: 'supervisor', batch: options.batch.spec, type: 'request', state: stateDir, ...input };
  if (existsSync(stateDir)) appendFileSync(interventionsFile(stateDir), `${JSON.stringify(record)}\n`);
  appendLedger('interventions.jsonl', record, env);
  emit(stateDir, { type: 'intervention-request', ticket: input.ticket, kind: input.kind, reason: input.reason });
}

function auditEvent(report: Extract<AuditReport, { kind: 'audited' }>, round: number): Record<string, unknown> {
  const failed = report.tickets.filter((t): t is Extract<AuditTicket, { result: 'failed' }> => t.result === 'failed');
  return {
    type: 'audit', round, head: report.head, target_branch: report.targetBranch,
    passed: report.tickets.filter((t) => t.result === 'passed').map((t) => t.key),
    failed: failed.map((t) => ({ ticket: t.key, command: t.command, exit: t.exit, output: t.output.slice(-2_000) })),
    reopened: report.reopened,
  };
}

/**
 * The loop ended saying done or needs-a-human (`loopExit`); `round` audits have reopened tickets in this
 * run so far. Returns the run's exit code, or that the loop must run again for reopened tickets.
 */
export async function confirmDone(options: RunOptions, stateDir: string, io: Io, loopExit: number, round: number): Promise<Confirmation> {
  const target = { batch: options.batch.spec, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch };
  const verdict = await oracleOnce(target, io.env);
  emit(stateDir, { type: 'confirm', loop_exit: loopExit, oracle_exit: verdict.exitCode, agreed: verdict.exitCode === 0 });
  if (verdict.exitCode !== 0) {
    const open = verdict.tickets.filter((t) => !t.satisfied).map((t) => `${t.key} (${t.reason})`);
    const why = verdict.problem ?? `not satisfied: ${open.join(', ')}`;
    io.stderr(`nightshift: the loop ended with exit ${loopExit}, but the oracle, asked on its own, exits ${verdict.exitCode}: ${why.slice(0, 2_000)}\n`);
    requestIntervention(options, stateDir, io.env, { kind: 'harness', reason: `the loop claimed exit ${loopExit}; the oracle says ${verdict.verdict}`, evidence: why.slice(0, 4_000) });
    return { kind: 'final', exitCode: verdict.exitCode };
  }
  const report = await runAudit({ options: { batch: options.batch, tracker: { kind: options.tracker, tickets: options.tickets }, repo: options.repo, targetBranch: options.targetBranch }, env: io.env, workers: options.workers, timeoutMs: options.workerMinutes * 60_000, reopen: true, setup: options.setup });
  if (report.kind === 'cannot-tell') {
    emit(stateDir, { type: 'audit', round: round + 1, problem: report.problem });
    io.stderr(`nightshift: the final audit cannot tell: ${report.problem}\n`);
    return { kind: 'final', exitCode: 2 };
  }
  emit(stateDir, auditEvent(report, round + 1));
  // the supervisor speaks on stderr, as for heals: stdout is the loop's event lines and summary
  io.stderr(`nightshift: final audit (round ${round + 1}):\n${describeAudit(report)}`);
  const failed = report.tickets.filter((t): t is Extract<AuditTicket, { result: 'failed' }> => t.result === 'failed');
  if (failed.length === 0) return { kind: 'final', exitCode: verdict.tickets.some((t) => t.via === 'human-gated') ? 3 : 0 };
  for (const t of failed) emit(stateDir, { type: 'audit-failed', ticket: t.key, command: t.command, reason: `the final audit found \`${t.command}\` failing (${t.exit}) on ${options.targetBranch} at ${report.head.slice(0, 12)}, after this ticket had landed:\n${t.output.slice(-2_000)}` });
  if (round < AUDIT_ROUNDS) {
    io.stderr(`nightshift: the final audit reopened ${report.reopened.join(', ')}; running the loop again\n`);
    return { kind: 'rerun', reopened: report.reopened };
  }
  // the audit rounds of this run are spent: the failing tickets wait for a person, with the evidence
  const tracker = await openTracker({ kind: options.tracker, tickets: options.tickets }, io.env);
  for (const t of failed) {
    await tracker.comment(t.key, renderGateComment(`the final audit failed ${AUDIT_ROUNDS + 1} times on ${options.targetBranch}: \`${t.command}\``, `${t.exit}\n${t.output}`));
    await tracker.addLabel(t.key, HUMAN_GATED_LABEL);
    requestIntervention(options, stateDir, io.env, { kind: 'work', ticket: t.key, reason: `the final audit keeps failing: ${t.command}`, evidence: t.output.slice(-4_000) });
  }
  io.stderr(`nightshift: the final audit still fails for ${failed.map((t) => t.key).join(', ')}; gated for a person (see \`nightshift interventions\`)\n`);
  const after = await oracleOnce(target, io.env);
  return { kind: 'final', exitCode: after.exitCode === 0 ? 3 : after.exitCode };
}
