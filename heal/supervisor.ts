// The heal supervisor: `nightshift run` is this process and the loop is its child (`loop/main.ts`).
// When the loop exits short of done (exit 1) and `--heal SPEC` is set, this (locked) code runs the
// heal pass and the tripwire, and restarts the loop from the accepted code: a healed loop cannot skip
// either. A wall gates the tickets for a person (exit 3); a rejected heal surfaces the real stop (exit 1).
// When the loop says done (0) or needs a human (3), the frozen oracle and the final audit confirm it
// (heal/confirm.ts): the run's exit code is theirs, and an audit failure runs the loop again.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { confirmDone, emit } from './confirm.ts';
import { gateTickets } from './gate.ts';
import { runHealPass } from './heal-pass.ts';
import type { HealOutcome } from './heal-pass.ts';
import { appendLedger } from '../oracle/ledger.ts';
import { parseRunArgs } from '../oracle/run-options.ts';
import type { RunOptions } from '../oracle/run-options.ts';
import { defaultStateDir, readEvents } from '../oracle/state-files.ts';

const CHECKOUT = fileURLToPath(new URL('..', import.meta.url));
const LOOP_MAIN = join(CHECKOUT, 'loop', 'main.ts');

/** Heals one run may make before the stop is surfaced. */
export const MAX_HEALS_PER_RUN = 3;

export type SuperviseIo = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

/** Runs the loop as a child with the terminal passed through; heals and restarts it when it stops short. */
export async function superviseRun(argv: string[], io: SuperviseIo): Promise<number> {
  const options = parseRunArgs(argv, io.cwd);
  const stateDir = options.state ?? defaultStateDir(options.repo, options.batch.label, io.env);
  const healedReasons = new Map<string, number>();
  let heals = 0;
  let audits = 0;
  for (;;) {
    const exitCode = await runLoopChild(argv, io);
    if (exitCode === 0 || exitCode === 3) {
      // the loop's word is not the verdict: the oracle, asked on its own, and the final audit decide
      const confirmed = await confirmDone(options, stateDir, io, exitCode, audits);
      if (confirmed.kind === 'final') return confirmed.exitCode;
      audits++;
      continue;
    }
    if (exitCode !== 1 || options.heal === undefined) return exitCode;
    const stop = lastStop(stateDir);
    if (stop === undefined || stop.reason === 'interrupted') return exitCode;
    const key = normalizeReason(stop.reason);
    if ((healedReasons.get(key) ?? 0) >= 2 && stop.satisfied <= (healedReasons.get(`${key}#progress`) ?? -1)) {
      io.stderr(`nightshift: the same stop was healed twice without progress; treating it as a wall.\n`);
      return wall(options, stateDir, io, { summary: `the same stop was healed twice without progress: ${stop.reason}`, evidence: stop.reason });
    }
    if (heals >= MAX_HEALS_PER_RUN) {
      io.stderr(`nightshift: stopped short of done and the heal limit (${MAX_HEALS_PER_RUN} per run) is reached: ${stop.reason}\n`);
      return exitCode;
    }
    heals++;
    const healId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
    io.stderr(`nightshift: the loop stopped short of done (${firstLine(stop.reason)}); heal ${healId} with ${options.heal}\n`);
    emit(stateDir, { type: 'heal-start', heal: healId, reason: stop.reason, agent: options.heal });
    let outcome: HealOutcome & { costUsd: number };
    try {
      outcome = await runHealPass({
        checkout: CHECKOUT, stateDir, healId, run: stop.run, spec: options.heal, reviewers: options.review, stopReason: stop.reason,
        cwd: io.cwd, env: io.env, timeoutMs: options.workerMinutes * 60_000,
      });
    } catch (error) {
      outcome = { kind: 'rejected', commit: undefined, files: [], reasons: [`the heal pass failed: ${(error as Error).message}`], summary: '', ref: undefined, costUsd: 0 };
    }
    record(stateDir, healId, stop, outcome, options, io.env);
    switch (outcome.kind) {
      case 'accepted':
        io.stderr(`nightshift: heal ${outcome.commit.slice(0, 12)} approved by its reviewers and accepted by the tripwire (${outcome.files.join(', ')}); restarting the loop from the healed code\n`);
        healedReasons.set(key, (healedReasons.get(key) ?? 0) + 1);
        healedReasons.set(`${key}#progress`, stop.satisfied);
        continue;
      case 'rejected':
        io.stderr(`nightshift: heal rejected${outcome.ref ? ` (kept on ${outcome.ref} for review)` : ''}:\n${outcome.reasons.map((r) => `  ${r}`).join('\n')}\nnightshift: the real stop: ${stop.reason}\n`);
        return 1;
      case 'wall':
        return wall(options, stateDir, io, { summary: outcome.summary, evidence: outcome.evidence });
    }
  }
}

