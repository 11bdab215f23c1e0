// The whole loop against Linear, Jira and GitHub: the demo batch, copied into a simulator, run by the real
// `nightshift run --tracker linear|jira|github` (scripted agents, real git) until the oracle says done, with
// the tracker's own state showing every ticket done, discovered work filed, and no doubled comment.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { setupDemo } from '../../../loop/demo/setup.ts';
import type { SimTicket } from '../../sim/fixtures.ts';
import { startHarness } from '../../sim/harness.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/repo.ts';

describe.each(['linear', 'jira', 'github'] as const)('nightshift run --tracker %s', (kind) => {
  test('works the demo batch to the oracle\'s DONE', async () => {
    const demo = await setupDemo(undefined, process.cwd());
    const tickets = (JSON.parse(readFileSync(demo.tickets, 'utf8')) as { tickets: SimTicket[] }).tickets;
    const h = await startHarness(kind, { tickets });
    try {
      const args = demo.runArgs.map((a) => a);
      const at = args.indexOf('--tracker');
      args.splice(at, 4, ...h.args); // replace `--tracker local --tickets FILE`
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NIGHTSHIFT_LEDGER_DIR: tempDir(), ...h.env };
      const run = await runCli(['run', ...args], { env, timeoutMs: 240_000 });
      expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
      const oracle = await runCli(['oracle', args[0] ?? '', ...h.args, '--repo', demo.repo], { env });
      expect(oracle.exitCode, oracle.stdout.slice(-1500) + oracle.stderr.slice(-1500)).toBe(0);
      const state = h.state();
      expect(state.length).toBeGreaterThan(tickets.length);
      for (const t of state) {
        expect(t.state).toBe('done');
        const bodies = t.comments.map((c) => c.body);
        for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);
      }
      expect(h.rejected).toEqual([]);
      process.stdout.write(`${kind}: demo run of ${state.length} tickets = ${h.requests()} tracker requests (run and oracle)\n`);
    } finally {
      await h.close();
    }
  }, 300_000);
});
