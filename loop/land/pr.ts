// `--land pr`: a reviewed branch lands through a pull request. The ticket branch is pushed, its pull
// request opened (or updated), branch protection's required checks awaited on the pushed head, and the
// pull request merged through the API with the merge trailer in its message; then the target is
// fetched and the local target follows it, and the replay runs on the merged head as in every mode. A
// red required check is a failed pass whose output goes to the next one. A revert goes through a pull
// request of its own. The local target only ever follows the remote here: the loop never pushes it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import { TRAILER, branchOf, isAncestor, revParse } from '../git/git.ts';
import { REVERTED_TRAILER, findMergeOnTarget, makeRevertCommit, syncCheckedOut } from '../git/target.ts';
import type { Pull, PullLanding } from '../forge/forge.ts';
import { awaitQueue, queueRefusal, settleQueued, trailerCommit } from './queue.ts';
import { PUSH_ATTEMPTS, fetchUpstream, redact } from './push.ts';
import type { Upstream } from './push.ts';

export type PullOutcome =
  | { kind: 'merged'; commit: string; previous: string; pull?: Pull | undefined }
  | { kind: 'check-failed'; pull: Pull; check: string; output: string }
  | { kind: 'not-merged'; message: string; pull?: Pull }
  | { kind: 'interrupted'; pull: Pull };

/** Required checks on `commit`: all green, one red (its output), or still waiting when the time is up. */
async function awaitChecks(ctx: LoopContext, forge: PullLanding, pull: Pull, commit: string, required: string[]): Promise<
  { kind: 'passed' } | { kind: 'failed'; check: string; output: string } | { kind: 'timed-out'; waiting: string[] } | { kind: 'interrupted' }
> {
  if (required.length === 0) return { kind: 'passed' };
  const deadline = Date.now() + forge.checksTimeoutMs;
  ctx.log.emit({ type: 'checks-waiting', pull: pull.number, url: pull.url, commit, checks: required });
  for (;;) {
    const runs = await forge.api.checkRuns(commit);
    // the newest run of each required check decides (GitHub lists a re-run beside the first)
    const latest = new Map(runs.map((r) => [r.name, r] as const));
    const red = required.map((name) => latest.get(name)).find((r) => r?.status === 'completed' && !['success', 'neutral', 'skipped'].includes(r.conclusion ?? ''));
    if (red) return { kind: 'failed', check: red.name, output: `${red.conclusion ?? 'failed'}${red.url ? ` (${red.url})` : ''}\n${red.output}`.slice(-8_000) };
    const waiting = required.filter((name) => latest.get(name)?.status !== 'completed');
    if (waiting.length === 0) return { kind: 'passed' };
    if (Date.now() >= deadline) return { kind: 'timed-out', waiting };
    const slept = await sleep(forge.pollMs, true, { signal: ctx.signal }).catch(() => false);
    if (!slept) return { kind: 'interrupted' };
  }
}

/** Waits until one more person approved `pull` than now (or the time is up, or the loop stops). */
async function awaitApproval(ctx: LoopContext, forge: PullLanding, pull: Pull, needed: string): Promise<{ kind: 'approved' | 'timed-out' | 'interrupted' }> {
  const before = await forge.api.approvals(pull.number);
  const deadline = Date.now() + forge.checksTimeoutMs;
  ctx.log.emit({ type: 'review-waiting', pull: pull.number, url: pull.url, approvals: before, needed });
  for (;;) {
    const slept = await sleep(forge.pollMs, true, { signal: ctx.signal }).catch(() => false);
    if (!slept) return { kind: 'interrupted' };
    if (await forge.api.approvals(pull.number) > before) return { kind: 'approved' };
    if (Date.now() >= deadline) return { kind: 'timed-out' };
  }
}

/** Pushes `commit` to the ticket's own branch on the remote (the loop's branch: replaced, whatever was there). */
async function pushBranch(ctx: LoopContext, up: Upstream, branch: string, commit: string): Promise<string | undefined> {
  try {
    await ctx.repo.raw(['push', '--porcelain', '--quiet', '--force', up.remote, `${commit}:refs/heads/${branch}`]);
    return undefined;
  } catch (error) {
    return redact((error as Error).message);
  }
}

