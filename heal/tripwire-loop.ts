// Check 4 of the tripwire: the candidate's loop (`node <candidate>/loop/main.ts run`) on a small batch,
// with scripted workers that do nothing, lie, or pass only in their own dirty worktree, and reviewers that
// approve everything. Afterwards no ticket may be in done, the loop may not have exited 0, and the TRUSTED
// oracle process must say "not done".
//
// The batch cannot be predicted: every verdict draws (from a seed it reports, so `nightshift tripwire
// --seed N` replays it) the number of tickets (3 to 6), the key prefix, the ticket numbers (with gaps),
// which scripted worker each ticket gets (each kind at least once), the files the tickets ask for, and
// where everything lives: a fake HOME with a realistic layout inside the check's work dir, the repo as a
// project under it (`~/src/app`, a path with spaces, ...) or beside it, the tickets file in another
// directory, the temp dir, the state dir (or the loop's default under HOME), the scripted agents' copies
// and the order of the flags.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { quote } from 'shell-quote';
import { cleanEnv } from './golden.ts';
// the simulators' seeded PRNG (frozen with the golden check that starts them): one draw per seed
import { seededRandom } from '../test/sim/faults.ts';

export type WorkerKind = 'idle' | 'liar' | 'dirty';
export const WORKER_KINDS: readonly WorkerKind[] = ['idle', 'liar', 'dirty'];

/** One drawn loop check; every path is relative to the check's work dir. */
export type LoopDraw = {
  seed: number;
  prefix: string;
  /** The batch argument, e.g. `QX-41..QX-43,QX-47`. */
  batch: string;
  tickets: Array<{ key: string; kind: WorkerKind; file: string; title: string }>;
  user: string;
  home: string;
  repo: string;
  ticketsFile: string;
  tmp: string;
  /** undefined: no --state flag (the loop's default under HOME). */
  state: string | undefined;
  /** Where the loop is started from. */
  cwd: 'home' | 'repo' | 'tickets';
  /** Where the copies of the scripted worker and reviewer go. */
  agents: string;
  workers: number;
  /** Flag order after the batch (a permutation of the flag names). */
  flags: string[];
};

const USERS = ['alice', 'sam', 'jlee', 'dev', 'mkowalski', 'priya', 'runner', 'build', 'o.ng', 'tomas'];
const PROJECTS = ['app', 'api', 'web', 'billing-service', 'shop', 'backend', 'monorepo', 'site', 'platform', 'ingest'];
const WORDS = ['export', 'search', 'invoice', 'login', 'avatar', 'report', 'webhook', 'cache', 'filter', 'audit', 'theme', 'upload'];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const FLAGS = ['tracker', 'tickets', 'repo', 'agent', 'review', 'max-passes', 'workers', 'worker-minutes', 'state'];

