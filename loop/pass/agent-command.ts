// `node loop/main.ts agent JOB.json`: one agent run for frozen code (the heal pass and its reviewers),
// which may not load the agent adapters into its own process. The job names the spec, the role, the
// worktree, the prompt already rendered to a file, the result file and the log; the outcome (how the
// agent ended and what its CLI reported it cost) is written to the job's `outcome` file. The result file
// itself is read and validated by the caller. The agent runs in the same bubblewrap sandbox as a
// worker's (its network by its adapter's default) whenever bubblewrap works here, unless
// NIGHTSHIFT_SANDBOX=off; the heal branch it commits is taken back into the checkout after its run.
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError, formatZodIssues } from '../../trackers/errors.ts';
import { openAgent } from '../agents/open.ts';
import { probeBwrap } from '../sandbox/bwrap.ts';
import { withSandbox } from '../sandbox/sandbox.ts';
import { extraWritable } from '../sandbox/open.ts';

const AgentJob = z.strictObject({
  spec: z.string().min(1),
  role: z.enum(['heal', 'reviewer']),
  pass: z.number().int().min(1).default(1),
  /** Where relative `command:` programs resolve (the directory nightshift was started from). */
  startCwd: z.string(),
  cwd: z.string(),
  promptFile: z.string(),
  resultFile: z.string(),
  logFile: z.string(),
  outcome: z.string(),
  timeoutMs: z.number().int().positive(),
});

type Io = { stderr: (text: string) => void; env: NodeJS.ProcessEnv };

export async function runAgentCommand(argv: string[], io: Io): Promise<number> {
  const [file] = argv;
  if (!file) throw new UsageError('bad-flag', 'usage: node loop/main.ts agent JOB.json');
  const parsed = AgentJob.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new UsageError('bad-agent-job', `agent job ${file} is invalid:\n${formatZodIssues(parsed.error.issues)}`);
  const job = parsed.data;
  const unsandboxed = openAgent(job.spec, job.startCwd);
  const off = io.env.NIGHTSHIFT_SANDBOX === 'off' || (await probeBwrap(io.env)) !== undefined;
  if (off) io.stderr(`nightshift: the ${job.role} agent runs without the OS sandbox (${io.env.NIGHTSHIFT_SANDBOX === 'off' ? 'NIGHTSHIFT_SANDBOX=off' : 'bubblewrap cannot run here'})\n`);
  const agent = off ? unsandboxed : withSandbox(unsandboxed, { mode: 'on', network: undefined, protect: [job.startCwd], writable: extraWritable(io.env) });
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  const outcome = await agent.run({
    role: job.role, pass: job.pass, cwd: job.cwd, promptFile: job.promptFile, resultFile: job.resultFile, logFile: job.logFile,
    env: io.env, timeoutMs: job.timeoutMs, signal: controller.signal,
  });
  const costUsd = outcome.kind === 'finished' ? outcome.report.costUsd ?? 0 : 0;
  writeFileSync(job.outcome, `${JSON.stringify({ kind: outcome.kind, vendor: agent.vendor, cost_usd: costUsd })}\n`);
  return 0;
}
