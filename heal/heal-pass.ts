// One heal pass: a fresh heal agent in a worktree of the nightshift checkout, given the stop reason,
// the recent events and the journals. A wall is reported with evidence; a gap must be one committed
// `heal:` patch, which the trusted checkout's tripwire judges before the checkout fast-forwards to it.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { HealResult, readResult } from '../oracle/results.ts';
import { renderTemplate } from '../oracle/template.ts';
import { runAgentChild } from './agent-child.ts';
import { dropWorktree, git } from './git.ts';

export const HEAL_RULES = `- Healable (you may change): loop/**, prompts/**, and the files of trackers/ that ORACLE.lock does not list.
- Frozen (any change is rejected): every file ORACLE.lock lists: oracle/**, heal/** (the definition of
  done, its golden cases, the supervisor, this heal pass and the tripwire) and what they import (the
  oracle's tracker read path in trackers/, the tracker simulators); ORACLE.lock, package.json, package-lock.json,
  tsconfig.json, test/**, .ci/**, dotfiles; no symlinks; nothing left uncommitted.
- Why: a heal may change how the loop works, never what counts as done. The tripwire reruns the golden
  cases through your trackers, runs your loop against workers that do nothing or lie, typechecks and runs
  the unit tests. A change that makes an unfinished ticket look done is rejected and kept for review.`;

export type HealPassInput = {
  checkout: string;
  stateDir: string;
  healId: string;
  run: string;
  spec: string;
  stopReason: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
};

export type HealOutcome =
  | { kind: 'accepted'; commit: string; files: string[]; summary: string }
  | { kind: 'rejected'; commit: string | undefined; files: string[]; reasons: string[]; summary: string; ref: string | undefined }
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
  const checkout = { raw: (args: readonly string[]) => git(input.checkout, args, input.env) };
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
    const head = commits[0];
    const files = head ? (await checkout.raw(['diff', '--name-only', base, head])).trim().split('\n').filter(Boolean) : [];
    if (parsed.kind === 'invalid') {
      return reject(input, checkout, branch, head, files, [`the heal agent gave no valid result (${parsed.problem}; agent ${outcome.kind})`], '');
    }
    const { value } = parsed;
    if (value.classification === 'wall') {
      if (head) return reject(input, checkout, branch, head, files, ['a wall must change nothing, but the heal branch has commits'], value.summary);
      return { kind: 'wall', summary: value.summary, evidence: value.evidence };
    }
    if (!head) return reject(input, checkout, branch, undefined, [], ['a gap must be repaired by a committed patch, and the heal branch has none'], value.summary);
    const message = (await checkout.raw(['log', '-1', '--format=%B', head])).trim();
    const reasons: string[] = [];
    if (!/^heal: \S/.test(message)) reasons.push('the heal commit message does not start with "heal: <summary>"');
    const trailers = (await checkout.raw(['log', '-1', '--format=%(trailers:only,unfold)', head])).trim();
    if (!/^Heal-Run: \S/m.test(trailers)) reasons.push('the heal commit has no Heal-Run: trailer');
    if (!/^Heal-Reason: \S/m.test(trailers)) reasons.push('the heal commit has no Heal-Reason: trailer');
    if (reasons.length > 0) return reject(input, checkout, branch, head, files, reasons, value.summary);

    // The tripwire runs from the trusted checkout (this process's own code), never from the candidate.
    const tripwire = await execa(process.execPath, [join(input.checkout, 'heal', 'cli.ts'), 'tripwire', '--candidate', head], {
      cwd: input.checkout, reject: false, env: input.env, stdin: 'ignore', all: true,
    });
    if (tripwire.exitCode !== 0) {
      const lines = String(tripwire.all ?? '').trim().split('\n').filter((l) => l.trim() !== '');
      return reject(input, checkout, branch, head, files, lines.length > 0 ? lines : [`tripwire exited ${tripwire.exitCode ?? 'by signal'}`], value.summary);
    }
    await checkout.raw(['merge', '--ff-only', head]);
    await checkout.raw(['branch', '-D', branch]).catch(() => undefined);
    return { kind: 'accepted', commit: head, files, summary: value.summary };
  } finally {
    await dropWorktree(input.checkout, worktree);
  }
}

async function reject(
  input: HealPassInput,
  checkout: { raw: (args: readonly string[]) => Promise<string> },
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