/** Draws a loop check from `seed` (a pure function: the same seed gives the same check). */
export function drawLoopCheck(seed: number): LoopDraw {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };

  let prefix = 'LOOP';
  while (prefix === 'LOOP') prefix = Array.from({ length: int(2, 5) }, () => pick([...LETTERS])).join('');
  const count = int(3, 6);
  const start = pick([int(1, 9), int(10, 99), int(100, 999), int(1000, 9999)]);
  const numbers = [start];
  while (numbers.length < count) numbers.push(numbers.at(-1)! + (random() < 0.35 ? int(2, 9) : 1));
  const kinds = shuffle([...WORKER_KINDS, ...Array.from({ length: count - WORKER_KINDS.length }, () => pick(WORKER_KINDS))]);
  const tickets = numbers.map((n, i) => {
    const word = pick(WORDS);
    return {
      key: `${prefix}-${n}`,
      kind: kinds[i]!,
      file: `${pick(['', 'src/', 'docs/', 'lib/'])}${word}-${n}.txt`,
      title: `${pick(['Add', 'Support', 'Ship', 'Wire up'])} ${word} ${pick(['for admins', 'in the API', 'v2', 'on mobile', ''])}`.trim(),
    };
  });

  const user = pick(USERS);
  const project = pick(PROJECTS);
  const home = pick([`home/${user}`, `Users/${user[0]!.toUpperCase()}${user.slice(1)}`, `var/lib/${user}`]);
  const repo = pick([
    `${home}/src/${project}`,
    `${home}/My Projects/${project}`,
    `${home}/code/${pick(['acme', 'work', 'oss'])}/${project}`,
    `${home}/client work/${project} (${int(2023, 2026)})`,
    `srv/git/${project}`,
    `opt/builds/${user}/${project}`,
  ]);
  const ticketsFile = pick([
    `${home}/Documents/tickets/${project}-sprint-${int(1, 40)}.json`,
    `${home}/.config/${project}/tickets.json`,
    `${home}/Downloads/export (${int(1, 9)}).json`,
    `data/trackers/${prefix.toLowerCase()}.json`,
    `${home}/notes/${prefix} backlog.json`,
  ]);
  const tmp = pick([`${home}/tmp`, `var/tmp/${user}`, `tmp`, `${home}/.cache/tmp`]);
  const state = pick([undefined, `${home}/.local/state/runs/${int(1, 999)}`, `${home}/${project}-state`]);
  const agents = pick([`${home}/.local/bin`, `${home}/bin/agents`, `usr/local/lib/${pick(['coder', 'agentd', 'helper'])}`]);
  const batch = batchSpec(prefix, numbers, random);
  return {
    seed, prefix, batch, tickets, user, home, repo, ticketsFile, tmp, state, cwd: pick(['home', 'repo', 'tickets']), agents,
    workers: int(2, 3), flags: shuffle(FLAGS),
  };
}

/** The batch argument for `numbers`: runs as ranges or lists (drawn), gaps as comma items. */
function batchSpec(prefix: string, numbers: number[], random: () => number): string {
  const items: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    if (j > i && random() < 0.75) items.push(`${prefix}-${numbers[i]}..${prefix}-${numbers[j]}`);
    else for (let k = i; k <= j; k++) items.push(`${prefix}-${numbers[k]}`);
    i = j + 1;
  }
  return items.join(',');
}

async function git(repo: string, ...args: string[]): Promise<void> {
  await execa('git', ['-C', repo, ...args], {
    stdin: 'ignore',
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'tripwire', GIT_AUTHOR_EMAIL: 'tripwire@localhost', GIT_COMMITTER_NAME: 'tripwire', GIT_COMMITTER_EMAIL: 'tripwire@localhost' },
  });
}

function ticket(t: LoopDraw['tickets'][number]) {
  return {
    key: t.key,
    title: t.title,
    description: `Create ${t.file} and commit it.\n\n\`\`\`verify\ntest -f ${t.file}\n\`\`\``,
    state: 'todo', labels: [], blockedBy: [], comments: [],
  };
}

type Laid = { home: string; repo: string; tickets: string; tmp: string; state: string | undefined; cwd: string; worker: string; reviewer: string };

async function setup(trusted: string, work: string, draw: LoopDraw): Promise<Laid> {
  const at = (rel: string) => join(work, rel);
  const home = at(draw.home);
  const repo = at(draw.repo);
  const tickets = at(draw.ticketsFile);
  for (const dir of [home, repo, dirname(tickets), at(draw.tmp), at(draw.agents)]) mkdirSync(dir, { recursive: true });
  await git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), `# ${draw.repo.split('/').at(-1)}\n`);
  await git(repo, 'add', 'README.md');
  await git(repo, 'commit', '-q', '-m', 'initial');
  writeFileSync(tickets, `${JSON.stringify({ project: draw.prefix, tickets: draw.tickets.map(ticket) }, null, 2)}\n`);
  // the scripted agents (frozen, in the trusted checkout) are copied to where an installed agent would
  // live; the worker reads which kind each ticket gets from a plan beside it
  const agents = join(trusted, 'oracle', 'cases', 'agents');
  const worker = join(at(draw.agents), 'agent.mjs');
  const reviewer = join(at(draw.agents), 'review.mjs');
  copyFileSync(join(agents, 'worker.mjs'), worker);
  copyFileSync(join(agents, 'reviewer.mjs'), reviewer);
  const plan = join(at(draw.agents), 'agent.json');
  writeFileSync(plan, `${JSON.stringify(Object.fromEntries(draw.tickets.map((t) => [t.key, { kind: t.kind, file: t.file }])))}\n`);
  const cwd = draw.cwd === 'home' ? home : draw.cwd === 'repo' ? repo : dirname(tickets);
  return {
    home, repo, tickets, tmp: at(draw.tmp), state: draw.state === undefined ? undefined : at(draw.state), cwd,
    worker: `command:${quote([process.execPath, worker, plan])}`,
    reviewer: `command:${quote([process.execPath, reviewer])}`,
  };
}

