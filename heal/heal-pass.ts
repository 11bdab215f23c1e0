// One heal pass: a fresh heal agent in a worktree of the nightshift checkout, given the stop reason,
// the recent events and the journals. A wall is reported with evidence. A gap is whatever the agent
// committed on its heal branch (one commit or many, any messages; nothing may be left uncommitted): this
// pass squashes it into ONE `heal:` commit on the trusted base with the Heal-Run/Heal-Reason trailers it
// writes itself, the run's two reviewers read that commit's diff (a frozen prompt, heal/heal-review.md),
// and only with both approving does the trusted checkout's tripwire judge it before the checkout
// fast-forwards to it.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { vendorOf } from '../oracle/agent-argv.ts';
import { HealResult, ReviewerResult, readResult } from '../oracle/results.ts';
import { renderTemplate } from '../oracle/template.ts';
import { runAgentChild } from './agent-child.ts';
import { dropWorktree, git } from './git.ts';

export const HEAL_RULES = `- Healable (you may change): loop/**, prompts/**, and the files of trackers/ that ORACLE.lock does not list.
- Frozen (any change is rejected): every file ORACLE.lock lists: oracle/**, heal/** (the definition of
  done, its golden cases, the supervisor, this heal pass and the tripwire) and what they import (the
  oracle's tracker read path in trackers/, the tracker simulators); ORACLE.lock, package.json, package-lock.json,
  tsconfig.json, test/**, .ci/**, dotfiles; no symlinks.
- Commit your repair on the heal branch you are on: one commit or several, any messages. Nothing may be
  left uncommitted (untracked files included): a heal worktree with uncommitted changes is rejected.
  The heal pass itself squashes your commits into ONE commit \`heal: <your summary>\` on the trusted base,
  with your summary and evidence as its body and the Heal-Run/Heal-Reason trailers it writes; you write
  no trailers. Make your summary's first line the commit subject you want.
- Two reviewers (of two vendors, when the run has them) read the squashed diff before the tripwire. Both
  must approve. They reject a change that behaves differently under conditions a check could not reach
  (paths, sizes, time, argv, environment, hostnames, temp dirs) or that weakens any check, test, gate or limit.
- Why: a heal may change how the loop works, never what counts as done. The tripwire then reruns the
  golden cases through your trackers, runs your loop against workers that do nothing or lie (a batch,
  keys and paths drawn afresh each time), typechecks and runs the unit tests. A change that makes an
  unfinished ticket look done is rejected and kept for review.`;

/** The heal reviewers' prompt: frozen, so a heal cannot soften what its reviewers are asked. */
const REVIEW_TEMPLATE = fileURLToPath(new URL('heal-review.md', import.meta.url));

export type HealPassInput = {
  checkout: string;
  stateDir: string;
  healId: string;
  run: string;
  spec: string;
  /** The run's two reviewers (`--review`), who read the heal's diff before the tripwire judges it. */
  reviewers: readonly string[];
  stopReason: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
};

/** What the heal's reviewers said; `reviewNote` when both came from one vendor. */
type Reviewed = { reviews?: HealReview[]; reviewNote?: string };

export type HealOutcome =
  | ({ kind: 'accepted'; commit: string; files: string[]; summary: string } & Reviewed)
  | ({ kind: 'rejected'; commit: string | undefined; files: string[]; reasons: string[]; summary: string; ref: string | undefined } & Reviewed)
  | { kind: 'wall'; summary: string; evidence: string };

function recentEvents(stateDir: string, count = 60): string {
  const path = join(stateDir, 'events.jsonl');
  if (!existsSync(path)) return '(no events)';
  return readFileSync(path, 'utf8').trim().split('\n').slice(-count).join('\n').slice(-30_000);
}

function journals(stateDir: string): string {
  const dir = join(stateDir, 'journal');
  if (!existsSync(dir)) return '(no journals)';
  const parts = readdirSync(dir).sort().map((name) => `## ${name}\n${readFileSync(join(dir, name), 'utf8').slice(-4_000)}`);
  return parts.length === 0 ? '(no journals)' : parts.join('\n\n');
}

