// `--land pr` in front of GitHub's merge queue (a ruleset's `merge_queue` rule): the merge commit is
// GitHub's, so the trailer travels in the loop's own merge of the branch into the remote target, which
// is pushed as the pull request's head, queued, and waited for until the queue merges it or takes it out.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { TRAILER } from '../git/git.ts';
import type { MergeQueue, Pull, PullLanding } from '../forge/forge.ts';
import { fetchUpstream } from './push.ts';
import type { Upstream } from './push.ts';

/**
 * A pull request in its base's merge queue: GitHub tests it merged with what is ahead of it and merges
 * it, or takes it out (a red check on the merge group, a conflict). Waited for like required checks.
 */
export async function awaitQueue(ctx: LoopContext, forge: PullLanding, what: { ticket: string; pass: number }, pull: Pull, head: string, enqueue = true): Promise<
  { kind: 'merged' } | { kind: 'dequeued'; output: string } | { kind: 'timed-out' } | { kind: 'interrupted' }
> {
  if (enqueue) await forge.api.enqueue(pull, head);
  const deadline = Date.now() + forge.checksTimeoutMs;
  let testing: string | null = null;
  for (let first = true; ; first = false) {
    const state = await forge.api.queueState(pull.number);
    if (first) ctx.log.emit({ type: 'queued', ticket: what.ticket, pass: what.pass, pull: pull.number, url: pull.url, ...(enqueue ? { commit: head } : { earlier: true }), state: state.state });
    if (state.merged) return { kind: 'merged' };
    testing = state.testing ?? testing;
    if (!state.queued) {
      // out of the queue unmerged: what the merge group's checks said, if it got that far
      const runs = testing ? await forge.api.checkRuns(testing) : [];
      const red = runs.filter((r) => r.status === 'completed' && !['success', 'neutral', 'skipped'].includes(r.conclusion ?? ''));
      const said = red.map((r) => `${r.name}: ${r.conclusion ?? 'failed'}${r.url ? ` (${r.url})` : ''}\n${r.output}`).join('\n');
      return { kind: 'dequeued', output: `GitHub's merge queue took ${pull.url} out without merging it${testing ? ` (its merge group ${testing.slice(0, 12)})` : ''}.\n${said}`.slice(-8_000) };
    }
    if (Date.now() >= deadline) return { kind: 'timed-out' };
    const slept = await sleep(forge.pollMs, true, { signal: ctx.signal }).catch(() => false);
    if (!slept) return { kind: 'interrupted' };
  }
}

/**
 * In front of a merge queue the merge commit is GitHub's, not ours: the trailer travels in a commit of
 * the branch instead, the merge of the branch into the remote target as a local landing would make it
 * (first parent the target), so it reaches the target as it is and names the ticket there.
 */
export async function trailerCommit(ctx: LoopContext, up: Upstream, what: { mergeTitle: string; message: string }, head: string): Promise<string | undefined> {
  const remoteHead = await ctx.withMergeLock(() => fetchUpstream(ctx.repo, up)); // fetches are serialized: two at once race for the tracking ref
  if (!remoteHead) return undefined;
  const tree = await ctx.repo.raw(['merge-tree', '--write-tree', remoteHead, head]).then((out) => out.split('\n')[0]?.trim(), () => undefined);
  if (!tree) return undefined;
  // pushed as the pull request's head, never kept on the local branch: a next pass works from the
  // ticket's own commits, so a trailer commit the queue turned away never rides along into a later one
  return (await ctx.repo.raw(['commit-tree', tree, '-p', remoteHead, '-p', head, '-m', what.mergeTitle, '-m', what.message.trim()])).trim();
}

/** Why a merge queue cannot land a ticket, if it cannot: only a merge keeps the trailer commit as it is. */
export function queueRefusal(queue: MergeQueue, branch: string): string | undefined {
  if (queue.method === 'MERGE') return undefined;
  return `${branch} lands through a merge queue that ${queue.method === 'SQUASH' ? 'squashes' : 'rebases'} its pull requests, which rewrites the commit carrying the ${TRAILER} trailer the oracle looks for: set the merge queue's merge method to "Merge commit" in the branch's ruleset, or use --land push`;
}

/** Waits out this ticket's pull request if it is still in its base's merge queue. */
export async function settleQueued(ctx: LoopContext, forge: PullLanding, ticket: Ticket, pass: number, branch: string): Promise<{ kind: 'interrupted'; pull: Pull } | undefined> {
  if (!(await forge.api.requiredChecks(ctx.options.targetBranch)).queue) return undefined;
  const open = await forge.api.openPull(branch, ctx.options.targetBranch);
  if (!open || !(await forge.api.queueState(open.number)).queued) return undefined;
  const waited = await awaitQueue(ctx, forge, { ticket: ticket.key, pass }, open, '', false);
  return waited.kind === 'interrupted' ? { kind: 'interrupted', pull: open } : undefined;
}