/** The pull request of `branch`, opened or given the new body. */
async function pullFor(ctx: LoopContext, forge: PullLanding, fields: { title: string; branch: string; body: string; ticket: string; pass: number }): Promise<Pull> {
  const target = ctx.options.targetBranch;
  const open = await forge.api.openPull(fields.branch, target);
  if (open) {
    if (open.body !== fields.body) await forge.api.editPull(open.number, { body: fields.body });
    ctx.log.emit({ type: 'pr-opened', ticket: fields.ticket, pass: fields.pass, pull: open.number, url: open.url, updated: true });
    return open;
  }
  const made = await forge.api.createPull({ title: fields.title, branch: fields.branch, base: target, body: fields.body });
  ctx.log.emit({ type: 'pr-opened', ticket: fields.ticket, pass: fields.pass, pull: made.number, url: made.url, updated: false });
  return made;
}

/** Brings the ticket branch up to date with the remote target (a merge commit on it), for a strict base. */
async function catchUp(ctx: LoopContext, up: Upstream, branch: string, head: string): Promise<string | undefined> {
  const remoteHead = await ctx.withMergeLock(() => fetchUpstream(ctx.repo, up)); // fetches are serialized: two at once race for the tracking ref
  if (!remoteHead) return undefined;
  const tree = await ctx.repo.raw(['merge-tree', '--write-tree', head, remoteHead]).then((out) => out.split('\n')[0]?.trim(), () => undefined);
  if (!tree) return undefined;
  const commit = (await ctx.repo.raw(['commit-tree', tree, '-p', head, '-p', remoteHead, '-m', `Merge ${up.branch} into ${branch}`])).trim();
  await ctx.repo.raw(['update-ref', `refs/heads/${branch}`, commit, head]);
  return commit;
}

/**
 * Lands `head` of `branch` through a pull request: pushed, opened, checked, merged with `message` as
 * the merge commit's body, and the local target moved to the remote's new head.
 */
