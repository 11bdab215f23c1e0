// Worktree environments (oracle/prepare.ts, oracle/prepare-detect.ts) on real git worktrees: what is
// detected from a repo's lockfiles; the first preparation at a trusted commit installs and stores, the
// next ones link the stored files (the same inodes, no set-up run); a store written through a link is
// found and dropped; a worktree whose lockfile differs installs in place and never writes the store.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { environmentKey, prepareWorktree } from '../../../oracle/prepare.ts';
import type { PrepareInput } from '../../../oracle/prepare.ts';
import { describeSetup, planSetup } from '../../../oracle/prepare-detect.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

test('the set-up is detected from the lockfiles at the top of the repo, as its own CI would install', () => {
  const plan = (files: string[], configured?: string[]) => { const p = planSetup(files, configured); return { commands: p.commands, keyFiles: p.keyFiles, source: p.source }; };
  expect(plan(['package.json', 'package-lock.json', 'README.md'])).toEqual({ commands: ['npm ci --no-audit --no-fund'], keyFiles: ['package-lock.json', 'package.json'], source: 'detected' });
  expect(plan(['package.json', 'pnpm-lock.yaml']).commands).toEqual(['pnpm install --frozen-lockfile']);
  expect(plan(['package.json', 'yarn.lock']).commands).toEqual(['yarn install --frozen-lockfile']);
  expect(plan(['package.json', 'yarn.lock', '.yarnrc.yml']).commands).toEqual(['yarn install --immutable']);
  expect(plan(['package.json', 'bun.lock']).commands).toEqual(['bun install --frozen-lockfile']);
  expect(plan(['pyproject.toml', 'uv.lock', 'requirements.txt']).commands).toEqual(['uv sync --frozen']);
  expect(plan(['pyproject.toml', 'poetry.lock']).commands).toEqual(['poetry install --no-root --sync']);
  expect(plan(['requirements.txt', 'requirements-dev.txt']).commands).toEqual(['python3 -m venv .venv', '.venv/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt -r requirements.txt']);
  expect(plan(['Cargo.toml', 'Cargo.lock']).commands).toEqual(['cargo fetch --locked']);
  expect(plan(['go.mod', 'go.sum']).commands).toEqual(['go mod download']);
  expect(plan(['package.json', 'package-lock.json', 'go.sum', 'go.mod']).commands).toEqual(['npm ci --no-audit --no-fund', 'go mod download']);
  expect(plan(['README.md', 'package.json'])).toEqual({ commands: [], keyFiles: [], source: 'none' });
  // configured wins; [] turns it off; the lockfiles still key the cache
  expect(plan(['package-lock.json', 'package.json'], ['make deps'])).toEqual({ commands: ['make deps'], keyFiles: ['package-lock.json', 'package.json'], source: 'config' });
  expect(plan(['package-lock.json'], []).source).toBe('none');
  expect(describeSetup(planSetup(['package-lock.json'], undefined))).toBe('setup: npm ci --no-audit --no-fund (detected package-lock.json)');
  // a virtualenv names the path it was made at: Python set-ups run in every worktree, never linked
  expect([planSetup(['package-lock.json'], undefined).cacheable, planSetup(['requirements.txt'], undefined).cacheable, planSetup(['uv.lock'], undefined).cacheable]).toEqual([true, false, false]);
});

/** A repo whose set-up writes deps/ (ignored) and counts its runs in a file outside the worktree. */
async function world() {
  const dir = tempDir('nightshift-env-');
  const counter = join(dir, 'installs');
  const repo = await makeRepo(join(dir, 'repo'), { '.gitignore': 'deps/\n', 'deps.lock': 'v1\n', 'README.md': 'x\n' });
  const plan = { ...planSetup(['deps.lock'], [`mkdir -p deps/lib && cp deps.lock deps/lib/version && echo run >> ${counter}`]), keyFiles: ['deps.lock'] };
  const worktree = async (name: string, at = 'main') => {
    const path = join(dir, name);
    await git(repo, 'worktree', 'add', '-q', '--detach', path, at);
    return path;
  };
  const input = (path: string, trusted: boolean): PrepareInput => ({ dir: path, plan, cacheRoot: join(dir, 'cache'), trusted, logFile: join(dir, 'logs', `${trusted}.log`), env: { PATH: process.env.PATH }, timeoutMs: 60_000 });
  const installs = () => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').length : 0);
  return { dir, repo, plan, worktree, input, installs };
}

