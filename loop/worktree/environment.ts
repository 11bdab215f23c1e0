// The loop's side of worktree environments (oracle/prepare.ts): the set-up plan read once at the start
// from the target head's top-level files and the config, and a `prepare` every worktree goes through
// before anything runs in it, reported as `setup` events. Which finish-line commands could start on
// the target head (the preflight's finding) is kept here too: a command that cannot start later, and
// never could, is the environment's failure, not the agent's.
import { join } from 'node:path';
import { defaultCacheRoot, environmentKey, prepareWorktree } from '../../oracle/prepare.ts';
import type { Prepared } from '../../oracle/prepare.ts';
import { describeSetup, planSetup } from '../../oracle/prepare-detect.ts';
import type { SetupPlan } from '../../oracle/prepare-detect.ts';
import type { Git } from '../git/git.ts';
import type { EventLog } from '../state/state.ts';

export type Environment = {
  plan: SetupPlan;
  /** Prepares `dir`; `trusted`: it is at the target's head, so its install may be stored for others. */
  prepare(dir: string, input: { trusted: boolean; logFile: string; ticket?: string; pass?: number; where: 'pass' | 'verify' | 'replay' | 'preflight' }): Promise<Prepared>;
  /** The key `dir` would be prepared under now (a worker that changed a lockfile changes it). */
  keyOf(dir: string): string;
  /** Commands the preflight saw start on the target head. */
  started: Set<string>;
};

export async function openEnvironment(input: { repo: Git; rev: string; setup: string[] | undefined; env: NodeJS.ProcessEnv; log: EventLog; timeoutMs: number }): Promise<Environment> {
  const files = (await input.repo.raw(['ls-tree', '--name-only', input.rev])).split('\n').filter(Boolean);
  const plan = planSetup(files, input.setup);
  const cacheRoot = defaultCacheRoot(input.env);
  input.log.emit({ type: 'setup', where: 'run', plan: describeSetup(plan), source: plan.source, commands: plan.commands, detected: plan.detected, cache: cacheRoot });
  return {
    plan,
    started: new Set(),
    keyOf: (dir) => environmentKey(dir, plan),
    async prepare(dir, what) {
      const prepared = await prepareWorktree({ dir, plan, cacheRoot, trusted: what.trusted, logFile: what.logFile, env: input.env, timeoutMs: input.timeoutMs });
      if (prepared.kind !== 'none') {
        input.log.emit({
          type: 'setup', ...(what.ticket ? { ticket: what.ticket } : {}), ...(what.pass ? { pass: what.pass } : {}), where: what.where, result: prepared.kind, duration_ms: prepared.ms, key: prepared.key, log: what.logFile,
          ...(prepared.kind === 'failed' ? { command: prepared.command, exit: prepared.exit, output: prepared.output.slice(-2_000) } : {}),
          ...(prepared.kind === 'installed' ? { stored: prepared.stored, ...(prepared.dropped ? { dropped: prepared.dropped } : {}) } : {}),
        });
      }
      return prepared;
    },
  };
}

/** A finish-line failure no agent could cause: the shell could not find or run the program (126/127). */
export function cannotStart(exit: string, output: string): boolean {
  if (exit !== 'exit 127' && exit !== 'exit 126') return false;
  // a missing script at a path in the repo may be one the ticket's worker is to add; a missing program is not
  const missing = /([^\s:]+): (?:command )?(?:not found|Permission denied)\s*$/m.exec(output)?.[1];
  return missing === undefined || !missing.includes('/');
}

/** Where a pass's set-up output goes. */
export function setupLog(passDir: string): string {
  return join(passDir, 'setup.log');
}
