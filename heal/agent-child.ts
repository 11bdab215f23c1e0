// One agent run for frozen code (the heal agent, a heal's reviewers), in a child process from the
// loop's own entry (`loop/main.ts agent JOB.json`): the adapters are the loop's code, so they never run
// inside the frozen process. What the agent wrote to its result file is read and validated by the caller.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';

export type AgentChildJob = {
  /** The nightshift checkout whose loop runs the agent. */
  checkout: string;
  spec: string;
  role: 'heal' | 'reviewer';
  startCwd: string;
  cwd: string;
  promptFile: string;
  resultFile: string;
  logFile: string;
  /** Where the child writes how the agent ended (kind, vendor, cost its CLI reported). */
  outcome: string;
  timeoutMs: number;
};

const Outcome = z.object({ kind: z.string(), vendor: z.string(), cost_usd: z.number().nonnegative() });

export type AgentChildOutcome = { kind: string; vendor: string | undefined; costUsd: number };

export async function runAgentChild(job: AgentChildJob, env: NodeJS.ProcessEnv): Promise<AgentChildOutcome> {
  const { checkout, ...rest } = job;
  const jobFile = `${job.outcome}.job.json`;
  writeFileSync(jobFile, JSON.stringify({ ...rest, pass: 1 }));
  writeFileSync(job.outcome, '');
  const child = await execa(process.execPath, [join(checkout, 'loop', 'main.ts'), 'agent', jobFile], {
    cwd: job.startCwd, env, reject: false, stdin: 'ignore', all: true,
    // the agent's own limit is the job's; the child gets a minute more to report before it is killed
    timeout: job.timeoutMs + 60_000,
  });
  let parsed: z.infer<typeof Outcome> | undefined;
  try {
    parsed = Outcome.parse(JSON.parse(readFileSync(job.outcome, 'utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed) return { kind: `the agent runner failed (exit ${child.exitCode ?? child.signal}): ${String(child.all ?? '').trim().split('\n').at(-1)?.slice(0, 300) ?? ''}`, vendor: undefined, costUsd: 0 };
  return { kind: parsed.kind, vendor: parsed.vendor, costUsd: parsed.cost_usd };
}
