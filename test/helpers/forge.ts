// A repository given a bare `origin` on the file system (main tracking it) and the loopback GitHub
// simulator serving that bare repository (its pull requests, protection, rulesets, merge queue and check
// runs), with the environment `--land pr` needs to reach it. `close` waits for running checks, then stops it.
import { join } from 'node:path';
import { startGithubSim } from '../sim/github-server.ts';
import type { GithubSim } from '../sim/github-server.ts';
import { pullRoutes } from '../sim/github-pulls.ts';
import type { PullOptions, PullSim } from '../sim/github-pulls.ts';
import { git } from './repo.ts';

export type TestForge = { origin: string; pulls: PullSim; github: GithubSim; env: NodeJS.ProcessEnv; close(): Promise<void> };

export async function startForge(repo: string, dir: string, options: Omit<PullOptions, 'bare'>): Promise<TestForge> {
  const origin = join(dir, 'origin.git');
  await git(dir, 'clone', '-q', '--bare', repo, origin);
  await git(repo, 'remote', 'add', 'origin', origin);
  await git(repo, 'fetch', '-q', 'origin');
  await git(repo, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  const pulls = pullRoutes({ bare: origin, ...options });
  const github = await startGithubSim({ tickets: [], routes: pulls.routes });
  const env = { ...process.env, GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: github.repository, NIGHTSHIFT_PR_POLL_MS: '50' };
  return {
    origin, pulls, github, env,
    async close() {
      await pulls.close();
      await github.close();
    },
  };
}
