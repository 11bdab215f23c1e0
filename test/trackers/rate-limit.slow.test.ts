// A vendor's usage or rate limit is not the ticket's failure: the pass waits and reruns its agent,
// and the attempt is not spent. Driven through the claude adapter and its CLI stand-in on PATH.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, SCRIPTED_AGENT, runCli } from '../helpers/cli.ts';
import { makeRepo, tempDir, writeTickets } from '../helpers/repo.ts';

test('a rate-limited worker is rerun within the same pass, which then ends on its own merits', async () => {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // the first call answers like Claude Code at its usage limit (retry in one second), later ones work; the
  // calls are counted in a file the agent sandbox lets it write (NIGHTSHIFT_SANDBOX_WRITABLE)
  const calls = join(dir, 'claude-calls');
  writeFileSync(calls, '');
  writeFileSync(join(bin, 'claude'), `#!/bin/sh
echo call >> "${calls}"
if [ "$(wc -l < "${calls}")" -eq 1 ]; then
  printf '{"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"Claude AI usage limit reached|%s","total_cost_usd":0,"session_id":"s"}\\n' "$(( $(date +%s) + 1 ))"
  exit 1
fi
STANDIN_SCENARIO=ok exec "${process.execPath}" "${join(ROOT, 'test', 'bin', 'claude')}" "$@"
`);
  chmodSync(join(bin, 'claude'), 0o755);
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: ['true'] }]);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, '{}');
  const reviewer = `command:${process.execPath} ${SCRIPTED_AGENT} ${planFile}`;
  const run = await runCli(['run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', 'claude', '--review', `${reviewer} a,${reviewer} b`, '--max-passes', '1', '--state', join(dir, 'state')],
    { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NIGHTSHIFT_LEDGER_DIR: dir, NIGHTSHIFT_SANDBOX_WRITABLE: calls } });
  const events = readFileSync(join(dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events.filter((e) => e.type === 'rate-limited')).toEqual([expect.objectContaining({ ticket: 'APP-1', pass: 1, detail: expect.stringContaining('usage limit') })]);
  expect(events.filter((e) => e.type === 'agent-start').map((e) => [e.pass, e.rerun])).toEqual([[1, undefined], [1, 1]]);
  // the stand-in worker claims complete without committing: the pass ends on that, not on the limit
  expect(events.find((e) => e.type === 'pass-end')).toMatchObject({ pass: 1, outcome: 'no-commits' });
  expect(run.exitCode).toBe(1);
});
