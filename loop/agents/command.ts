// `command:<argv>`: any executable speaking the protocol of DESIGN.md. The argv is split like a shell
// would (shell-quote), without running a shell; a relative program path resolves against the cwd the
// loop was started from, since the agent itself runs inside the ticket's worktree.
import { parseCommandArgv } from '../../oracle/agent-argv.ts';
import { UsageError } from '../../trackers/errors.ts';
import { AGENT_NICENESS, runProcess } from '../process/subprocess.ts';
import { agentEnvironment } from './env.ts';
import type { Agent, AgentOutcome, AgentRun } from './types.ts';
import { vendorOf } from '../../oracle/agent-argv.ts';

export function commandAgent(spec: string, argv: string[]): Agent {
  const [file, ...args] = argv;
  if (!file) throw new UsageError('bad-agent-spec', `agent spec ${spec} names no program.`);
  return {
    spec,
    // a command agent could be any model: only the very same command counts as the same vendor
    vendor: vendorOf(spec),
    async run(input: AgentRun): Promise<AgentOutcome> {
      const start = input.sandbox ? input.sandbox(file, args) : { file, args };
      const result = await runProcess({
        file: start.file,
        args: start.args,
        cwd: input.cwd,
        env: agentEnvironment(input),
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        logFile: input.logFile,
        onSpawn: input.onSpawn,
        kind: `agent:${input.role}`,
        niceness: AGENT_NICENESS,
      });
      switch (result.kind) {
        case 'exited':
          return { kind: 'finished', exitCode: result.exitCode, durationMs: result.durationMs, report: {} };
        case 'timed-out':
          return { kind: 'timed-out', durationMs: result.durationMs };
        case 'killed':
          return { kind: 'crashed', detail: `killed by ${result.signal}`, durationMs: result.durationMs };
        case 'aborted':
          return { kind: 'crashed', detail: 'aborted by the loop', durationMs: result.durationMs };
        case 'spawn-failed':
          return { kind: 'crashed', detail: result.message, durationMs: result.durationMs };
      }
    },
  };
}
