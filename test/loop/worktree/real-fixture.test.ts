// The real-project fixtures (test/fixtures/real-*) hold together: every ticket has its upstream patch,
// its finish line is `npm test`, its blockers exist, and its patch applies with `git am` on the base
// plus its blockers' patches (all of them, transitively, in key order) — the tree a worktree of that
// ticket starts from at the earliest. Real git in a temp repo; npm is not needed here (the slow test
// and `npm run bench -- --real` install and run the tests).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURES_DIR } from '../../bench/real.ts';

type FixtureTicket = { key: string; description: string; blockedBy: string[]; state: string };

const fixtures = readdirSync(FIXTURES_DIR).filter((name) => name.startsWith('real-'));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const env = { ...process.env, GIT_AUTHOR_NAME: 'fixture', GIT_AUTHOR_EMAIL: 'fixture@example.invalid', GIT_COMMITTER_NAME: 'fixture', GIT_COMMITTER_EMAIL: 'fixture@example.invalid' };

function sizeOf(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0) : stat.size;
}

test('there is at least one real-project fixture', () => {
  expect(fixtures).toContain('real-defu');
});

describe.each(fixtures)('%s', (name) => {
  const root = join(FIXTURES_DIR, name);
  const { tickets } = JSON.parse(readFileSync(join(root, 'tickets.json'), 'utf8')) as { tickets: FixtureTicket[] };

  test('is small, licensed, says where it came from, and has a lockfile but no node_modules', () => {
    expect(sizeOf(root)).toBeLessThan(1_000_000);
    expect(existsSync(join(root, 'project', 'LICENSE'))).toBe(true);
    expect(readFileSync(join(root, 'NOTICE'), 'utf8')).toMatch(/https:\/\/github\.com\/.+ at commit\s+[0-9a-f]{40}/);
    expect(existsSync(join(root, 'project', 'package-lock.json'))).toBe(true);
    expect(existsSync(join(root, 'project', 'node_modules'))).toBe(false);
  });

  test('5 to 8 todo tickets, each with its patch, the finish line npm test, and known blockers', () => {
    expect(tickets.length).toBeGreaterThanOrEqual(5);
    expect(tickets.length).toBeLessThanOrEqual(8);
    const keys = new Set(tickets.map((t) => t.key));
    for (const t of tickets) {
      expect(t.state).toBe('todo');
      expect(t.description).toContain('```verify\nnpm test\n```');
      expect(existsSync(join(root, 'patches', `${t.key}.patch`)), t.key).toBe(true);
      for (const blocker of t.blockedBy) expect(keys.has(blocker), `${t.key} blocked by ${blocker}`).toBe(true);
    }
  });

  test.each(tickets.map((t) => t.key))('%s applies with git am on the base plus its blockers', (key) => {
    const byKey = new Map(tickets.map((t) => [t.key, t]));
    const needed = new Set<string>();
    const visit = (k: string) => {
      for (const blocker of byKey.get(k)?.blockedBy ?? []) {
        if (!needed.has(blocker)) {
          needed.add(blocker);
          visit(blocker);
        }
      }
    };
    visit(key);
    const order = tickets.map((t) => t.key).filter((k) => needed.has(k));
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-real-fixture-'));
    dirs.push(dir);
    cpSync(join(root, 'project'), dir, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    for (const k of [...order, key]) git('am', '-q', join(root, 'patches', `${k}.patch`));
    expect(execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim()).toBe(String(order.length + 2));
  });
});
