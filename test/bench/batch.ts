// A simulated batch for the benchmark and the crash tests: chains, fan-ins and independent tickets with
// agent durations from a seeded distribution, written out as a real git repo, a local tickets file and
// the durations file the sleep agent reads. Also the lower bound of the makespan for that batch.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../sim/faults.ts';

export const AGENTS_DIR = fileURLToPath(new URL('../fixtures/agents/', import.meta.url));

export type SimTicket = { key: string; blockedBy: string[]; durationMs: number; labels: string[] };

/** The bench's flags that shape the batch and its agents, for `parseArgs` (bench.ts and its modes). */
export const BATCH_OPTIONS = {
  json: { type: 'boolean', default: false },
  tickets: { type: 'string', default: '200' },
  workers: { type: 'string', default: '4' },
  seconds: { type: 'string', default: '60' },
  seed: { type: 'string', default: '1' },
  'agent-cpu': { type: 'boolean', default: false },
  // the agents' OS sandbox (the loop's default is on); off measures the harness without it
  sandbox: { type: 'string', default: 'on' },
} as const;

/** A flag's number, or exit 2 saying what it must be. */
export function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`bench: --${name} must be a positive number, not "${text}".\n`);
    process.exit(2);
  }
  return value;
}

/** The same seeded PRNG (mulberry32) the simulators use, so a batch replays from its seed. */
export const seeded = seededRandom;

/**
 * `count` tickets: about 40% independent, 35% in chains of 2 to 6, 25% in fan-ins (3 to 5 tickets
 * that all block one). Durations are log-normal (sigma 0.5) around 1, clipped to [0.25, 3], then
 * scaled so that the total work spread over `workers` takes `targetSeconds`.
 */
export function generateBatch(input: { count: number; seed: number; workers: number; targetSeconds: number; prefix?: string }): SimTicket[] {
  const random = seeded(input.seed);
  const prefix = input.prefix ?? 'BENCH';
  const tickets: SimTicket[] = [];
  const add = (blockedBy: string[]): string => {
    const key = `${prefix}-${tickets.length + 1}`;
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    tickets.push({ key, blockedBy, durationMs: Math.min(3, Math.max(0.25, Math.exp(0.5 * normal))), labels: [] });
    return key;
  };
  while (tickets.length < input.count) {
    const left = input.count - tickets.length;
    const shape = random();
    if (shape < 0.4 || left < 3) {
      add([]);
    } else if (shape < 0.75) {
      let previous: string | undefined;
      for (let i = 0, length = Math.min(left, 2 + Math.floor(random() * 5)); i < length; i++) previous = add(previous ? [previous] : []);
    } else {
      const sources = Math.min(left - 1, 3 + Math.floor(random() * 3));
      const keys = Array.from({ length: sources }, () => add([]));
      add(keys);
    }
  }
  const total = tickets.reduce((sum, t) => sum + t.durationMs, 0);
  const scale = (input.targetSeconds * 1_000 * input.workers) / total;
  for (const t of tickets) t.durationMs = Math.round(t.durationMs * scale);
  return tickets;
}

/** max(critical path, total work / workers), in ms, from the agents' durations alone. */
export function lowerBoundMs(tickets: readonly SimTicket[], workers: number): { boundMs: number; criticalPathMs: number; totalWorkMs: number } {
  const byKey = new Map(tickets.map((t) => [t.key, t]));
  const finish = new Map<string, number>();
  const finishOf = (key: string): number => {
    const known = finish.get(key);
    if (known !== undefined) return known;
    const t = byKey.get(key);
    if (!t) return 0;
    const value = t.durationMs + Math.max(0, ...t.blockedBy.map(finishOf));
    finish.set(key, value);
    return value;
  };
  const criticalPathMs = Math.max(0, ...tickets.map((t) => finishOf(t.key)));
  const totalWorkMs = tickets.reduce((sum, t) => sum + t.durationMs, 0);
  return { boundMs: Math.max(criticalPathMs, totalWorkMs / workers), criticalPathMs, totalWorkMs };
}

export type SimSetup = { dir: string; repo: string; tickets: string; durations: string; state: string; batch: string; runArgs: string[] };

/** Writes the repo, the tickets file and the durations file under `dir`; returns `nightshift run` args. */
export function writeSimBatch(dir: string, tickets: readonly SimTicket[], options: { workers: number; maxPasses?: number; costUsd?: number; budgetUsd?: number; prefix?: string; /** Agents spin on a core for their duration instead of sleeping. */ agentCpu?: boolean }): SimSetup {
  const prefix = options.prefix ?? 'BENCH';
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'work'), { recursive: true });
  writeFileSync(join(repo, 'README.md'), '# simulated batch\n');
  writeFileSync(join(repo, 'work', '.keep'), '');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  const ticketsFile = join(dir, 'tickets.json');
  writeFileSync(ticketsFile, `${JSON.stringify({
    project: prefix,
    tickets: tickets.map((t) => ({
      key: t.key, title: `Simulated work ${t.key}`, description: `Write work/${t.key}.txt.\n\n\`\`\`verify\ntest -f work/${t.key}.txt\n\`\`\``,
      state: 'todo', labels: t.labels, blockedBy: t.blockedBy, comments: [],
    })),
  }, null, 1)}\n`);
  const durations = join(dir, 'durations.txt');
  writeFileSync(durations, tickets.map((t) => `${t.key} ${t.durationMs}\n`).join(''));
  const state = join(dir, 'state');
  const batch = `${prefix}-1..${prefix}-${tickets.length}`;
  const reviewer = `command:${AGENTS_DIR}approve-reviewer.sh`;
  const runArgs = [
    batch, '--tracker', 'local', '--tickets', ticketsFile, '--repo', repo, '--state', state,
    '--agent', `command:${AGENTS_DIR}sleep-agent.sh ${durations} ${options.costUsd ?? 0}${options.agentCpu ? ' cpu' : ''}`,
    '--review', `${reviewer},${reviewer}`, '--workers', String(options.workers), '--max-passes', String(options.maxPasses ?? 3),
    ...(options.budgetUsd !== undefined ? ['--budget-usd', String(options.budgetUsd)] : []),
  ];
  return { dir, repo, tickets: ticketsFile, durations, state, batch, runArgs };
}