/**
 * The V8 flags the loop runs with. Bench (200 and 1,000 tickets, 4 workers): loop RSS 301 -> 191 MB with
 * the small young generation; then 138-166 -> 114 MB at 200 tickets and 247 -> 150 MB at 1,000 with
 * --optimize-for-size, for more of the loop's own CPU (7.5 -> 9.1 s at 200, 66 -> 123 s at 1,000).
 */
export const LOOP_NODE_FLAGS = ['--max-semi-space-size=8', '--optimize-for-size'];

async function runLoopChild(argv: string[], io: SuperviseIo): Promise<number> {
  // LOOP_NODE_FLAGS: a small young generation (the loop's heap is many short-lived parses; V8's default
  // new space on this Node sizes it at 128 MB) and V8's memory-over-speed heap sizing
  const child = execa(process.execPath, [...LOOP_NODE_FLAGS, LOOP_MAIN, 'run', ...argv], { stdio: 'inherit', reject: false, cwd: io.cwd, env: io.env, extendEnv: false });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const result = await child;
    return result.exitCode ?? 1;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

type Stop = { reason: string; run: string; satisfied: number };

/** The loop's last `run-end` reason and the oracle's last count of satisfied tickets. */
function lastStop(stateDir: string): Stop | undefined {
  const events = readEvents(join(stateDir, 'events.jsonl'));
  const end = events.findLast((e) => e.type === 'run-end');
  if (!end) return undefined;
  const oracle = events.findLast((e) => e.type === 'oracle');
  return { reason: String(end.reason ?? 'unknown'), run: end.run, satisfied: typeof oracle?.satisfied === 'number' ? oracle.satisfied : 0 };
}

function normalizeReason(reason: string): string {
  return reason.replace(/[0-9a-f]{7,40}/g, '#').replace(/\d+/g, 'N').slice(0, 300);
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 200) ?? '';
}

function record(stateDir: string, healId: string, stop: Stop, outcome: HealOutcome & { costUsd: number }, options: RunOptions, env: NodeJS.ProcessEnv): void {
  const verdict = outcome.kind === 'accepted' ? 'accepted' : outcome.kind === 'rejected' ? 'rejected' : 'wall';
  const entry = {
    at: new Date().toISOString(), heal: healId, run: stop.run, batch: options.batch.spec, state: stateDir, reason: stop.reason,
    classification: outcome.kind === 'wall' ? 'wall' : 'gap', verdict,
    reasons: outcome.kind === 'rejected' ? outcome.reasons : [],
    files: outcome.kind === 'wall' ? [] : outcome.files,
    commit: outcome.kind === 'wall' ? undefined : outcome.commit,
    ref: outcome.kind === 'rejected' ? outcome.ref : undefined,
    summary: outcome.summary,
    evidence: outcome.kind === 'wall' ? outcome.evidence : undefined,
    // the heal's two reviewers (before the tripwire), and a note when both came from one vendor
    reviews: outcome.kind === 'wall' ? undefined : outcome.reviews,
    review_note: outcome.kind === 'wall' ? undefined : outcome.reviewNote,
    // the heal agent's and its reviewers' cost counts against the batch budget (loop/schedule/budget.ts reads it from heal-end)
    cost_usd: outcome.costUsd,
  };
  appendLedger('heals.jsonl', entry, env);
  emit(stateDir, { type: 'heal-end', ...entry, tripwire: verdict === 'wall' ? undefined : verdict });
  if (outcome.kind === 'accepted') emit(stateDir, { type: 'heal-accepted', heal: healId, commit: outcome.commit });
}

async function wall(options: RunOptions, stateDir: string, io: SuperviseIo, wallInfo: { summary: string; evidence: string }): Promise<number> {
  const gated = await gateTickets(options, stateDir, io.env, wallInfo);
  io.stderr(`nightshift: a wall: ${wallInfo.summary}\nnightshift: ${gated.length} ticket(s) gated for a person (${gated.join(', ')}); see \`nightshift interventions\`.\n`);
  return 3;
}
