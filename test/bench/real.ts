// `npm run bench -- --real [--json] [--workers N] [--fixture real-defu] [--keep]`
// A batch on a real npm project: test/fixtures/real-<name>/ (a real repository at a base commit with
// its package-lock.json, and later upstream commits as patches and local tickets whose finish line is
// `npm test`). It builds a git repo of the base, runs the REAL CLI (`node heal/cli.ts run ...`) with a
// scripted worker that applies each ticket's upstream patch (test/bench/real-worker.mjs), two approving
// scripted reviewers and no setup configuration at all, then reports from the run's events.jsonl:
// makespan, worktree setup time (first vs cached install), finish-line and replay time against the
// bare `npm test`, agent end to ticket done, the oracle's exit code, and whether a fresh clone of the
// final target branch passes `npm ci && npm test`. Needs the npm registry for a first install.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { quote } from 'shell-quote';
import { percentile, readEventsFile, round } from './measure.ts';
import { median, realFiguresFromEvents, setupFigures, stats } from './real-figures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'heal', 'cli.ts');
const WORKER = join(ROOT, 'test', 'bench', 'real-worker.mjs');
const REVIEWER = join(ROOT, 'test', 'fixtures', 'agents', 'approve-reviewer.sh');
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures');

const IDENTITY = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };

export type RealSetup = { dir: string; repo: string; tickets: string; state: string; batch: string; keys: string[]; runArgs: string[]; env: Record<string, string> };

/**
 * The environment a person's shell would give the run: this node first on PATH (a `node` link in
 * `<dir>/bin`, so `npm` runs on it), and no `node_modules/.bin` directory nor `npm_*` variable of
 * nightshift's own `npm run` (the project's tools must come from the project's own install), and an
 * empty store of prepared environments of its own.
 */
function personEnv(dir: string): Record<string, string> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => p !== '' && !p.includes(`${sep}node_modules${sep}.bin`));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(name) && name !== 'INIT_CWD' && !name.startsWith('NIGHTSHIFT_') && !name.startsWith('VITEST')) env[name] = value;
  }
  // the store of prepared environments starts empty, so the run's first install is measured (not one
  // left by an earlier run); npm's own cache stays the host's
  return { ...env, PATH: [bin, ...path].join(delimiter), NIGHTSHIFT_CACHE_DIR: join(dir, 'env-store') };
}

/** The fixture's project as a fresh git repo (one base commit on `main`), its tickets file and `nightshift run` args. */
export async function setupRealBatch(dir: string, options: { fixture?: string; workers?: number } = {}): Promise<RealSetup> {
  const fixture = join(FIXTURES_DIR, options.fixture ?? 'real-defu');
  const repo = join(dir, 'repo');
  cpSync(join(fixture, 'project'), repo, { recursive: true });
  const git = (...args: string[]) => execa('git', args, { cwd: repo, env: IDENTITY });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  const notice = readFileSync(join(fixture, 'NOTICE'), 'utf8').split('\n').slice(0, 2).join(' ');
  await git('commit', '-q', '-m', `Base of the real-project batch\n\n${notice}`);
  const tickets = join(dir, 'tickets.json');
  const text = readFileSync(join(fixture, 'tickets.json'), 'utf8');
  writeFileSync(tickets, text);
  const keys = (JSON.parse(text) as { tickets: Array<{ key: string }> }).tickets.map((t) => t.key);
  const batch = keys.join(',');
  const state = join(dir, 'state');
  const reviewer = `command:${quote([REVIEWER])}`;
  const runArgs = [
    batch, '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--target-branch', 'main', '--state', state,
    '--agent', `command:${quote([process.execPath, WORKER, join(fixture, 'patches')])}`,
    '--review', `${reviewer},${reviewer}`, '--workers', String(options.workers ?? 2),
  ];
  return { dir, repo, tickets, state, batch, keys, runArgs, env: personEnv(dir) };
}

/** `nightshift run` as a person starts it, from `dir` (which holds no nightshift.config.json). */
export async function runRealBatch(setup: RealSetup): Promise<{ exitCode: number; ms: number }> {
  const started = Date.now();
  const result = await execa(process.execPath, [CLI, 'run', ...setup.runArgs], {
    reject: false, stdin: 'ignore', cwd: setup.dir, extendEnv: false, env: { ...setup.env, NIGHTSHIFT_VIEW: 'plain' },
    stdout: { file: join(setup.dir, 'run.log') }, stderr: { file: join(setup.dir, 'run.err') },
  });
  return { exitCode: result.exitCode ?? -1, ms: Date.now() - started };
}

/** The frozen oracle's verdict on the batch (its exit code: 0 done, 1 not done, 2 cannot tell). */
export async function askOracle(setup: RealSetup): Promise<{ exitCode: number; answer: unknown }> {
  const result = await execa(process.execPath, [CLI, 'oracle', setup.batch, '--tracker', 'local', '--tickets', setup.tickets, '--repo', setup.repo, '--target-branch', 'main', '--json'], { reject: false, cwd: setup.dir, extendEnv: false, env: setup.env });
  let answer: unknown = result.stdout;
  try {
    answer = JSON.parse(result.stdout);
  } catch { /* kept as text */ }
  return { exitCode: result.exitCode ?? -1, answer };
}

