// A pass's progress while its agent runs, for a worker that dies mid-pass: every few seconds, and only
// when the ticket branch's head moved, the worker bundles `base..head` into Redis under the pass's key
// (one SET, so a reader sees a whole bundle or the one before). With the sandbox on the agent commits into
// its private git view; its head is read there and its new objects taken into the worker's repository by
// the checked copy of loop/sandbox/git-view.ts (hash per object, then `rev-list --verify-objects`),
// without touching the view or moving the branch. A worker that takes the job again starts from the newest
// published head, once it is unpacked through `git index-pack` and checked to reach only intact objects
// and to descend from the job's base; anything else is refused and the pass starts from the loop's branch.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Git } from '../git/git.ts';
import { linkedWorktree, peekViewHead } from '../sandbox/git-view.ts';
import { putBundle, unpackBundle } from './bundle.ts';

/** The Redis key of a pass's newest published progress (a bundle of `base..head`). */
export function progressKey(jobId: string): string {
  return `nightshift:progress:${jobId}`;
}

/** How often a worker looks for new commits to publish (ms): NIGHTSHIFT_QUEUE_PROGRESS_MS, default 5000, 0 turns it off. */
export function progressInterval(env: NodeJS.ProcessEnv): number {
  const raw = env.NIGHTSHIFT_QUEUE_PROGRESS_MS;
  const ms = raw === undefined || raw === '' ? 5_000 : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : 5_000;
}

export type Published = { head: string; bytes: number; ms: number };
type Publish = {
  mirror: Git; redis: Redis; jobId: string; ref: string; branch: string; base: string; start: string;
  tree: string; passDir: string; intervalMs: number; env: NodeJS.ProcessEnv; published: (p: Published) => void;
};

/** Starts publishing; `stop` ends it and waits for a publication under way. */
export function startPublishing(p: Publish): { stop: () => Promise<void> } {
  if (p.intervalMs <= 0) return { stop: async () => undefined };
  let last = p.start;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async () => {
    const began = Date.now();
    const head = await currentHead(p, last);
    if (!head || head === last || stopped) return;
    await p.mirror.raw(['update-ref', p.ref, head]);
    if (!await putBundle(p.mirror, p.redis, progressKey(p.jobId), [p.ref], [p.base])) return;
    last = head;
    p.published({ head, bytes: await p.redis.strlen(progressKey(p.jobId)), ms: Date.now() - began });
  };
  const timer = setInterval(() => {
    running = running.then(tick).catch(() => undefined);
  }, p.intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** The branch's head now: in the agent's git view when the sandbox made one, else in the worker's repository. */
async function currentHead(p: Publish, since: string): Promise<string | undefined> {
  const view = readdirSync(p.passDir).find((name) => name.startsWith('git-view-'));
  if (view) {
    const linked = linkedWorktree(p.tree);
    return linked ? peekViewHead(join(p.passDir, view), linked.commonDir, `refs/heads/${p.branch}`, since, p.env) : undefined;
  }
  return (await p.mirror.raw(['rev-parse', '--verify', '--quiet', `refs/heads/${p.branch}`]).catch(() => '')).trim() || undefined;
}

export type Resume = { kind: 'none' } | { kind: 'resumed'; head: string } | { kind: 'refused'; detail: string };

/** The newest published head of the job, unpacked into `repoDir` and checked; `none` when nothing was published. */
export async function readProgress(mirror: Git, repoDir: string, redis: Redis, jobId: string, base: string): Promise<Resume> {
  if (!await redis.exists(progressKey(jobId))) return { kind: 'none' };
  try {
    const refs = await unpackBundle(repoDir, redis, progressKey(jobId));
    const head = [...refs.values()][0];
    if (!head || refs.size !== 1) return { kind: 'refused', detail: `the progress bundle holds ${refs.size} refs, not one` };
    await mirror.raw(['merge-base', '--is-ancestor', base, head]);
    await mirror.raw(['rev-list', '--objects', '--verify-objects', '--quiet', head, '--not', base, '--']);
    return { kind: 'resumed', head };
  } catch (error) {
    return { kind: 'refused', detail: (error as Error).message.slice(0, 500) };
  }
}
