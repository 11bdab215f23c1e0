// A trusted checkout for the tripwire corpus: this project's committed tree (plus the working copy of the
// locked folders and the test config, so the tripwire under test is the one on disk) in a temp git repo
// with a fresh ORACLE.lock, and candidates cloned from it with one heal applied.
import { cpSync, existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeLock } from '../../heal/lock.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/repo.ts';
import type { Heal } from './edits.ts';

const ENV = {
  GIT_AUTHOR_NAME: 'corpus', GIT_AUTHOR_EMAIL: 'corpus@localhost', GIT_COMMITTER_NAME: 'corpus', GIT_COMMITTER_EMAIL: 'corpus@localhost',
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd, env: ENV, stdin: 'ignore' })).stdout.trim();
}

/** The working-copy paths laid over the committed tree (the tripwire and what it judges by). */
const OVERLAY = ['heal', 'oracle', 'test/vitest.config.ts'];

/** Builds the trusted checkout and returns its path; node_modules is this checkout's (a symlink). */
export async function makeTrusted(): Promise<string> {
  const dir = join(tempDir('nightshift-trusted-'), 'trusted');
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, '..', 'head.tar');
  await execa('git', ['-C', ROOT, 'archive', '--format=tar', '-o', archive, 'HEAD']);
  await execa('tar', ['-xf', archive, '-C', dir]);
  for (const path of OVERLAY) {
    const from = join(ROOT, path);
    if (existsSync(from)) cpSync(from, join(dir, path), { recursive: true, filter: (src) => !lstatSync(src).isSymbolicLink() });
  }
  writeLock(dir);
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'trusted');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** A fresh clone of the trusted checkout with the heal applied (and committed, unless it says not to). */
export async function makeCandidate(trusted: string, heal: Heal): Promise<{ dir: string; spec: string }> {
  const dir = join(tempDir('nightshift-candidate-'), heal.name);
  if (heal.fresh) {
    await heal.apply(dir, trusted);
    return { dir, spec: dir };
  }
  await execa('git', ['clone', '-q', trusted, dir], { env: ENV });
  await heal.apply(dir, trusted);
  if (heal.commit !== false) {
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '--allow-empty', '-m', `heal: ${heal.name}\n\nHeal-Run: corpus\nHeal-Reason: ${heal.about}`);
  }
  if (heal.asRev) {
    // judged as a REV of the trusted repo: fetch the heal commit into it (refs only; no checkout)
    const head = await git(dir, 'rev-parse', 'HEAD');
    await git(trusted, 'fetch', '-q', dir, `HEAD:refs/heads/heal/${heal.name}`);
    return { dir, spec: head };
  }
  return { dir, spec: dir };
}

/** Runs `nightshift tripwire ...` from the trusted checkout's own heal/cli.ts, as a person or the supervisor would. */
export async function runTripwire(trusted: string, args: string[], timeoutMs = 600_000): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, [join(trusted, 'heal', 'cli.ts'), 'tripwire', ...args], { cwd: trusted, reject: false, stdin: 'ignore', timeout: timeoutMs });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}