/** A fresh clone of the target branch: `npm ci`, then `npm test` `runs` times (the first says pass or fail). */
export async function checkFreshClone(setup: RealSetup, runs = 1): Promise<{ head: string; ciPassed: boolean; ciMs: number; testPassed: boolean; testMs: number[]; output: string }> {
  const clone = join(setup.dir, 'fresh-clone');
  rmSync(clone, { recursive: true, force: true });
  await execa('git', ['clone', '-q', '--branch', 'main', setup.repo, clone]);
  const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: clone })).stdout.trim();
  const options = { cwd: clone, reject: false, all: true, extendEnv: false, env: setup.env } as const;
  let started = Date.now();
  const ci = await execa('npm', ['ci', '--no-audit', '--no-fund'], options);
  const ciMs = Date.now() - started;
  if (ci.exitCode !== 0) return { head, ciPassed: false, ciMs, testPassed: false, testMs: [], output: String(ci.all).slice(-4_000) };
  const testMs: number[] = [];
  let testPassed = true;
  let output = '';
  for (let i = 0; i < runs; i++) {
    started = Date.now();
    const test = await execa('npm', ['test'], options);
    testMs.push(Date.now() - started);
    if (i === 0) {
      testPassed = test.exitCode === 0;
      output = String(test.all).slice(-4_000);
      if (!testPassed) break;
    }
  }
  return { head, ciPassed: true, ciMs, testPassed, testMs, output };
}

export async function runRealBench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      fixture: { type: 'string', default: 'real-defu' },
      keep: { type: 'boolean', default: false },
    },
  });
  const workers = Math.round(Number(values.workers));
  if (!Number.isFinite(workers) || workers <= 0) {
    process.stderr.write(`bench: --workers must be a positive number, not "${values.workers}".\n`);
    return 2;
  }
  const say = (line: string) => { if (!values.json) process.stderr.write(`bench: ${line}\n`); };
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-real-bench-'));
  const setup = await setupRealBatch(dir, { fixture: values.fixture, workers });
  const loadBefore = loadavg();
  say(`${setup.keys.length} tickets of ${values.fixture}, ${workers} workers, in ${dir}`);

  const run = await runRealBatch(setup);
  const loadAfterRun = loadavg();
  say(`run exited ${run.exitCode} after ${(run.ms / 1000).toFixed(1)} s; asking the oracle, then a fresh clone`);
  const oracle = await askOracle(setup);
  // the bare finish line: `npm test` in a prepared checkout of the final target branch, median of 3
  const fresh = await checkFreshClone(setup, 3);
  const loadAfter = loadavg();

  const events = readEventsFile(join(setup.state, 'events.jsonl'));
  const f = realFiguresFromEvents(events);
  const bareMs = median(fresh.testMs);
  const ratio = (values: readonly number[]) => (bareMs ? round(percentile(values, 50) / bareMs, 2) : null);
  const report = {
    fixture: values.fixture,
    tickets: setup.keys.length,
    workers,
    setup_configuration: 'none (no nightshift.config.json, no setup flags)',
    exit_code: run.exitCode,
    done_tickets: f.doneTickets,
    passes: f.passes,
    pass_outcomes: f.outcomes,
    makespan_s: round(run.ms / 1000, 2),
    env_store: 'fresh for this run (NIGHTSHIFT_CACHE_DIR in its temp dir); npm\'s own cache as the host has it',
    setup_per_worktree: setupFigures(f.setup),
    // independent of the setup events' names: a pass's time before its agent starts, the run's first
    // passes (one per worker, started together: the cold install) apart from the later ones
    pass_start_to_agent_start: {
      first_ms: f.startToAgentMs.slice(0, workers).map((n) => round(n)),
      later: stats(f.startToAgentMs.slice(workers)),
    },
    finish_line: { basis: 'agent-end to verify event, per pass', ...stats(f.finishLineMs), ratio_p50_to_bare: ratio(f.finishLineMs) },
    replay: { basis: 'replay-start to replay event, per landing (the replay worktree\'s setup included)', ...stats(f.replayMs), ratio_p50_to_bare: ratio(f.replayMs) },
    replay_finish_line_only: { basis: 'the same less its setup event', ...stats(f.replayTestMs), ratio_p50_to_bare: ratio(f.replayTestMs) },
    bare_npm_test_ms: { median_of_3: bareMs, runs: fresh.testMs },
    agent_end_to_done: { basis: 'agent-end to ticket-done of the landing pass', ...stats(f.agentEndToDoneMs) },
    oracle_exit_code: oracle.exitCode,
    final_branch: { head: fresh.head, fresh_clone_npm_ci_ok: fresh.ciPassed, fresh_clone_npm_ci_ms: fresh.ciMs, npm_test_ok: fresh.testPassed, ...(fresh.testPassed ? {} : { output_tail: fresh.output.slice(-1_500) }) },
    host: {
      cores: availableParallelism(),
      load_average_before: loadBefore.map((n) => round(n, 2)),
      load_average_after_run: loadAfterRun.map((n) => round(n, 2)),
      load_average_after: loadAfter.map((n) => round(n, 2)),
      node: process.version,
      npm: (await execa('npm', ['--version'], { reject: false, extendEnv: false, env: setup.env })).stdout.trim(),
    },
    dir: values.keep ? dir : undefined,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  const ok = run.exitCode === 0 && oracle.exitCode === 0 && fresh.testPassed;
  if (!ok) process.stderr.write(`bench: the batch did not reach done (run ${run.exitCode}, oracle ${oracle.exitCode}, fresh clone npm test ${fresh.testPassed ? 'passed' : 'failed'}).\n`);
  return ok ? 0 : 1;
}