/** A heal pass and what its agent cost (its CLI's report or its result's, the larger), for the batch budget. */
export async function runHealPass(input: HealPassInput): Promise<HealOutcome & { costUsd: number }> {
  const spent = { usd: 0 };
  const outcome = await healPass(input, spent);
  return { ...outcome, costUsd: spent.usd };
}

async function healPass(input: HealPassInput, spent: { usd: number }): Promise<HealOutcome> {
  const checkout = { raw: (args: readonly string[], stdin?: string) => git(input.checkout, args, input.env, stdin) };
  const base = (await checkout.raw(['rev-parse', 'HEAD'])).trim();
  const dir = join(input.stateDir, 'heal', input.healId);
  const worktree = join(dir, 'worktree');
  const branch = `nightshift/heal/${input.healId}`;
  mkdirSync(dir, { recursive: true });
  await dropWorktree(input.checkout, worktree);
  await checkout.raw(['worktree', 'add', '-B', branch, worktree, base]);
  try {
    const resultFile = join(dir, 'result.json');
    const promptFile = join(dir, 'prompt.md');
    // the heal prompt is the loop's to improve (prompts/heal.md); it is rendered here, by frozen code
    writeFileSync(promptFile, renderTemplate(readFileSync(join(input.checkout, 'prompts', 'heal.md'), 'utf8'), {
      run_id: input.run,
      stop_reason: input.stopReason,
      recent_events: recentEvents(input.stateDir),
      journals: journals(input.stateDir),
      rules: HEAL_RULES,
      result_file: resultFile,
    }, 'prompts/heal.md'));
    rmSync(resultFile, { force: true });
    const outcome = await runAgentChild({
      checkout: input.checkout, spec: input.spec, role: 'heal', startCwd: input.cwd, cwd: worktree, promptFile, resultFile,
      logFile: join(dir, 'agent.log'), outcome: join(dir, 'agent-outcome.json'), timeoutMs: input.timeoutMs,
    }, input.env);
    const parsed = readResult(resultFile, HealResult);
    spent.usd = Math.max(outcome.costUsd, parsed.kind === 'ok' ? parsed.value.cost_usd : 0);
    const commits = (await checkout.raw(['rev-list', `${base}..refs/heads/${branch}`])).trim().split('\n').filter(Boolean);
    const agentHead = commits[0];
    const files = agentHead ? await changedFiles(checkout, base, agentHead) : [];
    if (parsed.kind === 'invalid') {
      return reject(input, checkout, branch, agentHead, files, [`the heal agent gave no valid result (${parsed.problem}; agent ${outcome.kind})`], '');
    }
    const { value } = parsed;
    if (value.classification === 'wall') {
      if (agentHead) return reject(input, checkout, branch, agentHead, files, ['a wall must change nothing, but the heal branch has commits'], value.summary);
      // nothing to keep: the empty heal branch goes with its worktree
      await checkout.raw(['branch', '-D', branch]).catch(() => undefined);
      return { kind: 'wall', summary: value.summary, evidence: value.evidence };
    }
    const dirty = await uncommitted(worktree, input.env);
    if (dirty.length > 0) {
      return reject(input, checkout, branch, agentHead, files, [
        `the heal worktree has uncommitted changes (${dirty.slice(0, 10).join(', ')}${dirty.length > 10 ? ', ...' : ''}): only committed work is judged, so a heal must commit everything it needs`,
      ], value.summary);
    }
    if (!agentHead) return reject(input, checkout, branch, undefined, [], ['a gap must be repaired by a committed patch, and the heal branch has none'], value.summary);

    // Whatever the agent committed (one commit or many, any message) becomes ONE commit on the trusted
    // base, written here: nightshift's identity, a `heal:` subject and the trailers this pass vouches for.
    const tree = (await checkout.raw(['rev-parse', `${agentHead}^{tree}`])).trim();
    const message = healMessage({ summary: value.summary, evidence: value.evidence, stopReason: input.stopReason, run: input.run, commits: commits.length });
    const head = (await checkout.raw(['commit-tree', tree, '-p', base, '-F', '-'], message)).trim();
    await checkout.raw(['update-ref', `refs/heads/${branch}`, head]);

    // two reviewers (the run's --review specs) read the heal's diff before the tripwire does
    const review = await reviewHeal(input, checkout, { dir, worktree, base, head, summary: value.summary, evidence: value.evidence }, spent);
    const reviewed = { reviews: review.reviews, ...(review.note ? { reviewNote: review.note } : {}) };
    if (review.reasons.length > 0) return { ...(await reject(input, checkout, branch, head, files, review.reasons, value.summary)), ...reviewed };

    // The tripwire runs from the trusted checkout (this process's own code), never from the candidate.
    const tripwire = await execa(process.execPath, [join(input.checkout, 'heal', 'cli.ts'), 'tripwire', '--candidate', head], {
      cwd: input.checkout, reject: false, env: input.env, stdin: 'ignore', all: true,
    });
    if (tripwire.exitCode !== 0) {
      const lines = String(tripwire.all ?? '').trim().split('\n').filter((l) => l.trim() !== '');
      return { ...(await reject(input, checkout, branch, head, files, lines.length > 0 ? lines : [`tripwire exited ${tripwire.exitCode ?? 'by signal'}`], value.summary)), ...reviewed };
    }
    await checkout.raw(['merge', '--ff-only', head]);
    await checkout.raw(['branch', '-D', branch]).catch(() => undefined);
    return { kind: 'accepted', commit: head, files, summary: value.summary, ...reviewed };
  } finally {
    await dropWorktree(input.checkout, worktree);
  }
}

