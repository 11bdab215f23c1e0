// `nightshift status` from another terminal: a finished batch, a running one (its loop's pid alive and
// its run not ended), a stopped one (the pid gone), the list under the state root, and bad input.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { recordedEvents, writeRecordedStateDir } from '../report/report-events.fixture.ts';

/** The recorded batch cut after `count` events, owned by the loop `pid`. */
function midRunStateDir(count: number, pid: number, parent?: string): string {
  const dir = writeRecordedStateDir(parent);
  writeFileSync(join(dir, 'events.jsonl'), recordedEvents().slice(0, count).map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'loop.pid'), String(pid));
  return dir;
}
const DEAD_PID = 2 ** 22 + 12345; // above Linux's largest pid_max: never a live process

test('a finished batch: liveness, the block, the latest events and the report commands', async () => {
  const dir = writeRecordedStateDir();
  const result = await runCli(['status', '--state', dir]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout.replaceAll(dir, '<DIR>')).toMatchInlineSnapshot(`
    "state dir: <DIR>
    loop:      finished (pid 4206649)
    run:       20261121T020000-bbbbbb, started 2026-11-21 01:48:00Z, ended: exit 3 - 1 ticket(s) need a human
    budgets:   batch $2.70 of $25.00 · 2026-11-21 $2.70 of no cap a day · per ticket $1.60 (ENG-1) of no cap

    nightshift ENG-1..ENG-3  ran 29:00  up to 2 agent(s) at a time
    progress [███████████████░░░░░] 3/4 done · 0 running · 0 ready · 1 blocked · 0 gated
    oracle not-done 3/4  cost $2.70 of $25.00  heals 2 (1 accepted)  interventions 2 (work 1, harness 1)
      (no worker running)

    latest events:
      02:10:00 ENG-4 replay passed
      02:11:00 ENG-4 DONE (receipt written)
      02:12:00 ENG-4 pass 2 ended: landed ($0.20)
      02:13:00 heal started: ENG-3: the same check failed three passes in a row
      02:14:00 heal ended: gap, tripwire rejected - relax the done rule
      02:15:00 intervention (harness): raised the worker time limit
      02:16:00 oracle: not-done (3/4 satisfied)
      02:17:00 run ended: exit 3 - 1 ticket(s) need a human

    report:    nightshift report <DIR>
               nightshift report --html --out <DIR>/report.html <DIR>"
  `);
});

test('a running batch: its workers with pass, agent and last event; --json has the same facts', async () => {
  const dir = midRunStateDir(27, process.pid);
  const text = await runCli(['status', '--state', dir]);
  expect(text.stdout).toContain(`loop:      running (pid ${process.pid})`);
  expect(text.stdout).toMatch(/^progress \[█{5}░{15}\] 1\/4 done · 1 running · 0 ready · 1 blocked · 0 gated$/m);
  expect(text.stdout).toMatch(/^ {2}ENG-1 {2}pass 2\/4 {2}agent\.mjs +\d+:\d\d:\d\d {2}reviewer\.mjs --as alpha: changes$/m);
  const json = JSON.parse((await runCli(['status', '--state', dir, '--json'])).stdout) as Record<string, unknown>;
  expect(json).toMatchObject({
    loop: 'running', pid: process.pid, batch: 'ENG-1..ENG-3',
    progress: { done: 1, total: 4, blocked: 1 },
    oracle: { verdict: 'not-done', satisfied: 1, total: 4 },
    running: [{ ticket: 'ENG-1', pass: 2, agent: 'agent.mjs', last_event: 'reviewer.mjs --as alpha: changes' }],
    spent_usd: 1, budget_usd: 25, heals: 0, interventions: { work: 0, harness: 0 },
  });
});

test('a batch whose loop died mid-run says so and how to continue', async () => {
  const dir = midRunStateDir(27, DEAD_PID);
  const result = await runCli(['status', '--state', dir]);
  expect(result.stdout).toContain(`loop:      stopped: its loop is gone and its run has no end (killed?); run the same \`nightshift run\` to continue the batch (pid ${DEAD_PID})`);
  expect(result.stdout).toContain('(no worker running)');
});

test('without --state: every batch under the state root, most recent first, with the running one in detail', async () => {
  const xdg = mkdtempSync(join(tmpdir(), 'nightshift-xdg-'));
  const finished = join(xdg, 'nightshift', 'app-1a2b3c4d', 'nightshift-0badcafe');
  const running = join(xdg, 'nightshift', 'web-99887766', 'nightshift-12345678');
  mkdirSync(finished, { recursive: true });
  mkdirSync(running, { recursive: true });
  cpSync(writeRecordedStateDir(), finished, { recursive: true });
  cpSync(midRunStateDir(27, process.pid), running, { recursive: true });
  const result = await runCli(['status'], { env: { ...process.env, XDG_STATE_HOME: xdg } });
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toBe(`nightshift status: 2 batch(es) under ${join(xdg, 'nightshift')}, most recent first`);
  expect(lines.slice(1, 3).map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(['finished', 'running']);
  expect(result.stdout).toContain(`state dir: ${running}\nloop:      running`);
  const json = JSON.parse((await runCli(['status', '--json'], { env: { ...process.env, XDG_STATE_HOME: xdg } })).stdout) as { runs: Array<{ state: string }> };
  expect(json.runs.map((r) => r.state).sort()).toEqual([finished, running].sort());
});

test('without --state, the "state" of ./nightshift.config.json is the batch to show', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nightshift-cwd-'));
  const dir = writeRecordedStateDir(cwd);
  writeFileSync(join(cwd, 'nightshift.config.json'), JSON.stringify({ tracker: 'local', state: 'state' }));
  const result = await runCli(['status'], { cwd });
  expect(result.exitCode).toBe(0);
  expect(result.stdout.split('\n')[0]).toBe(`state dir: ${dir}`);
});

test.each([
  [['status', '--state', '/nonexistent/state'], /\/nonexistent\/state is not a directory/],
  [['status', '--stat', 'x'], /Unknown option '--stat'[\s\S]*usage: nightshift status/],
  [['status', 'extra'], /Unexpected argument 'extra'/],
])('%j is exit 2 with what to do', async (args, message) => {
  const result = await runCli(args);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(message);
});

test('a bad nightshift.config.json in the working directory is exit 2 with its dotted path', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nightshift-cwd-'));
  writeFileSync(join(cwd, 'nightshift.config.json'), JSON.stringify({ state: 7 }));
  const result = await runCli(['status'], { cwd });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/nightshift\.config\.json is invalid:\n {2}state: /);
});

test('between runs, a heal pass that has started and not ended shows as healing', async () => {
  const healStart = recordedEvents().findIndex((e) => e.type === 'heal-start');
  const dir = midRunStateDir(healStart + 1, DEAD_PID);
  const json = JSON.parse((await runCli(['status', '--state', dir, '--json'])).stdout) as Record<string, unknown>;
  expect(json).toMatchObject({ loop: 'healing', heals: 1 });
  const text = await runCli(['status', '--state', dir]);
  expect(text.stdout).toContain('loop:      healing: the loop stopped short of done and the supervisor is running a heal pass');
});
