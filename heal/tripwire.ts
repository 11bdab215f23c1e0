// `nightshift tripwire --candidate <DIR|REV> [--json]`: judges a heal from the trusted checkout (this
// one, never the candidate's code doing the judging). Checks, cheapest first, stopping at the first that
// fails: paths (the path and environment rules), lock (ORACLE.lock hashes), typecheck, golden (the
// golden cases through the candidate's trackers, every oracle call reading the tracker), loop (lying
// workers never make a ticket done, on a batch and paths drawn from a seed the verdict reports), unit (the fast suite, started beside typecheck once the cheap checks pass). Exit 0 accept, 1 reject, 2 usage error.
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../trackers/errors.ts';
import { computeClosure } from './closure.ts';
import { describeFailures, runGolden } from './golden.ts';
import { compareLock, computeLock, readLock } from './lock.ts';
import { descendsFromBase, exportTree, lendNodeModules, readBlobs, readTree, resolveCandidate, uncommittedState } from './tripwire-candidate.ts';
import type { Candidate, Tree } from './tripwire-candidate.ts';
import { checkLoop, drawLoopCheck } from './tripwire-loop.ts';
import { HEALABLE, changedPaths, envRule, pathRule } from './tripwire-rules.ts';
import { checkTypes, checkUnitSuite } from './tripwire-suite.ts';

export const CHECKS = ['paths', 'lock', 'typecheck', 'golden', 'loop', 'unit'] as const;
export type CheckName = (typeof CHECKS)[number];
export type Reason = { check: CheckName; message: string };
export type CheckRun = { name: CheckName; result: 'passed' | 'failed' | 'not-run'; ms: number };

export type TripwireVerdict = {
  verdict: 'accept' | 'reject';
  candidate: string;
  head: string;
  base: string;
  /** The loop check's seed: `--seed` with it replays the same batch, keys, kinds and paths. */
  seed: number;
  /** What the seed drew for the loop check (the batch and where the repo and the tickets file were). */
  loop: { batch: string; repo: string; tickets: string };
  reasons: Reason[];
  checks: CheckRun[];
  /** Golden cases skipped with their reason (e.g. a tracker simulator not built yet). */
  skipped: Array<{ case: string; reason: string }>;
  ms: number;
};

export const TRIPWIRE_USAGE = `usage: nightshift tripwire --candidate <DIR|REV> [--seed N] [--json]
       nightshift tripwire --check-lock

Judges a heal from this (trusted) checkout. DIR is a checkout whose history descends from this HEAD
(a clone or worktree; it needs no node_modules), REV a commit of this repo. The loop check runs the
candidate's loop on a batch drawn afresh each verdict (size, keys, workers, paths); the verdict prints
its seed, and --seed N replays that draw. Exit 0 accept, 1 reject (one line per reason), 2 usage error.`;

/** The largest seed (seeds are 32-bit). */
const MAX_SEED = 2 ** 32 - 1;

type Context = { trusted: string; candidate: Candidate; work: string; exported: string; seed: number; skipped: TripwireVerdict['skipped'] };

async function checkPaths(ctx: Context): Promise<string[]> {
  const { candidate, trusted } = ctx;
  if (!(await descendsFromBase(candidate))) return [`the candidate ${candidate.head.slice(0, 12)} does not descend from the trusted HEAD ${candidate.base.slice(0, 12)}`];
  const reasons = candidate.kind === 'dir' ? await uncommittedState(candidate.repo) : [];
  const base = await readTree(trusted, candidate.base);
  const head = await readTree(candidate.repo, candidate.head);
  reasons.push(...pathRule(base, head, new Set(computeClosure(trusted).files)));
  reasons.push(...envRule(await healableChanges(ctx, base, head)));
  return reasons;
}

async function healableChanges(ctx: Context, base: Tree, head: Tree): Promise<Array<{ path: string; before: string; after: string }>> {
  const paths = changedPaths(base, head).filter((p) => (HEALABLE as readonly string[]).includes(p.split('/')[0] ?? '') && head.get(p)?.mode.startsWith('100'));
  const before = await readBlobs(ctx.trusted, paths.flatMap((p) => (base.get(p)?.mode.startsWith('100') ? [base.get(p)!.id] : [])));
  const after = await readBlobs(ctx.candidate.repo, paths.map((p) => head.get(p)!.id));
  return paths.map((path) => ({
    path,
    before: before.get(base.get(path)?.id ?? '')?.toString('utf8') ?? '',
    after: after.get(head.get(path)!.id)?.toString('utf8') ?? '',
  }));
}

async function checkLock(ctx: Context): Promise<string[]> {
  await exportTree(ctx.candidate.repo, await readTree(ctx.candidate.repo, ctx.candidate.head), ctx.exported);
  lendNodeModules(ctx.trusted, ctx.exported);
  return compareLock(readLock(ctx.trusted), computeLock(ctx.exported));
}

async function checkGolden(ctx: Context): Promise<string[]> {
  const results = await runGolden({ checkout: ctx.exported, casesDir: join(ctx.trusted, 'oracle', 'cases'), workDir: join(ctx.work, 'golden') });
  for (const r of results) if (r.kind === 'skipped') ctx.skipped.push({ case: r.name, reason: r.reason });
  return describeFailures(results);
}