type Checkout = { raw: (args: readonly string[], stdin?: string) => Promise<string> };

async function changedFiles(checkout: Checkout, base: string, head: string): Promise<string[]> {
  return (await checkout.raw(['diff', '--name-only', base, head])).trim().split('\n').filter(Boolean);
}

/** Paths the heal worktree holds that are not committed (modified, staged, untracked; ignored files are not). */
async function uncommitted(worktree: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const status = await git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], env);
  return status.split('\0').filter((entry) => entry.length > 3).map((entry) => entry.slice(3));
}

function oneLine(text: string, max: number): string {
  return (text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '').replace(/\s+/g, ' ').slice(0, max).trim();
}

function trimmed(text: string, max: number): string {
  const t = text.replace(/\r/g, '').trim();
  return t.length > max ? `${t.slice(0, max).trimEnd()}\n[... ${t.length - max} more characters]` : t;
}

/**
 * The squashed heal commit's message: `heal: <summary>`, a body with the agent's summary and evidence,
 * and, alone in the last paragraph, the `Heal-Run:` and `Heal-Reason:` trailers.
 */
export function healMessage(input: { summary: string; evidence: string; stopReason: string; run: string; commits: number }): string {
  const subject = oneLine(input.summary, 100) || `repair the stop: ${oneLine(input.stopReason, 80) || 'unknown'}`;
  const body = [trimmed(input.summary, 4_000), input.evidence.trim() ? `Evidence:\n${trimmed(input.evidence, 4_000)}` : '',
    `Squashed by the heal pass from ${input.commits} commit(s) of the heal agent.`]
    .filter((p) => p !== '');
  const trailers = `Heal-Run: ${oneLine(input.run, 200) || 'unknown'}\nHeal-Reason: ${oneLine(input.stopReason, 200) || 'unknown'}`;
  return `heal: ${subject}\n\n${body.join('\n\n')}\n\n${trailers}\n`;
}

export type HealReview = { agent: string; verdict: 'approve' | 'changes' };

/** The heal's diff as the reviewers see it: the stat, then the patch, cut at `max` characters. */
async function reviewDiff(checkout: Checkout, base: string, head: string, max = 60_000): Promise<string> {
  const stat = (await checkout.raw(['diff', '--stat', base, head])).trimEnd();
  const patch = await checkout.raw(['diff', '--no-color', '--no-ext-diff', '-M', base, head]);
  const text = `${stat}\n\n${patch}`;
  return text.length > max ? `${text.slice(0, max)}\n[... the diff goes on for ${text.length - max} more characters: read it with git diff ${base}..${head}]` : text;
}

