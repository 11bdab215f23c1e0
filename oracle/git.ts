// The oracle's git reads: which commits on the target branch carry `Nightshift-Ticket:` trailers.
// One `git log` per oracle call, so a 250-ticket batch costs one process, not 500.
import { execa } from 'execa';
import { TrackerError, UsageError } from '../trackers/errors.ts';
import type { GitFacts } from './verdict.ts';

const TRAILER = 'Nightshift-Ticket';

export async function readGitFacts(repo: string, targetBranch: string): Promise<GitFacts> {
  const ref = `refs/heads/${targetBranch}`;
  // the log alone when all is well (the oracle is asked after every landing something waits on); only a
  // log that fails is looked into, to say why
  const log = await execa(
    'git',
    ['-C', repo, 'log', `${ref}^{commit}`, '--no-color', `--grep=^${TRAILER}:`, '--extended-regexp', `--format=%H%x1f%(trailers:key=${TRAILER},valueonly,separator=%x1e)%x1d`, '--'],
    { reject: false, maxBuffer: 512 * 1024 * 1024 },
  );
  if (log.exitCode !== 0) {
    const isRepo = await execa('git', ['-C', repo, 'rev-parse', '--git-dir'], { reject: false });
    if (isRepo.exitCode !== 0) {
      throw new UsageError('repo-not-git', `--repo ${repo} is not a git repository. Point --repo at the repository the tickets merge into.`);
    }
    const exists = await execa('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { reject: false });
    if (exists.exitCode !== 0) {
      throw new UsageError('target-branch-missing', `the target branch ${targetBranch} does not exist in ${repo}. Pass --target-branch with an existing branch.`);
    }
    throw new TrackerError('git-read-failed', `git log of ${targetBranch} in ${repo} failed: ${log.stderr.trim()}`);
  }
  const trailersOnTarget = new Map<string, string[]>();
  for (const record of log.stdout.split('\x1d')) {
    const [commit, values] = record.trim().split('\x1f');
    if (!commit) continue;
    const keys = (values ?? '').split('\x1e').map((v) => v.trim()).filter((v) => v !== '');
    if (keys.length > 0) trailersOnTarget.set(commit, keys);
  }
  return { targetBranch, trailersOnTarget };
}
