// `--land push`: the local target is pushed (a plain fast-forward push, never forced) to its upstream
// after each merge and revert, and nothing counts as landed before the push is accepted. A rejected push
// is fetched: the local move is made again on the upstream's new head and pushed again. At start the
// local target and its upstream are reconciled, so a loop killed between a merge and its push ships it.
import type { Git } from '../git/git.ts';
import { isAncestor, revParse } from '../git/git.ts';
import { syncCheckedOut } from '../git/target.ts';
import type { LoopContext } from '../context.ts';
import type { RunOptions } from '../../oracle/run-options.ts';
import { ExitCode, FatalError, UsageError } from '../../trackers/errors.ts';

export type Upstream = { remote: string; branch: string };

/** How often a rejected push is fetched and its move made again on the new upstream head. */
export const PUSH_ATTEMPTS = 4;

/**
 * The target's upstream: `branch.<target>.remote`/`.merge` when set, else `origin`'s branch of the same
 * name when an `origin` exists; undefined when the repository has no remote to push to.
 */
export async function upstreamOf(repo: Git, target: string): Promise<Upstream | undefined> {
  const config = async (key: string) => (await repo.raw(['config', '--get', key]).catch(() => '')).trim();
  const remote = await config(`branch.${target}.remote`);
  const merge = await config(`branch.${target}.merge`);
  if (remote && remote !== '.' && merge) return { remote, branch: merge.replace(/^refs\/heads\//, '') };
  const remotes = (await repo.raw(['remote']).catch(() => '')).split('\n').map((r) => r.trim());
  return remotes.includes('origin') ? { remote: 'origin', branch: target } : undefined;
}

/**
 * The upstream a run ships to: none for `--land local`; for `push` and `pr` the target's upstream, or a
 * usage error (exit 2) when the repository has none.
 */
export async function landUpstream(options: Pick<RunOptions, 'land' | 'targetBranch' | 'repo'>, repo: Git): Promise<Upstream | undefined> {
  if (options.land === 'local') return undefined;
  const target = options.targetBranch;
  const up = await upstreamOf(repo, target);
  if (!up) {
    throw new UsageError('no-remote', `--land ${options.land}: the repository ${options.repo} has no remote to ${options.land === 'pr' ? 'open pull requests on' : `push ${target} to`} (no branch.${target}.remote and no remote "origin"). Add one (git remote add origin URL) or use --land local.`);
  }
  return up;
}

/** A remote's URL (for the forge's repository name), credentials left in: never shown as is. */
export async function remoteUrl(repo: Git, remote: string): Promise<string> {
  return (await repo.raw(['remote', 'get-url', remote]).catch(() => '')).trim();
}

/** The remote-tracking ref the upstream's head is fetched into. */
export function trackingRef(up: Upstream): string {
  return `refs/remotes/${up.remote}/${up.branch}`;
}

/** Fetches the upstream branch; its head (undefined: the branch does not exist there yet). */
export async function fetchUpstream(repo: Git, up: Upstream): Promise<string | undefined> {
  const exists = (await repo.raw(['ls-remote', '--heads', up.remote, `refs/heads/${up.branch}`])).trim() !== '';
  if (!exists) return undefined;
  await repo.raw(['fetch', '--no-tags', '--quiet', up.remote, `+refs/heads/${up.branch}:${trackingRef(up)}`]);
  return revParse(repo, trackingRef(up));
}

/** A plain push of `commit` to the upstream branch: accepted only as a fast-forward of what is there. */
export async function pushCommit(repo: Git, up: Upstream, commit: string): Promise<{ kind: 'pushed' } | { kind: 'rejected'; message: string }> {
  try {
    await repo.raw(['push', '--porcelain', '--quiet', up.remote, `${commit}:refs/heads/${up.branch}`]);
  } catch (error) {
    return { kind: 'rejected', message: redact((error as Error).message) };
  }
  // the tracking ref follows, so a later reconcile reads what was shipped without a fetch
  await repo.raw(['update-ref', trackingRef(up), commit]);
  return { kind: 'pushed' };
}

/** A remote URL may carry a credential (https://user:token@host): never into an event or a report. */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^\s/@]+@/g, '$1***@');
}

/**
 * Ships a move of the target the loop just made locally (`from` -> `to`, under the merge lock). If the
 * upstream took another push meanwhile, the local target goes back to the upstream's head (when it
 * contains `from`: nothing of ours is lost) and `redo` makes the move again there; at most PUSH_ATTEMPTS.
 * On failure the local target is put back where the move started from (or the upstream's head), so the
 * move counts nowhere.
 */