test('paid once: a trusted install is stored, later worktrees get links to it without running the set-up', async () => {
  const w = await world();
  const first = await w.worktree('a');
  expect(await prepareWorktree(w.input(first, true))).toMatchObject({ kind: 'installed', stored: true });
  const second = await w.worktree('b');
  const cached = await prepareWorktree(w.input(second, false));
  expect(cached.kind).toBe('cached');
  expect(w.installs()).toBe(1);
  expect(readFileSync(join(second, 'deps', 'lib', 'version'), 'utf8')).toBe('v1\n');
  // a link into the store, not a copy; the worktree that installed keeps its own copy
  const stored = join(w.dir, 'cache', environmentKey(second, w.plan), 'tree', 'deps', 'lib', 'version');
  expect(statSync(join(second, 'deps', 'lib', 'version')).ino).toBe(statSync(stored).ino);
  expect(statSync(join(first, 'deps', 'lib', 'version')).ino).not.toBe(statSync(stored).ino);
  // nothing of it shows as a change of the worktree
  expect(await git(second, 'status', '--porcelain')).toBe('');
});

test('a store written through a link is found before the next hand-out, dropped, and installed afresh', async () => {
  const w = await world();
  await prepareWorktree(w.input(await w.worktree('a'), true));
  const b = await w.worktree('b');
  await prepareWorktree(w.input(b, false));
  writeFileSync(join(b, 'deps', 'lib', 'version'), 'poisoned by a worker\n'); // in place: the store's inode
  const c = await w.worktree('c');
  const again = await prepareWorktree(w.input(c, true));
  expect(again).toMatchObject({ kind: 'installed', stored: true, dropped: 'deps/lib/version changed since it was stored' });
  expect(readFileSync(join(c, 'deps', 'lib', 'version'), 'utf8')).toBe('v1\n');
  expect(w.installs()).toBe(2);
  const d = await w.worktree('d');
  expect((await prepareWorktree(w.input(d, false))).kind).toBe('cached');
  expect(readFileSync(join(d, 'deps', 'lib', 'version'), 'utf8')).toBe('v1\n');
});

test('a branch that changes the lockfile installs in its own worktree and never writes the store', async () => {
  const w = await world();
  await prepareWorktree(w.input(await w.worktree('a'), true));
  const branch = await w.worktree('branch');
  writeFileSync(join(branch, 'deps.lock'), 'v2\n');
  await git(branch, 'commit', '-qam', 'bump');
  const own = await prepareWorktree(w.input(branch, false));
  expect(own).toMatchObject({ kind: 'installed', stored: false });
  expect(readFileSync(join(branch, 'deps', 'lib', 'version'), 'utf8')).toBe('v2\n');
  const other = await w.worktree('other');
  expect((await prepareWorktree(w.input(other, false))).kind).toBe('cached');
  expect(readFileSync(join(other, 'deps', 'lib', 'version'), 'utf8')).toBe('v1\n');
});

test('a failing set-up is its own outcome, with the command, the exit and the output, and stores nothing', async () => {
  const w = await world();
  const a = await w.worktree('a');
  const failing = { ...w.input(a, true), plan: { ...w.plan, commands: ['echo fetching', 'echo "registry unreachable" >&2; exit 7'] } };
  const failed = await prepareWorktree(failing);
  expect(failed).toMatchObject({ kind: 'failed', command: 'echo "registry unreachable" >&2; exit 7', exit: 'exit 7' });
  expect(failed.kind === 'failed' && failed.output).toContain('registry unreachable');
  mkdirSync(join(w.dir, 'cache'), { recursive: true });
  expect(existsSync(join(w.dir, 'cache', environmentKey(a, failing.plan), 'manifest.json'))).toBe(false);
  expect(await prepareWorktree({ ...w.input(a, true), plan: { ...w.plan, commands: [] } })).toEqual({ kind: 'none' });
});

test('a set-up that cannot be moved (a Python virtualenv) runs in every worktree and is never stored', async () => {
  const w = await world();
  const pinned = (path: string) => ({ ...w.input(path, true), plan: { ...w.plan, cacheable: false } });
  expect(await prepareWorktree(pinned(await w.worktree('a')))).toMatchObject({ kind: 'installed', stored: false });
  expect(await prepareWorktree(pinned(await w.worktree('b')))).toMatchObject({ kind: 'installed', stored: false });
  expect(w.installs()).toBe(2);
});
