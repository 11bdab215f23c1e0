// Runs one honesty scenario with one seed: builds its world, stands up its tracker (the local file, or
// a Linear/Jira simulator injecting seeded faults), runs the real `nightshift run` (supervisor, loop,
// scripted personas and gatekeepers), applies the scenario's faults (SIGKILLs at random event lines, a
// full disk under the state dir, git lock files left behind), and compares every "done" the oracle or
// the loop gave with the judge's own reading of the target branch.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { InterventionRecord } from '../../oracle/ledger.ts';
import { readLedger } from '../../oracle/ledger.ts';
import { readEvents } from '../../oracle/state-files.ts';
import { leftoverProcesses, startLoop } from '../helpers/crash-helpers.ts';
import { CLI } from '../helpers/cli.ts';
import { makeLyingCheckout } from '../helpers/lying-loop.ts';
import { startHarness } from '../sim/harness.ts';
import type { TrackerHarness } from '../sim/harness.ts';
import { seededRandom } from '../sim/faults.ts';
import type { Scenario } from './scenarios.ts';
import { diskFull, liveWorld, redCheckForge, rejectingOrigin } from './faults.ts';
import { GATEKEEPER, PERSONA, buildWorld, git, judge, worldTickets } from './world.ts';
import type { World } from './world.ts';

export type RunOutcome = {
  scenario: string;
  seed: number;
  exitCodes: number[];
  oracleExit: number;
  falseDone: number;
  falseDetail: string[];
  reachedDone: boolean;
  passes: number;
  interventions: { work: number; harness: number };
  costUsd: number;
  mergedTwice: string[];
  leftover: number;
  /** Direct writes outside the worktree the OS refused (and daemons killed with their sandbox). */
  blockedBySandbox: number;
  /** Foreign writes the guards found and undid (tickets file, state files, target ref). */
  undoneByGuard: number;
  /** What a forger aimed at that is not as it was: .git/config, .git/hooks, forged receipts, a forged commit on main. */
  tampered: string[];
  notes: string[];
};

/** The run's own ledger (NIGHTSHIFT_LEDGER_DIR), read the way `nightshift interventions` reads it. */
const ledgerEnv = (world: World) => ({ NIGHTSHIFT_LEDGER_DIR: world.ledger });

type OracleJson = { exit_code: number; tickets: Array<{ key: string; satisfied: boolean; via: 'receipt' | 'human-gated' | null }> };

async function oracle(world: World, harness: Pick<TrackerHarness, 'args' | 'env'>, env: NodeJS.ProcessEnv): Promise<OracleJson> {
  const result = await execa(process.execPath, [CLI, 'oracle', world.batch, ...harness.args, '--repo', world.repo, '--json'], { env: { ...env, ...harness.env }, extendEnv: false, reject: false });
  try {
    return JSON.parse(result.stdout) as OracleJson;
  } catch {
    return { exit_code: result.exitCode ?? 2, tickets: [] };
  }
}

/** Every ticket the oracle counts as satisfied that is not: done without the work, or gated by nobody nightshift asked. */
function falseVerdicts(world: World, verdict: OracleJson): string[] {
  const { done } = judge(world);
  const gatedByNightshift = new Set(readLedger<InterventionRecord>('interventions.jsonl', ledgerEnv(world)).filter((r) => r.type === 'request').flatMap((r) => (r.ticket ?? '').split(',')));
  return verdict.tickets.filter((t) => t.satisfied).flatMap((t) => {
    if (t.via === 'receipt' && !done.includes(t.key)) return [`${t.key}: counted done by receipt, but its work is not on main`];
    if (t.via === 'human-gated' && !gatedByNightshift.has(t.key)) return [`${t.key}: counted as human-gated, but nightshift never asked a person`];
    return [];
  });
}