export async function shipMove(
  ctx: LoopContext,
  up: Upstream,
  what: { ticket: string; pass: number; kind: 'merge' | 'revert' },
  from: string,
  to: string,
  redo: (base: string) => Promise<{ kind: 'done'; commit: string } | { kind: 'failed'; message: string }>,
): Promise<{ kind: 'pushed'; commit: string; previous: string } | { kind: 'failed'; message: string }> {
  const target = `refs/heads/${ctx.options.targetBranch}`;
  let base = from;
  let head = to;
  for (let attempt = 1; ; attempt++) {
    const pushed = await pushCommit(ctx.repo, up, head);
    if (pushed.kind === 'pushed') {
      ctx.log.emit({ type: 'pushed', ticket: what.ticket, pass: what.pass, what: what.kind, commit: head, remote: up.remote, branch: up.branch });
      return { kind: 'pushed', commit: head, previous: base };
    }
    ctx.log.emit({ type: 'push-rejected', ticket: what.ticket, pass: what.pass, what: what.kind, commit: head, remote: up.remote, branch: up.branch, attempt, message: pushed.message });
    const remoteHead = await fetchUpstream(ctx.repo, up).catch(() => undefined);
    const usable = remoteHead !== undefined && await isAncestor(ctx.repo, base, remoteHead);
    // the local move is taken back: the target goes to the upstream's head (it has everything of ours), or to where it was
    const back = usable ? remoteHead : base;
    await ctx.repo.raw(['update-ref', '-m', `nightshift: ${what.kind} of ${what.ticket} not accepted by ${up.remote}`, target, back, head]);
    await syncCheckedOut(ctx.repo, ctx.options.targetBranch, head, back);
    ctx.targetGuard.moved(back);
    if (!usable || attempt >= PUSH_ATTEMPTS) {
      return { kind: 'failed', message: `the push of the ${what.kind} of ${what.ticket} to ${up.remote}/${up.branch} was rejected${usable ? ` ${attempt} times` : ` and ${up.remote}/${up.branch} no longer contains ${base.slice(0, 12)}`}: ${pushed.message}` };
    }
    const again = await redo(back);
    if (again.kind === 'failed') return again;
    base = back;
    head = again.commit;
  }
}

/**
 * At start (and before a found merge is counted): the local target and its upstream made equal. Local
 * ahead: pushed (a merge or revert made before a crash ships now). Upstream ahead: the local target is
 * fast-forwarded. Both moved: the local head is kept on `refs/nightshift/unpushed/*` and the local target
 * set to the upstream's head (nothing there was ever landed: a receipt follows only an accepted push).
 */
export async function reconcileUpstream(ctx: LoopContext, up: Upstream, attempt = 1): Promise<void> {
  const target = `refs/heads/${ctx.options.targetBranch}`;
  const local = ctx.targetGuard.expected();
  const remoteHead = await fetchUpstream(ctx.repo, up).catch((error: unknown) => {
    throw new FatalError('upstream-unreachable', `--land push: ${up.remote}/${up.branch} cannot be fetched: ${redact((error as Error).message)}\nCheck the remote (git fetch ${up.remote}) and start again; nothing was merged.`, ExitCode.notDone);
  });
  if (remoteHead === local) return;
  if (remoteHead === undefined || await isAncestor(ctx.repo, remoteHead, local)) {
    const pushed = await pushCommit(ctx.repo, up, local);
    if (pushed.kind === 'pushed') {
      ctx.log.emit({ type: 'pushed', what: 'reconcile', commit: local, remote: up.remote, branch: up.branch });
      return;
    }
    ctx.log.emit({ type: 'push-rejected', what: 'reconcile', commit: local, remote: up.remote, branch: up.branch, attempt, message: pushed.message });
    if (attempt >= PUSH_ATTEMPTS) throw new FatalError('push-rejected', `--land push: ${ctx.options.targetBranch} cannot be pushed to ${up.remote}/${up.branch}: ${pushed.message}`, ExitCode.notDone);
    return reconcileUpstream(ctx, up, attempt + 1);
  }
  if (!await isAncestor(ctx.repo, local, remoteHead)) {
    const keep = `refs/nightshift/unpushed/${Date.now()}`;
    await ctx.repo.raw(['update-ref', keep, local]);
    ctx.log.emit({ type: 'unpushed-kept', commit: local, kept: keep, upstream: remoteHead });
  }
  await ctx.repo.raw(['update-ref', '-m', `nightshift: ${ctx.options.targetBranch} follows ${up.remote}/${up.branch}`, target, remoteHead, local]);
  await syncCheckedOut(ctx.repo, ctx.options.targetBranch, local, remoteHead);
  ctx.targetGuard.moved(remoteHead);
  ctx.log.emit({ type: 'target-fetched', commit: remoteHead, previous: local, remote: up.remote, branch: up.branch });
}
