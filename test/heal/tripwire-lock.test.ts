// `nightshift tripwire --check-lock` on a trusted checkout: it passes with a fresh lock and fails after
// any edit, addition or removal of a file of the frozen set, naming the file, or when the set is unsound.
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { makeTrusted, runTripwire } from '../heals/fixture.ts';

test('the lock check passes on a fresh lock and names every stale file', async () => {
  const trusted = await makeTrusted();
  const fresh = await runTripwire(trusted, ['--check-lock']);
  expect(fresh.exitCode).toBe(0);
  expect(fresh.stdout).toContain('ORACLE.lock matches the frozen set (oracle/, heal/ and what they import)');

  writeFileSync(join(trusted, 'oracle', 'cases', 'all-done.json'), '{}\n');
  writeFileSync(join(trusted, 'heal', 'extra.ts'), 'export {};\n');
  rmSync(join(trusted, 'oracle', 'cases', 'canceled.json'));
  const stale = await runTripwire(trusted, ['--check-lock']);
  expect(stale.exitCode).toBe(1);
  expect(stale.stderr).toContain('oracle/cases/all-done.json: hash differs from ORACLE.lock');
  expect(stale.stderr).toContain('oracle/cases/canceled.json: locked but missing');
  expect(stale.stderr).toContain('heal/extra.ts: not in ORACLE.lock');
});

test('the lock check covers the frozen set beyond oracle/ and heal/, and fails when a frozen file imports the loop', async () => {
  const trusted = await makeTrusted();
  appendFileSync(join(trusted, 'trackers', 'retry.ts'), '\n// changed\n');
  appendFileSync(join(trusted, 'oracle', 'verdict.ts'), "\nexport { runBatch } from '../loop/run/run.ts';\n");
  const stale = await runTripwire(trusted, ['--check-lock']);
  expect(stale.exitCode).toBe(1);
  expect(stale.stderr).toContain('trackers/retry.ts: hash differs from ORACLE.lock');
  expect(stale.stderr).toContain('oracle/verdict.ts: imports loop/run/run.ts; frozen code never imports loop/');
});
