// `npm run bench -- --agents-alone [--json] [--tickets N --workers W --seconds S --seed K --sandbox on|off
// --agent-cpu]`: the bench's batch run by its scripted agents alone, started as the loop starts an agent
// (the `command:` adapter, the sandbox, the spawn helper and its lane) in `--workers` lanes in dependency
// order, each agent in a worktree of its own while it runs (its lane goes to the next agent when its
// processes are gone, as the loop's slot does), with nothing else of the loop: no tracker, oracle,
// reviews, landing or replay. Its ratio (makespan / the same lower bound) is what this host allows the agents
// themselves (their process starts, their own add and commit, the sleep's overshoot); the bench's own
// ratio above it is the loop's.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAgent } from '../../loop/agents/open.ts';
import type { AgentRun } from '../../loop/agents/types.ts';
import { withSandbox } from '../../loop/sandbox/sandbox.ts';
import { stopSpawnHelper } from '../../loop/process/spawner.ts';
import { git, tempDir } from '../helpers/repo.ts';
import { BATCH_OPTIONS, generateBatch, lowerBoundMs, positive, writeSimBatch } from './batch.ts';
import type { SimTicket } from './batch.ts';
import { calibrateHost } from './host.ts';
import { mean, percentile, round } from './measure.ts';

export async function runAgentsAlone(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: BATCH_OPTIONS });
  const numbers = { tickets: positive('tickets', values.tickets), workers: positive('workers', values.workers), seconds: positive('seconds', values.seconds), seed: positive('seed', values.seed) };
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
  // worktrees on branches of their own, each for one agent at a time, its hand-back included: a lane's
  // next agent may start before that ends, so there can be more of them than lanes
  const idle: string[] = [];
  let made = 0;
  const makeWorktree = async (): Promise<string> => {
    const worktree = join(dir, `worktree-${made}`);
    await git(setup.repo, 'worktree', 'add', '-q', '-b', `alone-${made++}`, worktree, 'main');
    return worktree;
  };
  for (let i = 0; i < workers; i++) idle.push(await makeWorktree());
  // the agent as the loop makes it from `--agent command:...` (its argv from the batch's own run args)
  const command = openAgent(setup.runArgs[setup.runArgs.indexOf('--agent') + 1] ?? '', dir);
  const agent = values.sandbox === 'on' ? withSandbox(command, { mode: 'on', network: undefined, protect: [] }) : command;

  const started = performance.now();
  const beyondMs = await runInLanes(tickets, workers, async (ticket, exited) => {
    const worktree = idle.pop() ?? await makeWorktree();
    const pass = join(dir, 'passes', ticket.key);
    mkdirSync(pass, { recursive: true });
    // as the loop does, the lane goes to the next agent once this one's processes are gone (the sandbox
    // hands its branch back meanwhile); a dependent waits for the whole run
    const input: AgentRun = { role: 'worker', ticket: ticket.key, pass: 1, cwd: worktree, promptFile: join(pass, 'prompt.md'), resultFile: join(pass, 'result.json'), logFile: join(pass, 'agent.log'), env: process.env, timeoutMs: 600_000, onExit: exited };
    const outcome = await agent.run(input);
    idle.push(worktree);
    if (outcome.kind !== 'finished' || outcome.exitCode !== 0) throw new Error(`bench: the scripted agent of ${ticket.key} ended ${outcome.kind} (see ${input.logFile})`);
    return outcome.durationMs - ticket.durationMs;
  });
  const makespanMs = performance.now() - started;
  await stopSpawnHelper();
  rmSync(dir, { recursive: true, force: true });
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
 * ticket in the batch's order, as the loop picks); returns what `run` returned for each. A run frees its
 * lane when it calls `exited` (or ends).
 */
async function runInLanes<T>(tickets: readonly SimTicket[], lanes: number, run: (ticket: SimTicket, exited: () => void) => Promise<T>): Promise<T[]> {
  const done = new Set<string>();
  const waiting = [...tickets];
  const results: T[] = [];
  let free = lanes;
  const running = new Set<Promise<void>>();
  /** Settled when a lane comes free or a run ends. */
  let wake: () => void = () => undefined;
  while (waiting.length > 0 || running.size > 0) {
    let at = free > 0 ? waiting.findIndex((t) => t.blockedBy.every((key) => done.has(key))) : -1;
    while (at >= 0) {
      const [ticket] = waiting.splice(at, 1);
      if (!ticket) break;
      free--;
      let freed = false;
      const exited = () => {
        if (freed) return;
        freed = true;
        free++;
        wake();
      };
      const one: Promise<void> = run(ticket, exited).then((result) => {
        results.push(result);
        done.add(ticket.key);
        exited();
        running.delete(one);
        wake();
      });
      running.add(one);
      at = free > 0 ? waiting.findIndex((t) => t.blockedBy.every((key) => done.has(key))) : -1;
    }
    if (running.size === 0) throw new Error('bench: tickets left that nothing can start (a blocker outside the batch)');
    await Promise.race([...running, new Promise<void>((resolve) => { wake = resolve; })]);
  }
  return results;
}