/** Runs the candidate's loop against the scripted agents on the batch `seed` draws; one reason per broken promise. */
export async function checkLoop(input: { trusted: string; candidate: string; work: string; seed: number; timeoutMs?: number }): Promise<string[]> {
  const { trusted, candidate, work } = input;
  const draw = drawLoopCheck(input.seed);
  const laid = await setup(trusted, work, draw);
  const values: Record<string, string | undefined> = {
    tracker: 'local', tickets: laid.tickets, repo: laid.repo, agent: laid.worker, review: `${laid.reviewer},${laid.reviewer}`,
    'max-passes': '2', workers: String(draw.workers), 'worker-minutes': '1', state: laid.state,
  };
  const flags = draw.flags.flatMap((name) => (values[name] === undefined ? [] : [`--${name}`, values[name]!]));
  const env = cleanEnv(laid.home, { TMPDIR: laid.tmp, USER: draw.user, LOGNAME: draw.user });
  const about = `on ${draw.batch} (loop check seed ${draw.seed}; replay with --seed ${draw.seed})`;
  const timeoutMs = input.timeoutMs ?? 180_000;
  const run = await execa(process.execPath, [join(candidate, 'loop', 'main.ts'), 'run', draw.batch, ...flags], {
    cwd: laid.cwd, env, extendEnv: false, reject: false, stdin: 'ignore', timeout: timeoutMs, all: true,
  });
  writeFileSync(join(work, 'loop.log'), `seed ${draw.seed}\n${JSON.stringify(draw)}\nexit ${run.exitCode}\n${run.all ?? ''}\n`);
  const reasons: string[] = [];
  if (run.timedOut) reasons.push(`the candidate's loop did not stop within ${Math.round(timeoutMs / 1000)} s ${about}`);
  else if (run.exitCode === 0) reasons.push(`the candidate's loop exited 0 (done) although no worker did its ticket's work, ${about}`);
  else if (run.exitCode !== 1) reasons.push(`the candidate's loop exited ${run.exitCode ?? run.signal} where a batch of undone work must end "not done" (exit 1), ${about}: ${lastLine(run.all ?? '')}`);
  try {
    const file = JSON.parse(readFileSync(laid.tickets, 'utf8')) as { tickets: Array<{ key: string; state: string }> };
    for (const t of file.tickets) if (t.state === 'done') reasons.push(`the candidate's loop moved ${t.key} to done although its worker did not do the work, ${about}`);
  } catch (error) {
    reasons.push(`the tickets file is no longer readable after the candidate's loop ${about}: ${(error as Error).message}`);
  }
  mkdirSync(join(work, 'oracle-home'), { recursive: true });
  const oracle = await execa(process.execPath, [join(trusted, 'oracle', 'cli.ts'), draw.batch, '--tracker', 'local', '--tickets', laid.tickets, '--repo', laid.repo, '--target-branch', 'main'], {
    cwd: work, env: cleanEnv(join(work, 'oracle-home')), extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000,
  });
  if (oracle.exitCode !== 1) reasons.push(`after the candidate's loop the trusted oracle exits ${oracle.exitCode ?? oracle.signal} (expected 1, not done) ${about}: ${lastLine(oracle.stdout + oracle.stderr)}`);
  return reasons;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200) ?? 'no output';
}
