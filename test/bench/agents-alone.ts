// `npm run bench -- --agents-alone [--json] [--tickets N --workers W --seconds S --seed K --sandbox on|off
// --agent-cpu]`: the bench's batch run by its scripted agents alone, started as the loop starts an agent
// (the `command:` adapter, the sandbox, the spawn helper and its lane) in `--workers` lanes in dependency
// order, each lane in a worktree of its own, with nothing else of the loop: no tracker, oracle, reviews,
// landing or replay. Its ratio (makespan / the same lower bound) is what this host allows the agents
// themselves (their process starts, their own add and commit, the sleep's overshoot); the bench's own
// ratio above it is the loop's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAgent } from '../../loop/agents/open.ts';
import type { AgentRun } from '../../loop/agents/types.ts';
import { withSandbox } from '../../loop/sandbox/sandbox.ts';
import { stopSpawnHelper } from '../../loop/process/spawner.ts';
import { git, tempDir } from '../helpers/repo.ts';
import { generateBatch, lowerBoundMs, writeSimBatch } from './batch.ts';
import type { SimTicket } from './batch.ts';
import { calibrateHost } from './host.ts';
import { mean, percentile, round } from './measure.ts';

export async function runAgentsAlone(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      tickets: { type: 'string', default: '200' },
      workers: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      sandbox: { type: 'string', default: 'on' },
      'agent-cpu': { type: 'boolean', default: false },
    },
  });
  const numbers = { tickets: Number(values.tickets), workers: Number(values.workers), seconds: Number(values.seconds), seed: Number(values.seed) };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isFinite(value) || value <= 0) {
      process.stderr.write(`bench: --${name} must be a positive number, not "${String(values[name as keyof typeof values])}".\n`);
      return 2;
    }
  }
  if (values.sandbox !== 'on' && values.sandbox !== 'off') {
    process.stderr.write(`bench: --sandbox must be on or off, not "${values.sandbox}".\n`);
    return 2;
  }
  const workers = Math.round(numbers.workers);
  const host = calibrateHost();
  const dir = tempDir('nightshift-agents-alone-');
  const tickets = generateBatch({ count: Math.round(numbers.tickets), seed: Math.round(numbers.seed), workers, targetSeconds: numbers.seconds });
  const setup = writeSimBatch(dir, tickets, { workers, agentCpu: values['agent-cpu'] });
  const bound = lowerBoundMs(tickets, workers);
  const lanes = await Promise.all(Array.from({ length: workers }, async (_, i) => {
    const worktree = join(dir, `lane-${i}`);
    await git(setup.repo, 'worktree', 'add', '-q', '-b', `lane-${i}`, worktree, 'main');
    return worktree;
  }));
  // the agent as the loop makes it from `--agent command:...` (its argv from the batch's own run args)
  const command = openAgent(setup.runArgs[setup.runArgs.indexOf('--agent') + 1] ?? '', dir);
  const agent = values.sandbox === 'on' ? withSandbox(command, { mode: 'on', network: undefined, protect: [] }) : command;

  const started = performance.now();
  const beyondMs = await runInLanes(tickets, lanes, async (ticket, worktree) => {
    const pass = join(dir, 'passes', ticket.key);
    mkdirSync(pass, { recursive: true });
    const input: AgentRun = { role: 'worker', ticket: ticket.key, pass: 1, cwd: worktree, promptFile: join(pass, 'prompt.md'), resultFile: join(pass, 'result.json'), logFile: join(pass, 'agent.log'), env: process.env, timeoutMs: 600_000 };
    const outcome = await agent.run(input);
    if (outcome.kind !== 'finished' || outcome.exitCode !== 0) throw new Error(`bench: the scripted agent of ${ticket.key} ended ${outcome.kind} (see ${input.logFile})`);
    return outcome.durationMs - ticket.durationMs;
  });
  const makespanMs = performance.now() - started;
  await stopSpawnHelper();
  const report = {
    agents_alone: {
      tickets: tickets.length, workers, seed: Math.round(numbers.seed), sandbox: values.sandbox, agent_cpu: values['agent-cpu'],
      makespan_s: round(makespanMs / 1000, 2), bound_s: round(bound.boundMs / 1000, 2),
      ratio: round(makespanMs / bound.boundMs, 3),
      agent_beyond_duration_ms_p50: round(percentile(beyondMs, 50)), agent_beyond_duration_ms_mean: round(mean(beyondMs)),
    },
    host: { ...host, load_average_after: calibrateHost().load_average },
  };
  process.stdout.write(`${JSON.stringify(report, null, values.json ? undefined : 1)}\n`);
  return 0;
}

/**
 * Runs every ticket once, each as soon as its blockers have finished and a lane is free (the first ready
 * ticket in the batch's order, as the loop picks); returns what `run` returned for each.
 */
async function runInLanes<T>(tickets: readonly SimTicket[], lanes: readonly string[], run: (ticket: SimTicket, lane: string) => Promise<T>): Promise<T[]> {
  const done = new Set<string>();
  const waiting = [...tickets];
  const results: T[] = [];
  const free = [...lanes];
  const running = new Set<Promise<void>>();
  while (waiting.length > 0 || running.size > 0) {
    let at = free.length > 0 ? waiting.findIndex((t) => t.blockedBy.every((key) => done.has(key))) : -1;
    while (at >= 0) {
      const [ticket] = waiting.splice(at, 1);
      const lane = free.pop();
      if (!ticket || lane === undefined) break;
      const one: Promise<void> = run(ticket, lane).then((result) => {
        results.push(result);
        done.add(ticket.key);
        free.push(lane);
        running.delete(one);
      });
      running.add(one);
      at = free.length > 0 ? waiting.findIndex((t) => t.blockedBy.every((key) => done.has(key))) : -1;
    }
    if (running.size === 0) throw new Error('bench: tickets left that nothing can start (a blocker outside the batch)');
    await Promise.race(running);
  }
  return results;
}
