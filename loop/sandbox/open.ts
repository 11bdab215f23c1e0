// The run's sandbox, decided once at the start: with `--sandbox on` (the default) bubblewrap must work
// here, or the run stops before anything starts (exit 2, naming the package to install); with
// `--sandbox off` agents run unconfined and the run says so (a `sandbox-off` event, shown in the live
// view, the summary and the report).
import { resolve, sep } from 'node:path';
import type { RunOptions } from '../../oracle/run-options.ts';
import { UsageError } from '../../trackers/errors.ts';
import type { Agent } from '../agents/types.ts';
import { missingBwrapMessage, probeBwrap } from './bwrap.ts';
import { withSandbox } from './sandbox.ts';

/** What `run-start` records about the sandbox. */
export type SandboxEvent = { mode: 'bwrap' | 'off'; network: string; detail: string };

export type RunSandbox = {
  wrap: (agent: Agent) => Agent;
  event: SandboxEvent;
  /**
   * Whether no agent can write the repository outside its worktree: bubblewrap is on and no extra
   * writable path (NIGHTSHIFT_SANDBOX_WRITABLE) overlaps the repository. Then the refs and the main
   * checkout need no snapshot before and after each pass (loop/safety/outside.ts): they are read-only.
   */
  confinesRepo: boolean;
};

export const SANDBOX_OFF_WARNING = 'agents run without the OS sandbox (--sandbox off): an agent can write anywhere this user can (the shared .git, the tickets file, other branches); only the guards watch and undo';

export async function openSandbox(options: Pick<RunOptions, 'sandbox' | 'agentNetwork' | 'repo' | 'cwd' | 'tickets'>, env: NodeJS.ProcessEnv): Promise<RunSandbox> {
  if (options.sandbox === 'off') return { wrap: (agent) => agent, event: { mode: 'off', network: 'host', detail: SANDBOX_OFF_WARNING }, confinesRepo: false };
  const problem = await probeBwrap(env);
  if (problem) throw new UsageError('sandbox-unavailable', missingBwrapMessage(problem));
  const protect = [options.repo, options.cwd];
  const writable = extraWritable(env);
  return {
    wrap: (agent) => withSandbox(agent, { mode: 'on', network: options.agentNetwork, protect, writable }),
    event: { mode: 'bwrap', network: options.agentNetwork ?? 'host (model CLIs), none (command: agents)', detail: 'every agent in bubblewrap: writable only its worktree, its pass dir and its own branch' },
    confinesRepo: !writable.some((path) => overlaps(resolve(path), resolve(options.repo))),
  };
}

/** Whether one path is the other or inside it. */
function overlaps(a: string, b: string): boolean {
  const inside = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);
  return inside(a, b) || inside(b, a);
}

/** NIGHTSHIFT_SANDBOX_WRITABLE: more paths (colon-separated, absolute) every agent may write, like Codex's --add-dir. */
export function extraWritable(env: NodeJS.ProcessEnv): string[] {
  return (env.NIGHTSHIFT_SANDBOX_WRITABLE ?? '').split(':').filter((path) => path.startsWith('/'));
}
