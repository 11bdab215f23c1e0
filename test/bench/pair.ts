// Two helpers of the bench: CPU per ticket by kind of process, and `--pair REV`, which runs another
// revision's loop on the same batch alternately with this checkout's (A, B, A, B, ...) so that both
// meet the same host, and reports each run, the medians and the ratios B / A. The other revision is a
// detached worktree of this repository sharing this checkout's node_modules (a revision whose
// dependencies differ is measured with these).
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { percentile } from './measure.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOOP_MAIN = join(ROOT, 'loop', 'main.ts');

type ProcessCpu = Record<string, { count: number; cpu_ms: number }>;

/** A --pair that cannot run (no such revision): exit 2, the message says what to give. */
export class PairError extends Error {}

/**
 * CPU per ticket (ms) and commands per ticket, by kind: the long-lived processes as sampled
 * (`loop_self`, `oracle`, `spawn_helper`), each kind of command the spawn helper ran, and
 * `unattributed`: the tree's CPU that neither accounts for.
 */
export function cpuByKindPerTicket(sampledS: Record<string, number>, processCpu: ProcessCpu | undefined, treeCpuS: number, tickets: number) {
  const cpuMs: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let known = 0;
  for (const [kind, seconds] of Object.entries(sampledS)) {
    cpuMs[kind] = Math.round((seconds * 1000) / tickets);
    known += seconds * 1000;
  }
  const kinds = Object.entries(processCpu ?? {}).sort(([, a], [, b]) => b.cpu_ms - a.cpu_ms);
  for (const [kind, { count, cpu_ms }] of kinds) {
    cpuMs[kind] = Math.round(cpu_ms / tickets);
    counts[kind] = Number((count / tickets).toFixed(2));
    known += cpu_ms;
  }
  cpuMs.unattributed = Math.max(0, Math.round((treeCpuS * 1000 - known) / tickets));
  return { cpuMs, counts: processCpu ? counts : null };
}

/** The figures compared between the two revisions (lower is better for each). */
const COMPARED = ['ratio', 'ratio_to_agent_spans', 'agent_start_exit_ms_p50', 'overhead_ms_p50', 'pickup_ms_p95', 'loop_cpu_ms_per_ticket', 'peak_rss_mb', 'harness_peak_pss_mb'] as const;

const medianOrNull = (values: number[]): number | null => (values.length > 0 ? percentile(values, 50) : null);

async function revOf(ref: string): Promise<string> {
  const result = await execa('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { reject: false });
  if (result.exitCode !== 0 || !result.stdout.trim()) throw new PairError(`bench: --pair ${ref}: no such revision in ${ROOT} (give a commit id, branch or tag).`);
  return result.stdout.trim();
}

export async function runPaired(input: {
  rev: string;
  runs: number;
  run: (loopMain: string) => Promise<{ report: Record<string, unknown>; exitCode: number | null }>;
}): Promise<{ report: Record<string, unknown>; exitCode: number }> {
  const b = await revOf(input.rev);
  const a = (await execa('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
  const dirty = (await execa('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== '';
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-pair-'));
  const checkout = join(dir, 'checkout');
  await execa('git', ['-C', ROOT, 'worktree', 'add', '--detach', '--quiet', checkout, b]);
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const otherMain = join(checkout, 'loop', 'main.ts');
    if (!existsSync(otherMain)) throw new PairError(`bench: --pair ${input.rev}: that revision has no loop/main.ts to run.`);
    const runsA: Record<string, unknown>[] = [];
    const runsB: Record<string, unknown>[] = [];
    let exitCode = 0;
    for (let i = 0; i < input.runs; i++) {
      for (const [main, runs] of [[LOOP_MAIN, runsA], [otherMain, runsB]] as const) {
        const { report, exitCode: code } = await input.run(main);
        runs.push(report);
        if (code !== 0) exitCode = 1;
      }
    }
    const summary: Record<string, { a: number | null; b: number | null; b_over_a: number | null }> = {};
    for (const figure of COMPARED) {
      const ma = medianOrNull(runsA.map((r) => Number(r[figure])).filter(Number.isFinite));
      const mb = medianOrNull(runsB.map((r) => Number(r[figure])).filter(Number.isFinite));
      summary[figure] = { a: ma, b: mb, b_over_a: ma && mb !== null ? Number((mb / ma).toFixed(3)) : null };
    }
    return {
      report: { pair: { a: { rev: a.slice(0, 12), working_tree_changes: dirty, runs: runsA }, b: { rev: b.slice(0, 12), runs: runsB } }, order: 'a, b alternately', medians: summary },
      exitCode,
    };
  } finally {
    await execa('git', ['-C', ROOT, 'worktree', 'remove', '--force', checkout], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  }
}
