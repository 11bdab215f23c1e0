// The live replay: after a landing's replay passed on the merged tree, the config's `deploy` command (for
// repositories whose CI does not deploy) and then the ticket's ```replay block, run against the shipped
// result (a health URL, a query, a synthetic event sent and looked for). The block is retried over
// `replayWindowMinutes` for eventual consistency; only its success makes the receipt.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { runVerify } from '../worktree/verify.ts';

const REPLAY_BLOCK = /```replay[ \t]*\r?\n([\s\S]*?)```/g;

/** The live replay commands of a description (every ```replay block; blank lines and `#` comments dropped). */
export function replayCommands(description: string): string[] {
  return [...description.matchAll(REPLAY_BLOCK)].flatMap((m) => (m[1] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
}

export type LiveOutcome =
  | { kind: 'none' }
  | { kind: 'passed'; attempts: number }
  | { kind: 'failed'; command: string; output: string }
  | { kind: 'interrupted' };

/** Deploys (when configured) and runs the ticket's live replay in `cwd`, a clean worktree of the merge. */
export async function liveReplay(ctx: LoopContext, ticket: Ticket, pass: number, cwd: string, mergeCommit: string): Promise<LiveOutcome> {
  const commands = replayCommands(ticket.description);
  const deploy = ctx.options.deploy;
  if (commands.length === 0 && !deploy) return { kind: 'none' };
  const dir = ctx.paths.passDir(ticket.key, pass);
  const env = { ...ctx.env, NIGHTSHIFT_TICKET: ticket.key, NIGHTSHIFT_MERGE_COMMIT: mergeCommit, NIGHTSHIFT_TARGET_BRANCH: ctx.options.targetBranch };
  const timeoutMs = ctx.options.workerMinutes * 60_000;
  if (deploy) {
    const deployed = await runVerify({ commands: [deploy], cwd, env, logFile: join(dir, 'deploy.log'), kind: 'deploy', timeoutMs, signal: ctx.signal });
    ctx.log.emit({ type: 'deploy', ticket: ticket.key, pass, commit: mergeCommit, result: deployed.kind, ...(deployed.kind === 'failed' ? { output: deployed.output } : {}) });
    if (deployed.kind === 'failed') return ctx.signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', command: `deploy: ${deploy}`, output: deployed.output };
  }
  if (commands.length === 0) return { kind: 'passed', attempts: 0 };
  const windowMs = ctx.options.replayWindowMinutes * 60_000;
  const deadline = Date.now() + windowMs;
  // a tenth of the window between tries (1 s to 30 s): about ten tries before the window closes
  const intervalMs = Number(ctx.env.NIGHTSHIFT_LIVE_REPLAY_INTERVAL_MS) || Math.min(30_000, Math.max(1_000, windowMs / 10));
  for (let attempt = 1; ; attempt++) {
    const run = await runVerify({ commands, cwd, env, logFile: join(dir, 'live-replay.log'), kind: 'live-replay', timeoutMs, signal: ctx.signal });
    if (run.kind !== 'failed') {
      ctx.log.emit({ type: 'live-replay', ticket: ticket.key, pass, commit: mergeCommit, result: 'passed', attempts: attempt });
      return { kind: 'passed', attempts: attempt };
    }
    if (ctx.signal.aborted) return { kind: 'interrupted' };
    if (Date.now() + intervalMs > deadline) {
      ctx.log.emit({ type: 'live-replay', ticket: ticket.key, pass, commit: mergeCommit, result: 'failed', attempts: attempt, command: run.command, output: run.output });
      return { kind: 'failed', command: run.command, output: `${run.output}\n(still failing after ${attempt} tries over ${ctx.options.replayWindowMinutes} minute(s))` };
    }
    ctx.log.emit({ type: 'live-replay', ticket: ticket.key, pass, commit: mergeCommit, result: 'retry', attempts: attempt, command: run.command });
    const waited = await sleep(intervalMs, true, { signal: ctx.signal }).catch(() => false);
    if (!waited) return { kind: 'interrupted' };
  }
}
