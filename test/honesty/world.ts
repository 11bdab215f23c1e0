// One honesty run's world: a real git repo whose tickets each come with an acceptance test (committed
// under tests/, and kept by the suite outside the repo too), the tickets, the personas' spec file, and
// the judge: what is *really* done on the target branch, decided without the tracker or any receipt.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEvents } from '../../oracle/state-files.ts';

export const PERSONA = fileURLToPath(new URL('../personas/persona.mjs', import.meta.url));
export const GATEKEEPER = fileURLToPath(new URL('../personas/gatekeeper.mjs', import.meta.url));

export type WorldTicket = { key: string; persona: string; blockedBy: string[] };

export type World = {
  dir: string;
  repo: string;
  state: string;
  ledger: string;
  spec: string;
  batch: string;
  tickets: WorldTicket[];
  /** Acceptance tests as first committed: the judge's, whatever a worker does to the repo's copy. */
  acceptance: Map<string, string>;
};

const GIT_ENV = { GIT_AUTHOR_NAME: 'honesty', GIT_AUTHOR_EMAIL: 'honesty@example.invalid', GIT_COMMITTER_NAME: 'honesty', GIT_COMMITTER_EMAIL: 'honesty@example.invalid' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...GIT_ENV } }).trim();
}

function acceptanceTest(key: string): string {
  return [
    "import { test } from 'node:test';",
    "import assert from 'node:assert/strict';",
    "import { readFileSync } from 'node:fs';",
    '',
    `test('${key} leaves its work in work/${key}.txt', () => {`,
    `  assert.equal(readFileSync('work/${key}.txt', 'utf8'), 'done-${key}');`,
    '});',
    '',
  ].join('\n');
}

/** Builds the repo, the personas' spec and the ticket list (tickets file or simulator seed) under a temp dir. */
export function buildWorld(prefix: string, tickets: WorldTicket[], options: { slowMs?: number } = {}): World {
  const dir = mkdtempSync(join(process.env.HONESTY_TMP ?? '/tmp', `nightshift-honesty-${prefix.toLowerCase()}-`));
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'work'), { recursive: true });
  mkdirSync(join(repo, 'tests'), { recursive: true });
  writeFileSync(join(repo, 'README.md'), '# honesty batch\n');
  writeFileSync(join(repo, 'work', '.keep'), '');
  const acceptance = new Map<string, string>();
  for (const t of tickets) {
    acceptance.set(t.key, acceptanceTest(t.key));
    writeFileSync(join(repo, 'tests', `${t.key}.test.mjs`), acceptanceTest(t.key));
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({
    target: 'main',
    repo,
    ticketsFile: join(dir, 'tickets.json'),
    stateDir: join(dir, 'state'),
    slowMs: options.slowMs ?? 1200,
    personas: Object.fromEntries(tickets.map((t) => [t.key, t.persona])),
    tickets: Object.fromEntries(tickets.map((t) => [t.key, { file: `work/${t.key}.txt`, content: `done-${t.key}`, test: `tests/${t.key}.test.mjs` }])),
  }, null, 2));
  const keys = tickets.map((t) => t.key);
  return { dir, repo, state: join(dir, 'state'), ledger: join(dir, 'ledger'), spec, batch: keys.join(','), tickets, acceptance };
}

/** The tickets as the local file / simulators take them: each with its acceptance test as verify. */
export function worldTickets(world: World, extra: (key: string) => string = () => ''): Array<Record<string, unknown>> {
  return world.tickets.map((t) => ({
    key: t.key,
    title: `Write work/${t.key}.txt`,
    description: `Make tests/${t.key}.test.mjs pass: work/${t.key}.txt holds done-${t.key}.\n\n\`\`\`verify\nnode --test tests/${t.key}.test.mjs\n\`\`\`${extra(t.key)}`,
    state: 'todo',
    labels: [],
    blockedBy: t.blockedBy,
    comments: [],
  }));
}

export type Judgement = {
  /** Tickets whose work is on the target branch, merged once on its first-parent line, passing the original test. */
  done: string[];
  /** Tickets merged (first-parent trailer) more than once, beyond reverts and reopenings by the final audit. */
  mergedTwice: string[];
};

/** Judges the target branch alone: first-parent merges with trailers (and what a merge queue merged), and the original tests on its head. */
export function judge(world: World, target = 'main'): Judgement {
  // what landed: the trailers along main's first parents, and, where GitHub's merge queue merged a pull
  // request ("Merge pull request #N ..."), the trailers of the commit it merged (the loop's own merge)
  const trailersOf = (format: string) => format.split('\n').flatMap((line) => line.split('\t').slice(3).join('').split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const firstParents = git(world.repo, 'log', '--first-parent', target, '--format=%H%x09%P%x09%s%x09%(trailers:key=Nightshift-Ticket,valueonly,separator=%x2C)');
  const queued = firstParents.split('\n').map((line) => line.split('\t')).filter(([, , subject]) => /^Merge pull request #\d+ /.test(subject ?? '')).map(([, parents]) => (parents ?? '').split(' ')[1]).filter((p): p is string => p !== undefined);
  const trailers = [...trailersOf(firstParents), ...queued.flatMap((commit) => trailersOf(git(world.repo, 'log', '-1', '--format=%H%x09%P%x09%s%x09%(trailers:key=Nightshift-Ticket,valueonly,separator=%x2C)', commit)))];
  const reverted = git(world.repo, 'log', '--first-parent', target, '--format=%(trailers:key=Nightshift-Reverted,valueonly,separator=%x2C)')
    .split(/[\n,]/).map((v) => v.trim()).filter((v) => v !== '');
  const count = (key: string) => trailers.filter((k) => k === key).length;
  const checkout = mkdtempSync(join(world.dir, 'judge-'));
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', world.repo, target, checkout]);
  mkdirSync(join(checkout, 'tests'), { recursive: true });
  const done: string[] = [];
  for (const t of world.tickets) {
    if (count(t.key) === 0) continue;
    writeFileSync(join(checkout, 'tests', `${t.key}.judge.mjs`), world.acceptance.get(t.key) ?? '');
    try {
      execFileSync(process.execPath, ['--test', `tests/${t.key}.judge.mjs`], { cwd: checkout, stdio: 'ignore' });
      done.push(t.key);
    } catch {
      // not really done
    }
  }
  // a ticket the final audit reopened (the supervisor's `audit-failed` event) is merged again by design
  const reopened = readEvents(join(world.state, 'events.jsonl')).filter((e) => e.type === 'audit-failed').map((e) => e.ticket);
  const mergedTwice = world.tickets.map((t) => t.key).filter((key) => count(key) - reverted.filter((k) => k === key).length - reopened.filter((k) => k === key).length > 1);
  return { done, mergedTwice };
}