/**
 * Both of the run's reviewers read the heal (a frozen prompt, heal/heal-review.md) in its worktree;
 * an invalid result counts as "changes". Returns the verdicts and one reason per finding of a reviewer
 * that did not approve.
 */
async function reviewHeal(
  input: HealPassInput, checkout: Checkout,
  heal: { dir: string; worktree: string; base: string; head: string; summary: string; evidence: string },
  spent: { usd: number },
): Promise<{ reviews: HealReview[]; reasons: string[]; note: string | undefined }> {
  const [a, b] = input.reviewers;
  if (a === undefined || b === undefined) return { reviews: [], reasons: ['a heal needs two reviewers (the run\'s --review specs), and fewer were given'], note: undefined };
  const template = readFileSync(REVIEW_TEMPLATE, 'utf8');
  const diff = await reviewDiff(checkout, heal.base, heal.head);
  const runs = await Promise.all([a, b].map(async (spec, index) => {
    const name = `review-${index + 1}`;
    const resultFile = join(heal.dir, `${name}.json`);
    const promptFile = join(heal.dir, `${name}.md`);
    rmSync(resultFile, { force: true });
    writeFileSync(promptFile, renderTemplate(template, {
      stop_reason: trimmed(input.stopReason, 4_000),
      summary: trimmed(heal.summary, 4_000) || '(the heal agent gave no summary)',
      evidence: trimmed(heal.evidence, 4_000) || '(none)',
      base: heal.base,
      head: heal.head,
      diff,
      result_file: resultFile,
    }, 'heal/heal-review.md'));
    const outcome = await runAgentChild({
      checkout: input.checkout, spec, role: 'reviewer', startCwd: input.cwd, cwd: heal.worktree, promptFile, resultFile,
      logFile: join(heal.dir, `${name}.log`), outcome: join(heal.dir, `${name}-outcome.json`), timeoutMs: input.timeoutMs,
    }, input.env);
    const parsed = readResult(resultFile, ReviewerResult);
    spent.usd += Math.max(outcome.costUsd, parsed.kind === 'ok' ? parsed.value.cost_usd : 0);
    if (parsed.kind === 'invalid') {
      return { review: { agent: spec, verdict: 'changes' as const }, reasons: [`review by ${spec}: no valid result, counted as changes (${oneLine(parsed.problem, 300)}; agent ${outcome.kind})`] };
    }
    const { verdict, findings } = parsed.value;
    if (verdict === 'approve') return { review: { agent: spec, verdict }, reasons: [] };
    const reasons = findings.map((f) => `review by ${spec}: [${f.severity}]${f.file ? ` ${f.file}${f.line === undefined ? '' : `:${f.line}`}` : ''} ${oneLine(f.message, 500)}`);
    return { review: { agent: spec, verdict }, reasons: reasons.length > 0 ? reasons : [`review by ${spec}: asked for changes without a finding`] };
  }));
  const note = vendorOf(a) === vendorOf(b) ? `both heal reviewers come from one vendor (${vendorOf(a)}); the heal review is meant to ask two` : undefined;
  return { reviews: runs.map((r) => r.review), reasons: runs.flatMap((r) => r.reasons), note };
}

async function reject(
  input: HealPassInput,
  checkout: Checkout,
  branch: string,
  head: string | undefined,
  files: string[],
  reasons: string[],
  summary: string,
): Promise<HealOutcome> {
  let ref: string | undefined;
  if (head) {
    ref = `nightshift/rejected-heals/${input.healId}`;
    await checkout.raw(['branch', '-f', ref, head]);
  }
  await dropWorktree(input.checkout, join(input.stateDir, 'heal', input.healId, 'worktree'));
  await checkout.raw(['branch', '-D', branch]).catch(() => undefined);
  return { kind: 'rejected', commit: head, files, reasons, summary, ref };
}