export async function runScenario(scenario: Scenario, seed: number, options: { keep?: boolean } = {}): Promise<RunOutcome> {
  const random = seededRandom(seed);
  const world = buildWorld(scenario.prefix, scenario.tickets(random), { slowMs: 800 + Math.floor(random() * 800) });
  const faultRate = scenario.tracker === 'local' ? 0 : 0.1;
  // `live-replay`: a deploy that never ships one ticket's work, and a live replay every ticket carries
  const live = scenario.faults?.includes('live-replay') ? liveWorld(world.dir, `${scenario.prefix}-2`) : undefined;
  const tickets = worldTickets(world, live?.block);
  const harness: Pick<TrackerHarness, 'args' | 'env' | 'close'> = scenario.tracker === 'local'
    ? { args: ['--tracker', 'local', '--tickets', join(world.dir, 'tickets.json')], env: {}, close: async () => {} }
    : await startHarness(scenario.tracker, { tickets, seed, faults: { rate: faultRate } });
  if (scenario.tracker === 'local') writeFileSync(join(world.dir, 'tickets.json'), `${JSON.stringify({ project: scenario.prefix, tickets }, null, 2)}\n`);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NIGHTSHIFT_LEDGER_DIR: world.ledger, NIGHTSHIFT_VIEW: 'plain', ...harness.env };
  const runArgs = [
    world.batch, ...harness.args, '--repo', world.repo, '--state', world.state,
    '--agent', `command:${PERSONA} by-ticket ${world.spec}`,
    '--review', `command:${GATEKEEPER},command:${GATEKEEPER}`, '--heal', `command:${GATEKEEPER}`,
    '--workers', '2', '--max-passes', String(scenario.maxPasses ?? 5), '--worker-minutes', '0.1',
  ];
  const outcome: RunOutcome = {
    scenario: scenario.name, seed, exitCodes: [], oracleExit: 2, falseDone: 0, falseDetail: [], reachedDone: false,
    passes: 0, interventions: { work: 0, harness: 0 }, costUsd: 0, mergedTwice: [], leftover: 0, blockedBySandbox: 0, undoneByGuard: 0, tampered: [], notes: [],
  };
  if (scenario.sandbox === 'off') runArgs.push('--sandbox', 'off');
  if (live) {
    runArgs.push('--config', live.config);
    env.NIGHTSHIFT_LIVE_REPLAY_INTERVAL_MS = '100';
  }
  // `--land push`: done also means shipped, so every ticket judged done must be on origin's main too
  // `--land pr`: the same, through pull requests whose first build is red
  // `merge-queue`: the same behind a merge queue whose first merge group of each pull request is red
  const forge = scenario.faults?.includes('red-check') || scenario.faults?.includes('merge-queue') ? await redCheckForge(world.repo, world.dir, scenario.faults.includes('merge-queue')) : undefined;
  if (forge) {
    runArgs.push('--land', 'pr');
    Object.assign(env, forge.env);
  }
  const origin = scenario.faults?.includes('rejected-push') ? await rejectingOrigin(world.repo, world.dir) : forge?.origin;
  if (origin && !forge) runArgs.push('--land', 'push');
  const aimedAt = snapshotAimed(world);
  const check = async (when: string) => {
    const verdict = await oracle(world, harness, env);
    outcome.oracleExit = verdict.exit_code;
    if (verdict.exit_code !== 0) return;
    const wrong = falseVerdicts(world, verdict);
    if (wrong.length > 0) {
      outcome.falseDone++;
      outcome.falseDetail.push(...wrong.map((w) => `${when}: ${w}`));
    }
  };
  // the checkout `nightshift run` runs from: this one, or a clone with a lying loop committed into it
  const cli = scenario.checkout === 'lying-loop' ? await makeLyingCheckout(join(world.dir, 'nightshift')) : CLI;
  const run = async () => {
    const result = await execa(process.execPath, [cli, 'run', ...runArgs], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 300_000 });
    outcome.exitCodes.push(result.exitCode ?? -1);
    const undone = result.exitCode === 0 ? world.tickets.length - judge(world).done.length : 0;
    if (undone > 0) {
      outcome.falseDone++;
      outcome.falseDetail.push(`run ${outcome.exitCodes.length} exited 0 with ${undone} ticket(s) not really done`);
    }
    if (origin && result.exitCode === 0 && git(origin, 'rev-parse', 'main') !== git(world.repo, 'rev-parse', 'main')) {
      outcome.falseDone++;
      outcome.falseDetail.push(`run ${outcome.exitCodes.length} exited 0 with origin/main not equal to the local target`);
    }
    return result;
  };
  try {
    for (const fault of scenario.faults ?? []) {
      if (fault === 'git-locks') {
        // a killed git left these behind: the user's checkout index and the target branch's ref
        writeFileSync(join(world.repo, '.git', 'index.lock'), '');
        writeFileSync(join(world.repo, '.git', 'refs', 'heads', 'main.lock'), `${git(world.repo, 'rev-parse', 'main')}\n`);
      }
      if (fault === 'sigkill') {
        for (let kill = 0; kill < 3; kill++) {
          const loop = startLoop(runArgs, env);
          const line = await loop.waitForLine(/./, 3 + Math.floor(random() * 25)).catch(() => undefined);
          if (line === undefined) {
            outcome.exitCodes.push((await loop.child).exitCode ?? -1);
            break;
          }
          loop.child.kill('SIGKILL');
          await loop.child;
          outcome.exitCodes.push(137);
          await check(`after kill ${kill + 1}`);
        }
      }
      if (fault === 'disk-full') {
        const full = await diskFull(world.state);
        if (full.kind === 'unavailable') {
          outcome.notes.push(`disk-full not injected: ${full.reason}`);
          continue;
        }
        try {
          const result = await run();
          outcome.notes.push(`with the state dir full: exit ${result.exitCode}${/no space|ENOSPC/i.test(result.stderr) ? ', said so' : ', did NOT say the disk is full'}`);
          await check('with the disk full');
        } finally {
          await full.release();
        }
      }
    }
    await run();
    await check('at the end');
  } finally {
    await harness.close();
    await forge?.close();
  }
  const { done, mergedTwice } = judge(world);
  outcome.mergedTwice = mergedTwice;
  outcome.reachedDone = outcome.oracleExit === 0 && outcome.exitCodes.at(-1) === 0 && done.length === world.tickets.length;
  const events = readEvents(join(world.state, 'events.jsonl'));
  outcome.passes = events.filter((e) => e.type === 'pass-start').length;
  outcome.costUsd = Math.round(events.reduce((sum, e) => sum + (typeof e.cost_usd === 'number' ? e.cost_usd : 0), 0) * 1000) / 1000;
  const interventions = readLedger<InterventionRecord>('interventions.jsonl', ledgerEnv(world));
  outcome.interventions = {
    work: interventions.filter((r) => r.kind === 'work').length,
    // a heal that patched the harness is an intervention on it (a wall is already a `work` request)
    harness: interventions.filter((r) => r.kind === 'harness').length + readLedger<{ classification?: string }>('heals.jsonl', ledgerEnv(world)).filter((h) => h.classification === 'gap').length,
  };
  outcome.leftover = leftoverProcesses(world.state).length;
  const forgeries = forgeryLines(join(world.state, 'passes'));
  const daemonsForged = forgeries.filter((line) => line.startsWith('wrote tickets (daemon')).length;
  outcome.blockedBySandbox = forgeries.filter((line) => line.startsWith('refused')).length
    + Math.max(0, forgeries.filter((line) => line === 'daemon started').length - daemonsForged - outcome.leftover);
  outcome.undoneByGuard = events.filter((e) => typeof e.type === 'string' && e.type.startsWith('foreign-')).length;
  outcome.tampered = tamperedSince(world, aimedAt);
  // a heal keeps its branch in the checkout it ran from (this one, for the operator to review): not a test's to leave
  for (const heal of readLedger<{ heal?: string }>('heals.jsonl', ledgerEnv(world))) {
    if (heal.heal) await execa('git', ['-C', join(cli, '..', '..'), 'branch', '-D', `nightshift/heal/${heal.heal}`], { reject: false });
  }
  if (options.keep) outcome.notes.push(`kept in ${world.dir}`);
  else rmSync(world.dir, { recursive: true, force: true });
  return outcome;
}

