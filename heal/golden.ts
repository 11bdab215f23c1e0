// The golden-case runner: builds each case of oracle/cases/ in a temp dir (real git, a tickets file or
// a tracker simulator) and runs the ORACLE PROCESS of a given checkout (`node <checkout>/oracle/cli.ts`)
// against it, checking the exit code and that every oracle call read the tracker at least once.
// Used by the tripwire on a candidate (its trackers/ included) and by the tests on this checkout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildRepo, ticketsText } from './golden-build.ts';
import { loadCases } from './golden-case.ts';
import type { GoldenCase } from './golden-case.ts';
import { serveFifo } from './golden-fifo.ts';

export type CaseResult =
  | { kind: 'passed'; name: string; reads: number[] }
  | { kind: 'failed'; name: string; problems: string[] }
  | { kind: 'skipped'; name: string; reason: string };

export type GoldenOptions = {
  /** The checkout whose oracle process (and trackers) answer. */
  checkout: string;
  casesDir: string;
  /** Empty temp dir for the cases' worlds. */
  workDir: string;
  /** Oracle calls per case, each of which must read the tracker afresh (simulator cases make at least 2:
   *  each has its own server, so only a second call shows an answer cached between calls). */
  calls?: number;
  /**
   * Lanes run side by side; the cases of one lane take turns at ONE tickets path, so an answer cached
   * between oracle calls (keyed by path, batch or time) shows as a call that read nothing.
   */
  concurrency?: number;
};

/** What test/sim/harness.ts gives (the tracker simulators of test/sim, started in this process). */
type Harness = { env: Record<string, string>; args: string[]; requests(): number; close(): Promise<void> };
type HarnessModule = { startHarness?: (kind: 'linear' | 'jira' | 'github', options: { tickets: unknown[]; seed?: number; faults?: object }) => Promise<Harness> };

/** A small, fixed environment: nothing of the caller's (credentials, switches) reaches the oracle. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, LANG: 'C.UTF-8', TZ: 'UTC', ...extra };
}

type Tracker = { args: string[]; env: Record<string, string>; reads: () => number; close: () => Promise<void> };

async function openCaseTracker(golden: GoldenCase, file: string, merges: Map<string, string>): Promise<Tracker | { skip: string }> {
  const text = ticketsText(golden, merges);
  const tracker = golden.tracker;
  if (tracker.kind === 'local') {
    const args = ['--tracker', 'local', '--tickets', file];
    if (text === undefined) {
      await rm(file, { force: true });
      return { args, env: {}, reads: () => 0, close: async () => undefined };
    }
    const fifo = await serveFifo(file, text);
    return { args, env: {}, reads: fifo.reads, close: fifo.close };
  }
  // the trusted checkout's simulators (this file runs from the trusted checkout; they are frozen with it)
  const sim = (await import('../test/sim/harness.ts')) as HarnessModule;
  if (typeof sim.startHarness !== 'function') return { skip: 'test/sim/harness.ts does not export startHarness' };
  const seed = (JSON.parse(text ?? '{}') as { tickets: unknown[] }).tickets;
  const started = await sim.startHarness(tracker.kind, { tickets: seed, seed: 1, ...(tracker.faults ? { faults: tracker.faults } : {}) });
  return { args: started.args, env: { ...started.env, ...tracker.env }, reads: () => started.requests(), close: () => started.close() };
}

async function runCase(golden: GoldenCase, lane: string, options: GoldenOptions): Promise<CaseResult> {
  const dir = join(options.workDir, golden.name);
  // HOME, TMPDIR and the tickets path are the lane's: a cache kept there between calls shows up
  const home = join(lane, 'home');
  const tickets = join(lane, 'tickets.json');
  mkdirSync(home, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const repo = join(dir, 'repo');
  const merges = await buildRepo(golden, repo);
  const tracker = await openCaseTracker(golden, tickets, merges);
  if ('skip' in tracker) return { kind: 'skipped', name: golden.name, reason: tracker.skip };
  const problems: string[] = [];
  const reads: number[] = [];
  try {
    const calls = golden.tracker.kind === 'local' ? options.calls ?? 1 : Math.max(2, options.calls ?? 1);
    for (let call = 1; call <= calls; call++) {
      const before = tracker.reads();
      const result = await execa(process.execPath, [join(options.checkout, 'oracle', 'cli.ts'), golden.batch, ...tracker.args,
        '--repo', repo, '--target-branch', golden.targetBranch ?? golden.branch, '--json'], {
        cwd: dir, env: cleanEnv(home, tracker.env), extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore',
      });
      writeFileSync(join(dir, `oracle-${call}.log`), `exit ${result.exitCode}\n${result.stdout}\n${result.stderr}\n`);
      reads.push(tracker.reads() - before);
      if (result.exitCode !== golden.expect.exit) {
        const why = result.timedOut ? 'timed out after 60 s' : `got ${result.exitCode ?? result.signal}`;
        problems.push(`expected exit ${golden.expect.exit}, ${why} (call ${call}; ${oneLine(result.stderr || result.stdout)})`);
      }
      if ((reads.at(-1) ?? 0) < golden.expect.minReads) {
        problems.push(`oracle call ${call} read the tracker ${reads.at(-1)} times; every call must read it afresh (no cached answers)`);
      }
      if (golden.expect.satisfied && result.exitCode === golden.expect.exit) problems.push(...checkSatisfied(golden.expect.satisfied, result.stdout));
      if (problems.length > 0) break;
    }
  } finally {
    await tracker.close();
  }
  return problems.length === 0 ? { kind: 'passed', name: golden.name, reads } : { kind: 'failed', name: golden.name, problems };
}

function checkSatisfied(expected: string[], stdout: string): string[] {
  try {
    const json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { tickets: Array<{ key: string; satisfied: boolean }> };
    const got = json.tickets.filter((t) => t.satisfied).map((t) => t.key).sort();
    const want = [...expected].sort();
    return got.join(',') === want.join(',') ? [] : [`satisfied tickets are [${got.join(', ')}], expected [${want.join(', ')}]`];
  } catch {
    return ['the oracle printed no JSON verdict'];
  }
}

function oneLine(text: string): string {
  const line = text.trim().split('\n').filter(Boolean).at(-1) ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'no output';
}

/** Runs every case (case i in lane i mod lanes) and returns one result per case, in case order. */
export async function runGolden(options: GoldenOptions): Promise<CaseResult[]> {
  const cases = loadCases(options.casesDir);
  const lanes = Math.max(1, options.concurrency ?? 2);
  const results: CaseResult[] = new Array(cases.length);
  const lane = async (n: number) => {
    const dir = join(options.workDir, `lane-${n}`);
    for (let i = n; i < cases.length; i += lanes) {
      const golden = cases[i]!;
      try {
        results[i] = await runCase(golden, dir, options);
      } catch (error) {
        results[i] = { kind: 'failed', name: golden.name, problems: [`could not run: ${(error as Error).message}`] };
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, n) => lane(n)));
  return results;
}

/** One line per failed case, e.g. `golden case in-progress: expected exit 1, got 0 (...)`. */
export function describeFailures(results: readonly CaseResult[]): string[] {
  return results.flatMap((r) => (r.kind === 'failed' ? r.problems.map((p) => `golden case ${r.name}: ${p}`) : []));
}
