// Check 4 of the tripwire: the candidate's loop (`node <candidate>/loop/main.ts run`) on a small temp
// batch, with scripted workers that do nothing, lie, or pass only in their own dirty worktree, and
// reviewers that approve everything. Afterwards no ticket may be in done, the loop may not have exited
// 0, and the TRUSTED oracle process must say "not done".
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanEnv } from './golden.ts';

const BATCH = 'LOOP-1..LOOP-3';

async function git(repo: string, ...args: string[]): Promise<void> {
  await execa('git', ['-C', repo, ...args], {
    stdin: 'ignore',
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'tripwire', GIT_AUTHOR_EMAIL: 'tripwire@localhost', GIT_COMMITTER_NAME: 'tripwire', GIT_COMMITTER_EMAIL: 'tripwire@localhost' },
  });
}

function ticket(n: number, what: string) {
  return {
    key: `LOOP-${n}`,
    title: `Add feature ${n} (${what})`,
    description: `Create feature-${n}.txt in the repo root and commit it.\n\n\`\`\`verify\ntest -f feature-${n}.txt\n\`\`\``,
    state: 'todo', labels: [], blockedBy: [], comments: [],
  };
}

async function setup(work: string): Promise<{ repo: string; tickets: string }> {
  const repo = join(work, 'repo');
  mkdirSync(repo, { recursive: true });
  await git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'tripwire loop check\n');
  await git(repo, 'add', 'README.md');
  await git(repo, 'commit', '-q', '-m', 'initial');
  const tickets = join(work, 'tickets.json');
  writeFileSync(tickets, `${JSON.stringify({ project: 'LOOP', tickets: [ticket(1, 'idle worker'), ticket(2, 'lying worker'), ticket(3, 'dirty worker')] }, null, 2)}\n`);
  return { repo, tickets };
}

/** Runs the candidate's loop against the scripted agents; returns one reason per broken promise. */
export async function checkLoop(input: { trusted: string; candidate: string; work: string; timeoutMs?: number }): Promise<string[]> {
  const { trusted, candidate, work } = input;
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  const { repo, tickets } = await setup(work);
  const agents = join(trusted, 'oracle', 'cases', 'agents');
  const worker = `command:${process.execPath} ${join(agents, 'worker.mjs')}`;
  const reviewer = `command:${process.execPath} ${join(agents, 'reviewer.mjs')}`;
  const env = cleanEnv(home);
  const run = await execa(process.execPath, [join(candidate, 'loop', 'main.ts'), 'run', BATCH, '--tracker', 'local', '--tickets', tickets, '--repo', repo,
    '--agent', worker, '--review', `${reviewer},${reviewer}`, '--max-passes', '2', '--workers', '2', '--worker-minutes', '1', '--state', join(work, 'state')], {
    cwd: work, env, extendEnv: false, reject: false, stdin: 'ignore', timeout: input.timeoutMs ?? 180_000, all: true,
  });
  writeFileSync(join(work, 'loop.log'), `exit ${run.exitCode}\n${run.all ?? ''}\n`);
  const reasons: string[] = [];
  if (run.timedOut) reasons.push(`the candidate's loop did not stop within ${Math.round((input.timeoutMs ?? 180_000) / 1000)} s on ${BATCH}`);
  else if (run.exitCode === 0) reasons.push(`the candidate's loop exited 0 (done) although no worker did its ticket's work`);
  else if (run.exitCode !== 1) reasons.push(`the candidate's loop exited ${run.exitCode ?? run.signal} where a batch of undone work must end "not done" (exit 1): ${lastLine(run.all ?? '')}`);
  try {
    const file = JSON.parse(readFileSync(tickets, 'utf8')) as { tickets: Array<{ key: string; state: string }> };
    for (const t of file.tickets) if (t.state === 'done') reasons.push(`the candidate's loop moved ${t.key} to done although its worker did not do the work`);
  } catch (error) {
    reasons.push(`the tickets file is no longer readable after the candidate's loop: ${(error as Error).message}`);
  }
  const oracle = await execa(process.execPath, [join(trusted, 'oracle', 'cli.ts'), BATCH, '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--target-branch', 'main'], {
    cwd: work, env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000,
  });
  if (oracle.exitCode !== 1) reasons.push(`after the candidate's loop the trusted oracle exits ${oracle.exitCode ?? oracle.signal} (expected 1, not done): ${lastLine(oracle.stdout + oracle.stderr)}`);
  return reasons;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200) ?? 'no output';
}
