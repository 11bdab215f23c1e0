// Faults the honesty suite injects beyond the trackers' own: the state dir on a tiny filesystem that is
// full. It needs a mount (root, or a user namespace); where neither is allowed the caller is told why
// and the scenario says so in its notes instead of pretending it ran.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGithubSim } from '../sim/github-server.ts';
import { pullRoutes } from '../sim/github-pulls.ts';

export type DiskFull = { kind: 'full'; release(): Promise<void> } | { kind: 'unavailable'; reason: string };

/** Mounts a 2 MiB tmpfs on `dir` and fills it to the last few KiB; `release` frees the space and unmounts. */
export async function diskFull(dir: string): Promise<DiskFull> {
  mkdirSync(dir, { recursive: true });
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { reject: false });
  if (mounted.exitCode !== 0) return { kind: 'unavailable', reason: `cannot mount a small filesystem on the state dir (${String(mounted.stderr || mounted.message).split("\n")[0] ?? ""})` };
  const filler = join(dir, '.filler');
  // fill to ENOSPC, then give back a little so the loop can start and fail in the middle of its work
  await execa('sh', ['-c', `dd if=/dev/zero of="${filler}" bs=4k 2>/dev/null; truncate -s -24k "${filler}"`], { reject: false });
  return {
    kind: 'full',
    release: async () => {
      // keep what the loop wrote: copy it out, unmount, copy it back onto the real disk
      const keep = `${dir}.keep`;
      await execa('sh', ['-c', `rm -f "${filler}" && cp -a "${dir}" "${keep}" && (umount "${dir}" || umount -l "${dir}") && rm -rf "${dir}" && mv "${keep}" "${dir}"`]);
    },
  };
}

/**
 * `rejected-push`: a bare repository made `origin` of the world's repo, whose pre-receive hook plays a
 * colleague pushing first: every other push it adds a commit of its own to main and rejects ours.
 */
export async function rejectingOrigin(repo: string, dir: string): Promise<string> {
  const origin = join(dir, 'origin.git');
  await execa('git', ['clone', '-q', '--bare', repo, origin]);
  await execa('git', ['remote', 'add', 'origin', origin], { cwd: repo });
  const hook = join(origin, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh
n=$(cat pushes 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > pushes
[ $((n % 2)) -eq 0 ] && exit 0
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=c GIT_AUTHOR_EMAIL=c@example.invalid GIT_COMMITTER_NAME=c GIT_COMMITTER_EMAIL=c@example.invalid
old=$(git rev-parse refs/heads/main)
blob=$(echo "colleague $n" | git hash-object -w --stdin)
export GIT_INDEX_FILE=$(pwd)/colleague-index
git read-tree "$old"
git update-index --add --cacheinfo "100644,$blob,colleague-$n.txt"
git update-ref refs/heads/main "$(git commit-tree "$(git write-tree)" -p "$old" -m "a colleague's push $n")" "$old"
echo "rejected: main moved" >&2
exit 1
`);
  chmodSync(hook, 0o755);
  return origin;
}

/**
 * `red-check`: `--land pr` to a bare `origin` served by the GitHub simulator, whose required check `ci`
 * fails the first time it runs on each ticket's branch (a red build the next pass must get past).
 * `merge-queue`: the same base behind a ruleset's merge queue, whose check fails the first merge group
 * of every pull request (the queue takes it out; the next pass queues it again).
 */
export async function redCheckForge(repo: string, dir: string, queue = false): Promise<{ origin: string; env: NodeJS.ProcessEnv; close(): Promise<void> }> {
  const origin = join(dir, 'origin.git');
  await execa('git', ['clone', '-q', '--bare', repo, origin]);
  await execa('git', ['remote', 'add', 'origin', origin], { cwd: repo });
  const refs = queue ? 'refs/heads/gh-readonly-queue/' : 'refs/heads/nightshift/';
  const first = queue ? 'merge group of every pull request' : 'build of every branch';
  const command = `b=$(git -C "$BARE" for-each-ref --format='%(refname:lstrip=1)' --points-at "$SHA" '${refs}' | head -1${queue ? ` | sed 's/-[0-9a-f]\\{40\\}$//'` : ''} | tr / _)
[ -z "$b" ] || [ -e "$BARE/red-$b" ] && exit 0
touch "$BARE/red-$b"; echo "ci: 1 of 12 tests failed (the first ${first} is red)"; exit 1`;
  const pulls = pullRoutes({ bare: origin, checks: [{ name: 'ci', command }], ...(queue ? { rulesets: true, mergeQueue: { method: 'MERGE' as const } } : {}) });
  const github = await startGithubSim({ tickets: [], routes: pulls.routes });
  return {
    origin,
    env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: github.repository, NIGHTSHIFT_PR_POLL_MS: '50' },
    async close() {
      await pulls.close();
      await github.close();
    },
  };
}

/**
 * `live-replay`: a config whose deploy copies work/ to a "live" directory but never ships `broken`'s
 * file (a deploy bug no worker can fix), and a ```replay block per ticket that reads the live copy: the
 * broken ticket's live replay never passes, so it is reverted every time and is never done.
 */
export function liveWorld(dir: string, broken: string): { config: string; block: (key: string) => string } {
  const live = join(dir, 'live');
  const config = join(dir, 'nightshift.config.json');
  writeFileSync(config, JSON.stringify({
    deploy: `mkdir -p "${live}" && for f in work/*.txt; do [ "$f" = work/${broken}.txt ] || cp "$f" "${live}/"; done`,
    replayWindowMinutes: 0.02,
  }));
  return { config, block: (key) => `\n\n\`\`\`replay\ntest "$(cat "${live}/${key}.txt")" = done-${key}\n\`\`\`` };
}