export async function landThroughPull(
  ctx: LoopContext,
  forge: PullLanding,
  what: { ticket: string; pass: number; branch: string; title: string; body: string; mergeTitle: string; message: string },
  first: string,
): Promise<PullOutcome> {
  const up = ctx.upstream;
  if (!up) return { kind: 'not-merged', message: '--land pr needs the target\'s upstream' };
  const rules = await forge.api.requiredChecks(ctx.options.targetBranch);
  const required = rules.checks;
  let head = first;
  let pull: Pull | undefined;
  if (rules.queue) {
    const refused = queueRefusal(rules.queue, up.branch);
    if (refused) return { kind: 'not-merged', message: refused };
    const made = await trailerCommit(ctx, up, what, head);
    if (!made) return { kind: 'not-merged', message: `${what.branch} does not merge cleanly with ${up.remote}/${up.branch}` };
    head = made;
  }
  for (let attempt = 1; ; attempt++) {
    const refused = await pushBranch(ctx, up, what.branch, head);
    if (refused) return { kind: 'not-merged', message: `the push of ${what.branch} to ${up.remote} was rejected: ${refused}` };
    pull = await pullFor(ctx, forge, { ...what, body: what.body });
    const checks = await awaitChecks(ctx, forge, pull, head, required);
    ctx.log.emit({ type: 'checks', ticket: what.ticket, pass: what.pass, pull: pull.number, commit: head, result: checks.kind, ...(checks.kind === 'failed' ? { check: checks.check, output: checks.output } : {}), ...(checks.kind === 'timed-out' ? { waiting: checks.waiting } : {}) });
    if (checks.kind === 'interrupted') return { kind: 'interrupted', pull };
    if (checks.kind === 'failed') return { kind: 'check-failed', pull, check: checks.check, output: checks.output };
    if (checks.kind === 'timed-out') {
      return { kind: 'check-failed', pull, check: checks.waiting.join(', '), output: `the required check(s) ${checks.waiting.join(', ')} did not finish within ${Math.round(forge.checksTimeoutMs / 60_000)} minutes of the push` };
    }
    const open = pull;
    if (rules.queue) {
      const queued = await awaitQueue(ctx, forge, what, open, head);
      if (queued.kind === 'interrupted') return { kind: 'interrupted', pull: open };
      if (queued.kind === 'timed-out') return { kind: 'check-failed', pull: open, check: 'merge queue', output: `${open.url} was still in the merge queue ${Math.round(forge.checksTimeoutMs / 60_000)} minutes after it was queued` };
      if (queued.kind === 'dequeued') return { kind: 'check-failed', pull: open, check: 'merge queue', output: queued.output };
      const followed = await ctx.withMergeLock(() => followUpstream(ctx, up, what));
      ctx.log.emit({ type: 'pr-merged', ticket: what.ticket, pass: what.pass, pull: open.number, url: open.url, commit: head, queue: true });
      return { kind: 'merged', commit: head, previous: followed.previous, pull: open };
    }
    const mergeNow = () => ctx.withMergeLock(async () => {
      const merged = await forge.api.merge(open.number, { sha: head, title: what.mergeTitle, message: what.message });
      if (merged.kind === 'merged') return { ...merged, ...(await followUpstream(ctx, up, what)) };
      return merged;
    });
    let answer = await mergeNow();
    // required reviews from people: waited for (as long as checks may take), then the merge is asked again
    while (answer.kind === 'refused' && /approving review/i.test(answer.message)) {
      ctx.log.emit({ type: 'pr-refused', ticket: what.ticket, pass: what.pass, pull: open.number, status: answer.status, message: answer.message, attempt });
      const approved = await awaitApproval(ctx, forge, open, answer.message);
      if (approved.kind === 'interrupted') return { kind: 'interrupted', pull: open };
      if (approved.kind === 'timed-out') return { kind: 'check-failed', pull: open, check: 'approving review', output: `${answer.message}\nNo one approved ${open.url} within ${Math.round(forge.checksTimeoutMs / 60_000)} minutes.` };
      answer = await mergeNow();
    }
    if (answer.kind === 'merged') {
      ctx.log.emit({ type: 'pr-merged', ticket: what.ticket, pass: what.pass, pull: open.number, url: open.url, commit: answer.commit });
      return { kind: 'merged', commit: answer.commit, previous: answer.previous, pull: open };
    }
    ctx.log.emit({ type: 'pr-refused', ticket: what.ticket, pass: what.pass, pull: open.number, status: answer.status, message: answer.message, attempt });
    if (attempt >= PUSH_ATTEMPTS) return { kind: 'not-merged', pull: open, message: `GitHub refused to merge ${open.url} ${attempt} times: ${answer.message}` };
    // behind a base that must be up to date (a merge train): the target is merged into the branch, checked again
    if (/up to date/i.test(answer.message)) {
      const caught = await catchUp(ctx, up, what.branch, head);
      if (!caught) return { kind: 'not-merged', pull: open, message: `${what.branch} does not merge cleanly with ${up.remote}/${up.branch}: ${answer.message}` };
      head = caught;
      continue;
    }
    // a check GitHub had not recorded yet when it was asked: asked again; anything else ends the pass
    if (!/status check/i.test(answer.message)) return { kind: 'not-merged', pull: open, message: `GitHub refused to merge ${open.url}: ${answer.message}` };
  }
}

/**
 * The local target follows its upstream (under the merge lock): fast-forwarded when the remote is
 * ahead; when the local target has commits the remote lacks (never landed: in `pr` mode only merges
 * through the forge land), they are kept on `refs/nightshift/unpushed/*` and the target follows anyway.
 */
export async function followUpstream(ctx: LoopContext, up: Upstream, what?: { ticket: string; pass: number }): Promise<{ previous: string; head: string }> {
  const target = `refs/heads/${ctx.options.targetBranch}`;
  const local = ctx.targetGuard.expected();
  const remoteHead = await fetchUpstream(ctx.repo, up);
  if (!remoteHead || remoteHead === local) return { previous: local, head: local };
  const contained = await isAncestor(ctx.repo, local, remoteHead);
  if (!contained) {
    const keep = `refs/nightshift/unpushed/${Date.now()}`;
    await ctx.repo.raw(['update-ref', keep, local]);
    ctx.log.emit({ type: 'unpushed-kept', commit: local, kept: keep, upstream: remoteHead });
  }
  await ctx.repo.raw(['update-ref', '-m', `nightshift: ${ctx.options.targetBranch} follows ${up.remote}/${up.branch}`, target, remoteHead, local]);
  await syncCheckedOut(ctx.repo, ctx.options.targetBranch, local, remoteHead);
  ctx.targetGuard.moved(remoteHead);
  ctx.log.emit({ type: 'target-fetched', ...(what ? { ticket: what.ticket, pass: what.pass } : {}), commit: remoteHead, previous: local, remote: up.remote, branch: up.branch });
  return { previous: local, head: remoteHead };
}

