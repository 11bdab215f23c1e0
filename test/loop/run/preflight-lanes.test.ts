// The preflight runs the batch's distinct finish lines in as many lanes as the run has workers, through
// the real `nightshift run`: lines that can only pass together (each waits on a FIFO the other opens)
// pass; a line that looks unable to start only while another runs beside it is run again alone and
// counts as what it does then; a line that truly cannot start still stops the run with exit 2 before any
// agent starts, with the results of the lines before it in order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

type Event = { type: string; [field: string]: unknown };
const events = (state: string): Event[] => readFileSync(join(state, 'events.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

async function setUp(prefix: string, lines: string[][]) {
  const dir = tempDir(`nightshift-preflight-lanes-${prefix}-`);
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'PF', lines.map((verify, i) => ({ key: `PF-${i + 1}`, verify })));
  const plan = join(dir, 'plan.json');
  await execa('sh', ['-c', `echo '{}' > '${plan}'`]);
  const agent = `command:${process.execPath} ${SCRIPTED_AGENT} ${plan}`;
  const state = join(dir, 'state');
  const run = (workers: number) => runCli(['run', `PF-1..PF-${lines.length}`, '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent,
    '--review', `${agent} a,${agent} b`, '--state', state, '--workers', String(workers), '--no-setup'], { env: { ...process.env, NIGHTSHIFT_CACHE_DIR: join(dir, 'cache') } });
  return { dir, state, tickets, run };
}

test('finish lines run side by side in the preflight; one that truly cannot start still stops the run before any agent', async () => {
  const dir = tempDir('nightshift-preflight-fifo-');
  await execa('mkfifo', [join(dir, 'meet')]);
  // each end of a FIFO blocks until the other opens it: run one after the other, the first times out
  const writer = `timeout 60 sh -c 'echo met > ${join(dir, 'meet')}'`;
  const reader = `timeout 60 cat ${join(dir, 'meet')}`;
  const { state, tickets, run } = await setUp('fifo', [[writer], [reader], ['no-such-tool-nightshift-test --check']]);
  const result = await run(3);
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).toContain('preflight: the finish line `no-such-tool-nightshift-test --check` cannot start on main');
  expect(result.stderr).toContain('No agent was started.');
  expect(events(state).find((e) => e.type === 'preflight')).toMatchObject({
    result: 'cannot-start',
    results: [{ command: writer, result: 'passed' }, { command: reader, result: 'passed' }, { command: 'no-such-tool-nightshift-test --check', result: 'cannot-start', exit: 'exit 127' }],
  });
  expect(events(state).filter((e) => e.type === 'agent-start')).toEqual([]);
  expect(JSON.parse(readFileSync(tickets, 'utf8')).tickets.map((t: { state: string }) => t.state)).toEqual(['todo', 'todo', 'todo']);
}, 120_000);

test('a finish line that looks unable to start only beside another is run again alone: its own result counts', async () => {
  const dir = tempDir('nightshift-preflight-again-');
  await execa('mkfifo', [join(dir, 'other-runs')]);
  const ran = join(dir, 'ran-once');
  // the first time (beside the other line, which it waits for) it says a tool is missing; alone, it fails as a baseline
  const flaky = `if [ ! -e ${ran} ]; then touch ${ran}; timeout 60 cat ${join(dir, 'other-runs')} >/dev/null; echo "sometool: not found" >&2; exit 127; fi; test -f done.txt`;
  const other = `timeout 60 sh -c 'echo here > ${join(dir, 'other-runs')}'`;
  const { state, run } = await setUp('again', [[flaky], [other], ['no-such-tool-nightshift-test']]);
  const result = await run(2);
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).toContain('the finish line `no-such-tool-nightshift-test` cannot start');
  expect(result.stderr).not.toContain('sometool');
  expect(events(state).find((e) => e.type === 'preflight')).toMatchObject({
    result: 'cannot-start',
    results: [{ command: flaky, result: 'failed', exit: 'exit 1' }, { command: other, result: 'passed' }, { command: 'no-such-tool-nightshift-test', result: 'cannot-start' }],
  });
  expect(readFileSync(join(state, 'passes', 'preflight', '0', 'finish-line-1.log'), 'utf8')).toContain('sometool: not found');
}, 120_000);
