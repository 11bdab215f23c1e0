// `nightshift tripwire --check-lock` on a trusted checkout: it passes with a fresh lock and fails after
// any edit, addition or removal under oracle/ or heal/, naming the file.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { makeTrusted, runTripwire } from './heals/fixture.ts';

test('the lock check passes on a fresh lock and names every stale file', async () => {
  const trusted = await makeTrusted();
  const fresh = await runTripwire(trusted, ['--check-lock']);
  expect(fresh.exitCode).toBe(0);
  expect(fresh.stdout).toContain('ORACLE.lock matches oracle/ and heal/');

  writeFileSync(join(trusted, 'oracle', 'cases', 'all-done.json'), '{}\n');
  writeFileSync(join(trusted, 'heal', 'extra.ts'), 'export {};\n');
  rmSync(join(trusted, 'oracle', 'cases', 'canceled.json'));
  const stale = await runTripwire(trusted, ['--check-lock']);
  expect(stale.exitCode).toBe(1);
  expect(stale.stderr).toContain('oracle/cases/all-done.json: hash differs from ORACLE.lock');
  expect(stale.stderr).toContain('oracle/cases/canceled.json: locked but missing');
  expect(stale.stderr).toContain('heal/extra.ts: not in ORACLE.lock');
});