/** The pull request body: what the ticket asked, who reviewed, and the trailer the merge will carry. */
export function pullBody(ticket: Ticket, pass: number, reviewers: Array<{ agent: string; verdict: string }>, run: string): string {
  const reviews = reviewers.length === 0 ? '- no reviewers configured' : reviewers.map((r) => `- ${r.agent}: ${r.verdict}`).join('\n');
  return [
    `nightshift lands ${ticket.key} (pass ${pass}): ${ticket.title}`,
    '',
    '## Reviews (two vendors, before this pull request)',
    reviews,
    '',
    `The merge commit carries \`${TRAILER}: ${ticket.key}\` (run ${run}); the ticket is done only after a replay of its finish line on the merged head passes.`,
  ].join('\n');
}

/** Lands a reviewed ticket branch through its pull request. */
export async function landTicketThroughPull(ctx: LoopContext, forge: PullLanding, ticket: Ticket, pass: number, reviewers: Array<{ agent: string; verdict: string }>): Promise<PullOutcome> {
  const branch = branchOf(ticket.key);
  // a merge GitHub made that the loop never saw land (it stopped, or the answer was lost) is found, not made again
  if (ctx.upstream) {
    const up = ctx.upstream;
    // and one still in a merge queue (queued by a loop that stopped) is waited for first: nothing of this
    // ticket's can merge after that, so the look below cannot miss a merge that lands while a new one is made
    const interrupted = await settleQueued(ctx, forge, ticket, pass, branch);
    if (interrupted) return interrupted;
    const followed = await ctx.withMergeLock(() => followUpstream(ctx, up, { ticket: ticket.key, pass }));
    const found = await findMergeOnTarget(ctx.repo, ctx.options.targetBranch, ticket.key, ctx.targetGuard.rev());
    if (found) {
      ctx.log.emit({ type: 'merge-found', ticket: ticket.key, pass, commit: found });
      return { kind: 'merged', commit: found, previous: followed.previous, pull: await forge.api.openPull(branch, ctx.options.targetBranch, 'closed') };
    }
  }
  const head = await revParse(ctx.repo, `refs/heads/${branch}`);
  if (!head) return { kind: 'not-merged', message: `${branch} does not exist` };
  return landThroughPull(ctx, forge, {
    ticket: ticket.key, pass, branch, title: `${ticket.key}: ${ticket.title}`, body: pullBody(ticket, pass, reviewers, ctx.run),
    mergeTitle: `Merge ${branch}: ${ticket.title}`, message: `${TRAILER}: ${ticket.key}\nNightshift-Run: ${ctx.run}\n`,
  }, head);
}

/** A failed replay's revert, through a pull request of its own, merged the same way. */
export async function revertThroughPull(ctx: LoopContext, forge: PullLanding, ticket: Ticket, pass: number, merge: string): Promise<{ kind: 'reverted'; commit: string; revert: string } | { kind: 'failed'; message: string }> {
  const up = ctx.upstream;
  if (!up) return { kind: 'failed', message: '--land pr needs the target\'s upstream' };
  const base = (await ctx.withMergeLock(() => followUpstream(ctx, up, { ticket: ticket.key, pass }))).head;
  const made = await makeRevertCommit(ctx.repo, merge, ticket.key, ctx.paths.scratch(`revert-${ticket.key}`), base);
  if (made.kind !== 'reverted') return made;
  const branch = `nightshift/revert/${ticket.key}-${pass}`;
  await ctx.repo.raw(['update-ref', `refs/heads/${branch}`, made.commit]);
  const landed = await landThroughPull(ctx, forge, {
    ticket: ticket.key, pass, branch, title: `Revert ${ticket.key}: its replay failed`,
    body: `nightshift reverts the merge ${merge} of ${ticket.key}: the replay of its finish line on the merged head failed.`,
    mergeTitle: `Merge ${branch}: revert ${ticket.key}`, message: `This reverts commit ${merge}.\n\n${REVERTED_TRAILER}: ${ticket.key}\n`,
  }, made.commit);
  if (landed.kind === 'merged') return { kind: 'reverted', commit: landed.commit, revert: made.commit };
  return { kind: 'failed', message: landed.kind === 'not-merged' ? landed.message : landed.kind === 'check-failed' ? `the revert's pull request ${landed.pull.url} failed its check ${landed.check}` : 'the loop stopped while the revert waited for its checks' };
}