const RUNNERS: Record<CheckName, (ctx: Context) => Promise<string[]>> = {
  paths: checkPaths,
  lock: checkLock,
  typecheck: (ctx) => checkTypes({ trusted: ctx.trusted, candidate: ctx.exported, home: join(ctx.work, 'home') }),
  golden: checkGolden,
  loop: (ctx) => checkLoop({ trusted: ctx.trusted, candidate: ctx.exported, work: join(ctx.work, 'loop'), seed: ctx.seed }),
  unit: (ctx) => checkUnitSuite({ trusted: ctx.trusted, candidate: ctx.exported, home: join(ctx.work, 'home-unit') }),
};

/**
 * Judges a candidate. `checks` narrows the verdict to the first checks (the corpus tests give every heal
 * `paths` and `lock`); `lock` and later checks need the export that `lock` makes.
 */
export async function judgeCandidate(input: { trusted: string; spec: string; cwd: string; checks?: readonly CheckName[]; keep?: boolean; seed?: number }): Promise<TripwireVerdict> {
  const started = Date.now();
  const seed = input.seed ?? randomInt(0, MAX_SEED);
  const draw = drawLoopCheck(seed);
  const candidate = await resolveCandidate(input.trusted, input.spec, input.cwd);
  const work = mkdtempSync(join(tmpdir(), 'nightshift-tripwire-'));
  for (const home of ['home', 'home-unit']) mkdirSync(join(work, home));
  const ctx: Context = { trusted: input.trusted, candidate, work, exported: join(work, 'candidate'), seed, skipped: [] };
  const wanted = input.checks ?? CHECKS;
  const reasons: Reason[] = [];
  const checks: CheckRun[] = [];
  // the unit suite (the longest check) starts beside typecheck, golden and loop once the cheap checks
  // pass; it is cancelled and reported as not run if one of them fails first
  const cancelUnit = new AbortController();
  let unit: Promise<{ found: string[]; ms: number }> | undefined;
  const run = async (name: CheckName): Promise<string[]> => {
    try {
      return await (name === 'unit' ? checkUnitSuite({ trusted: ctx.trusted, candidate: ctx.exported, home: join(ctx.work, 'home-unit'), signal: cancelUnit.signal }) : RUNNERS[name](ctx));
    } catch (error) {
      return [`could not run: ${(error as Error).message.split('\n')[0]}`];
    }
  };
  try {
    for (const name of CHECKS) {
      if (!wanted.includes(name) || reasons.length > 0) {
        checks.push({ name, result: 'not-run', ms: 0 });
        continue;
      }
      if (name === 'typecheck' && wanted.includes('unit')) {
        const t = Date.now();
        unit = run('unit').then((found) => ({ found, ms: Date.now() - t }));
      }
      const t = Date.now();
      const found = name === 'unit' && unit ? (await unit).found : await run(name);
      const ms = name === 'unit' && unit ? (await unit).ms : Date.now() - t;
      reasons.push(...found.map((message) => ({ check: name, message })));
      checks.push({ name, result: found.length > 0 ? 'failed' : 'passed', ms });
    }
  } finally {
    cancelUnit.abort();
    await unit?.catch(() => undefined);
    if (!input.keep) rmSync(work, { recursive: true, force: true });
  }
  return {
    verdict: reasons.length > 0 ? 'reject' : 'accept', candidate: input.spec, head: candidate.head, base: candidate.base,
    seed, loop: { batch: draw.batch, repo: draw.repo, tickets: draw.ticketsFile }, reasons, checks, skipped: ctx.skipped, ms: Date.now() - started,
  };
}

export async function runTripwireCommand(argv: string[], io: { stdout: (t: string) => void; stderr: (t: string) => void; cwd: string }, root: string): Promise<number> {
  const trusted = resolve(root);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { candidate: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${TRIPWIRE_USAGE}`);
  }
  if (values.help) {
    io.stdout(`${TRIPWIRE_USAGE}\n`);
    return 0;
  }
  if (!values.candidate) throw new UsageError('bad-flag', `--candidate <DIR|REV> is required.\n\n${TRIPWIRE_USAGE}`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || !Number.isSafeInteger(seed) || seed > MAX_SEED) throw new UsageError('bad-flag', `--seed takes a whole number from 0 to ${MAX_SEED}, got "${values.seed}".\n\n${TRIPWIRE_USAGE}`);
  }
  const verdict = await judgeCandidate({ trusted, spec: values.candidate, cwd: io.cwd, keep: values.keep, seed });
  if (values.json) {
    io.stdout(`${JSON.stringify(verdict)}\n`);
  } else if (verdict.verdict === 'accept') {
    const skipped = verdict.skipped.length > 0 ? `; ${verdict.skipped.length} golden cases skipped: ${[...new Set(verdict.skipped.map((s) => s.reason))].join('; ')}` : '';
    io.stdout(`tripwire: ACCEPT ${verdict.candidate} (${verdict.head.slice(0, 12)} on ${verdict.base.slice(0, 12)}): ${verdict.checks.map((c) => `${c.name} ${(c.ms / 1000).toFixed(1)}s`).join(', ')}; loop check seed ${verdict.seed} (${verdict.loop.batch})${skipped}\n`);
  } else {
    const loopRan = verdict.checks.some((c) => c.name === 'loop' && c.result !== 'not-run');
    for (const reason of verdict.reasons) io.stdout(`${reason.check}: ${reason.message}\n`);
    io.stderr(`tripwire: REJECT ${verdict.candidate} (${verdict.head.slice(0, 12)} on ${verdict.base.slice(0, 12)}): ${verdict.reasons.length} reason(s) from the ${verdict.reasons[0]?.check} check${loopRan ? `; loop check seed ${verdict.seed} on ${verdict.loop.batch} (replay with --seed ${verdict.seed})` : ''}\n`);
  }
  return verdict.verdict === 'accept' ? 0 : 1;
}
