// `nightshift demo` setup: a real git repo of the sample project, its tickets file, and the exact
// `nightshift run` arguments that work it with the scripted demo agent and reviewers.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import { UsageError } from '../../trackers/errors.ts';
import { openGit } from '../git/git.ts';
import { DEMO_BATCH, demoFiles, demoTickets } from './project.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export type DemoSetup = { dir: string; repo: string; tickets: string; state: string; runArgs: string[] };

export async function setupDemo(dirOption: string | undefined, cwd: string): Promise<DemoSetup> {
  const dir = dirOption === undefined ? mkdtempSync(join(tmpdir(), 'nightshift-demo-')) : resolve(cwd, dirOption);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError('demo-dir-not-empty', `demo dir ${dir} is not empty. Pass --dir with a new or empty directory (nothing was written).`);
  }
  const repo = join(dir, 'repo');
  const tickets = join(dir, 'tickets.json');
  const state = join(dir, 'state');
  mkdirSync(repo, { recursive: true });
  for (const [path, content] of Object.entries(demoFiles)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  const git = openGit(repo);
  await git.raw(['init', '-q', '-b', 'main']);
  await git.raw(['config', 'user.name', 'demo developer']);
  await git.raw(['config', 'user.email', 'demo@example.invalid']);
  await git.raw(['add', '-A']);
  await git.raw(['commit', '-q', '-m', 'textkit: tests first, code to come']);
  writeFileSync(tickets, `${JSON.stringify(demoTickets(), null, 2)}\n`);
  const node = process.execPath;
  const agent = `command:${quote([node, join(HERE, 'agent.mjs')])}`;
  const reviewer = (name: string) => `command:${quote([node, join(HERE, 'reviewer.mjs'), '--as', name])}`;
  const runArgs = [
    DEMO_BATCH, '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--target-branch', 'main',
    '--agent', agent, '--review', `${reviewer('alpha')},${reviewer('beta')}`, '--workers', '2', '--state', state,
  ];
  return { dir, repo, tickets, state, runArgs };
}