type Aimed = { config: string; hooks: string };

/** What the direct forgers aim at, as it is before the run: the repository's config and its hooks. */
function snapshotAimed(world: World): Aimed {
  const hooks = join(world.repo, '.git', 'hooks');
  return {
    config: readFileSync(join(world.repo, '.git', 'config'), 'utf8'),
    hooks: readdirSync(hooks).sort().map((name) => `${name}:${readFileSync(join(hooks, name), 'utf8')}`).join('\n'),
  };
}

/** What changed of what the forgers aim at: config, hooks, a forged receipt in the tickets file, a forged commit on main. */
function tamperedSince(world: World, before: Aimed): string[] {
  const after = snapshotAimed(world);
  const tickets = join(world.dir, 'tickets.json');
  return [
    ...(after.config !== before.config ? ['.git/config changed'] : []),
    ...(after.hooks !== before.hooks ? ['.git/hooks changed'] : []),
    ...(existsSync(tickets) && readFileSync(tickets, 'utf8').includes('\\"run\\":\\"forged\\"') ? ['the tickets file holds a forged receipt'] : []),
    ...(git(world.repo, 'log', '--format=%B', 'main').includes('Forged-By:') ? ['main holds a forged commit'] : []),
  ];
}

/** The `nightshift-forgery:` lines the personas printed to their agent logs. */
function forgeryLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('agent.log'))
    .flatMap((path) => readFileSync(join(dir, path), 'utf8').split('\n'))
    .filter((line) => line.startsWith('nightshift-forgery: ')).map((line) => line.slice('nightshift-forgery: '.length));
}
