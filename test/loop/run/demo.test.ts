// `nightshift demo` end to end: a real repo, the scripted demo agent and reviewers, the real loop.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { git, tempDir } from '../../helpers/repo.ts';

async function trailerCounts(repo: string): Promise<Record<string, number>> {
  const out = await git(repo, 'log', 'main', '--format=%(trailers:key=Nightshift-Ticket,valueonly)');
  const counts: Record<string, number> = {};
  for (const key of out.split('\n').map((l) => l.trim()).filter(Boolean)) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

test('the demo runs a whole batch to the oracle\'s DONE, each trailer exactly once on main', async () => {
  const dir = join(tempDir(), 'demo');
  const result = await runCli(['demo', '--dir', dir]);
  // stderr holds only the supervisor's final audit: every done ticket's finish line passed on main
  expect(result.stderr).toMatch(/^nightshift: final audit \(round 1\):\n(DEMO-\d+ {2}passed {2}\(\d command\(s\), [\d.]+ s\)\n){11}audit: PASSED - 11 of 11 done tickets' finish lines pass on main at [0-9a-f]{12}$/);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/oracle: DONE - 11 of 11 tickets satisfied \[DEMO-1\.\.DEMO-10\]$/);
  // the finish line caught the deliberately wrong first try, and discovered work was filed and done
  expect(result.stdout).toMatch(/DEMO-6 pass 1 ended: verify-failed/);
  expect(result.stdout).toMatch(/DEMO-11 filed discovered ticket \(from DEMO-9\)/);
  const counts = await trailerCounts(join(dir, 'repo'));
  expect(counts).toEqual(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`DEMO-${i + 1}`, 1])));
  // the checked-out main follows the merges, and no ticket worktree is left behind
  expect(await git(join(dir, 'repo'), 'status', '--porcelain')).toBe('');
  expect(existsSync(join(dir, 'repo', 'lib', 'index.mjs'))).toBe(true);
  expect((await git(join(dir, 'repo'), 'worktree', 'list')).split('\n')).toHaveLength(1);
  const events = readFileSync(join(dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(events.findLast((e) => e.type === 'run-end')).toMatchObject({ exit_code: 0 });
  // the loop's "done" is confirmed by the oracle, asked on its own, and the final audit of all 11 tickets
  expect(events.filter((e) => e.type === 'confirm')).toMatchObject([{ loop_exit: 0, oracle_exit: 0, agreed: true }]);
  expect(events.at(-1)).toMatchObject({ type: 'audit', round: 1, failed: [], reopened: [] });
  expect(events.at(-1).passed).toHaveLength(11);
});

test('demo --setup-only prints the exact run command, which reaches the same verdict', async () => {
  const dir = join(tempDir(), 'demo');
  const setup = await runCli(['demo', '--setup-only', '--dir', dir]);
  expect(setup.exitCode).toBe(0);
  const line = setup.stdout.trim();
  expect(line.split('\n')).toHaveLength(1);
  const argv = parse(line) as string[];
  expect(argv.slice(0, 3)).toEqual(['nightshift', 'run', 'DEMO-1..DEMO-10']);
  const run = await runCli(argv.slice(1));
  expect(run.exitCode).toBe(0);
  const oracle = await runCli(['oracle', 'DEMO-1..DEMO-10', '--tracker', 'local', '--tickets', join(dir, 'tickets.json'), '--repo', join(dir, 'repo')]);
  expect(oracle.exitCode).toBe(0);
  expect(oracle.stdout).toContain('oracle: DONE - 11 of 11');
});

test('demo refuses a non-empty directory and writes nothing', async () => {
  const dir = tempDir();
  const result = await runCli(['demo', '--dir', dir, '--setup-only']);
  expect(result.exitCode).toBe(0);
  const again = await runCli(['demo', '--dir', dir]);
  expect(again.exitCode).toBe(2);
  expect(again.stderr).toContain('is not empty');
});

test('where bubblewrap cannot run, the demo still runs: its scripted agents get --sandbox off (a real run would stop)', async () => {
  const env = { ...process.env, NIGHTSHIFT_BWRAP_BIN: join(tempDir(), 'no-such-bwrap') };
  const without = await runCli(['demo', '--setup-only', '--dir', join(tempDir(), 'demo')], { env });
  expect(without.exitCode).toBe(0);
  expect((parse(without.stdout.trim()) as string[]).slice(-2)).toEqual(['--sandbox', 'off']);
  const withBwrap = await runCli(['demo', '--setup-only', '--dir', join(tempDir(), 'demo')]);
  expect(withBwrap.stdout).not.toContain('--sandbox');
});
