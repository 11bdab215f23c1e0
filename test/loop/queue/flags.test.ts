// The queue executor's flags through the real command line: `--executor queue` and `--queue` only
// together and with a redis:// URL, and `nightshift worker`'s own flags; each mistake is exit 2 with a
// message saying what to give, before anything starts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { makeRepo, tempDir } from '../../helpers/repo.ts';

test('run: --executor queue needs --queue redis://..., and --queue needs --executor queue', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const tickets = join(dir, 'tickets.json');
  writeFileSync(tickets, JSON.stringify({ project: 'Q', tickets: [] }));
  const base = ['run', 'Q-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo];
  const results = await Promise.all([
    ['--executor', 'queue'],
    ['--queue', 'redis://127.0.0.1:6379'],
    ['--executor', 'queue', '--queue', 'http://127.0.0.1:6379'],
    ['--executor', 'remote'],
  ].map((extra) => runCli([...base, ...extra])));
  expect(results.map((r) => [r.exitCode, r.stderr.trim().split('\n')[0]])).toEqual([
    [2, 'nightshift run: --executor queue goes with --queue redis://HOST:PORT (and --queue only with it).'],
    [2, 'nightshift run: --executor queue goes with --queue redis://HOST:PORT (and --queue only with it).'],
    [2, 'nightshift run: --executor queue goes with --queue redis://HOST:PORT (and --queue only with it).'],
    [2, 'nightshift run: --executor must be local or queue, not "remote".'],
  ]);
});

test('worker: --queue is required, --slots and --sandbox are checked, --help shows the usage', async () => {
  const results = await Promise.all([
    ['worker'],
    ['worker', '--queue', 'redis://127.0.0.1:1', '--slots', '0'],
    ['worker', '--queue', 'redis://127.0.0.1:1', '--sandbox', 'maybe'],
  ].map((args) => runCli(args)));
  expect(results.map((r) => [r.exitCode, r.stderr.trim().split('\n')[0]])).toEqual([
    [2, 'nightshift worker: --queue redis://HOST:PORT is required (the Redis the loop\'s --queue names).'],
    [2, 'nightshift worker: --slots must be a whole number from 1 to 64, not "0".'],
    [2, 'nightshift worker: --sandbox must be on or off, not "maybe".'],
  ]);
  const help = await runCli(['worker', '--help']);
  expect([help.exitCode, help.stdout.split('\n')[0]]).toEqual([0, 'usage: nightshift worker --queue redis://HOST:PORT [--slots N] [--work-dir DIR] [--sandbox on|off] [--name NAME]']);
});
