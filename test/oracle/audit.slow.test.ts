// Every "done" of `nightshift run` is confirmed by frozen code (heal/confirm.ts, oracle/audit.ts): a
// later merge that breaks an earlier ticket is caught by the final audit and repaired by a new pass;
// a lying loop committed straight into a checkout never ends a run as done; `nightshift audit` reopens
// a ticket whose receipt claims more than the final head holds.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT, SCRIPTED_AGENT, runCli } from '../helpers/cli.ts';
import { makeLyingCheckout } from '../helpers/lying-loop.ts';
import { git, makeRepo, tempDir, writeTickets } from '../helpers/repo.ts';

type Event = { type: string; ticket?: string; [field: string]: unknown };
const events = (state: string): Event[] => readFileSync(join(state, 'events.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

function plan(dir: string, steps: object): string {
  const file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify(steps));
  return `command:${process.execPath} ${SCRIPTED_AGENT} ${file}`;
}

async function oracleJson(cli: string, args: string[]): Promise<{ exit: number; tickets: Array<{ key: string; via: string | null; reason: string }> }> {
  const run = await execa(process.execPath, [cli, 'oracle', ...args, '--json'], { reject: false, stdin: 'ignore' });
  return { exit: run.exitCode ?? 2, tickets: (JSON.parse(run.stdout) as { tickets: Array<{ key: string; via: string | null; reason: string }> }).tickets };
}

test('a later merge that breaks an earlier ticket is caught by the final audit and repaired by a new pass', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'audit\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'AUD', [
    { key: 'AUD-1', verify: ['test -f a.txt'] },
    { key: 'AUD-2', verify: ['test -f b.txt'], blockedBy: ['AUD-1'] },
  ]);
  const agent = plan(dir, {
    'worker:AUD-1:1': { files: { 'a.txt': 'a\n' }, commit: true },
    // AUD-2 does its own work and, on the side, deletes AUD-1's file: its own finish line passes
    'worker:AUD-2': { files: { 'b.txt': 'b\n' }, shell: 'git rm -q a.txt && git add b.txt && git commit -q -m "AUD-2, and a.txt removed on the side"' },
    'worker:AUD-1:2': { files: { 'a.txt': 'a again\n' }, commit: true },
  });
  const state = join(dir, 'state');
  const run = await runCli(['run', 'AUD-1..AUD-2', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent, '--review', `${agent},${agent}`, '--state', state], { timeoutMs: 300_000 });
  expect(run.exitCode, run.stderr).toBe(0);
  const audits = events(state).filter((e) => e.type === 'audit');
  expect(audits.map((a) => ({ round: a.round, passed: a.passed, failed: (a.failed as Array<{ ticket: string }>).map((f) => f.ticket) }))).toEqual([
    { round: 1, passed: ['AUD-2'], failed: ['AUD-1'] },
    { round: 2, passed: ['AUD-1', 'AUD-2'], failed: [] },
  ]);
  // the repair is a second merge of AUD-1, after the audit reopened it; the final head holds both files
  const merges = (await git(repo, 'log', '--first-parent', '--format=%(trailers:key=Nightshift-Ticket,valueonly)', 'main')).split('\n').filter(Boolean);
  expect(merges).toEqual(['AUD-1', 'AUD-2', 'AUD-1']);
  expect((await git(repo, 'ls-tree', '--name-only', 'main')).split('\n').sort()).toEqual(['README.md', 'a.txt', 'b.txt']);
  const oracle = await oracleJson(`${ROOT}heal/cli.ts`, ['AUD-1..AUD-2', '--tracker', 'local', '--tickets', tickets, '--repo', repo]);
  expect(oracle.exit).toBe(0);
  expect(oracle.tickets.map((t) => t.via)).toEqual(['receipt', 'receipt']);
  // the morning's report and status say what the audit found and did
  const report = await runCli(['report', state]);
  expect(report.stdout).toMatch(/^final audit: {3}round 2: 2 passed on [0-9a-f]{12}$/m);
  expect(report.stdout).toMatch(/audit round 1: 1 passed, FAILED AUD-1 \(`test -f a\.txt` exit 1\), reopened AUD-1 on [0-9a-f]{12}$/m);
  expect(report.stdout.match(/the loop said exit 0; the oracle agreed/g)).toHaveLength(2);
  const status = JSON.parse((await runCli(['status', '--state', state, '--json'])).stdout) as { audit: { round: number; failed: unknown[] } };
  expect(status.audit).toMatchObject({ round: 2, failed: [] });
}, 300_000);

test('a lying loop committed into the checkout never ends a run as done: the oracle asked on its own and the audit overrule it', async () => {
  const dir = tempDir();
  const cli = await makeLyingCheckout(join(dir, 'nightshift'));
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'liar\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'LIE', [1, 2, 3].map((n) => ({ key: `LIE-${n}`, verify: [`test -f feature-${n}.txt`] })));
  const agent = plan(dir, {});
  const state = join(dir, 'state');
  mkdirSync(state);
  const run = await execa(process.execPath, [cli, 'run', 'LIE-1..LIE-3', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent, '--review', `${agent},${agent}`, '--state', state], {
    reject: false, stdin: 'ignore', timeout: 300_000, env: { ...process.env, NIGHTSHIFT_LEDGER_DIR: tempDir() },
  });
  expect(run.exitCode, run.stderr).not.toBe(0);
  expect(run.exitCode).toBe(3);
  const all = events(state);
  expect(all.filter((e) => e.type === 'confirm').map((e) => e.loop_exit)).toEqual([0, 0, 0]);
  expect(all.filter((e) => e.type === 'audit').map((e) => (e.failed as unknown[]).length)).toEqual([3, 3, 3]);
  const oracle = await oracleJson(`${ROOT}heal/cli.ts`, ['LIE-1..LIE-3', '--tracker', 'local', '--tickets', tickets, '--repo', repo]);
  // nothing counts as done through a receipt: every ticket waits for a person, with the audit's evidence
  expect(oracle.tickets.map((t) => t.via)).toEqual(['human-gated', 'human-gated', 'human-gated']);
  expect(oracle.tickets[0]?.reason).toContain('the final audit failed');
}, 300_000);

test('nightshift audit reopens a done ticket whose finish line fails on the final head; the oracle then says not done', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const head = await git(repo, 'rev-parse', 'HEAD');
  const tree = await git(repo, 'rev-parse', 'HEAD^{tree}');
  const side = await git(repo, 'commit-tree', tree, '-p', head, '-m', 'side');
  const merge = await git(repo, 'commit-tree', tree, '-p', head, '-p', side, '-m', 'Merge AUD-1\n\nNightshift-Ticket: AUD-1');
  await git(repo, 'update-ref', 'refs/heads/main', merge);
  const receipt = `\`\`\`nightshift-receipt\n${JSON.stringify({ version: 1, ticket: 'AUD-1', merge_commit: merge, target_branch: 'main', replay: 'passed', replay_digest: 'sha256:x', reviewers: [], run: 'r' })}\n\`\`\``;
  const tickets = writeTickets(join(dir, 'tickets.json'), 'AUD', [{ key: 'AUD-1', verify: ['echo checking', 'test -f a.txt'], state: 'done', comments: [{ author: 'nightshift', body: receipt, at: '2026-12-01T00:00:00Z' }] }]);
  const args = ['AUD-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo];
  expect((await runCli(['oracle', ...args])).exitCode).toBe(0);
  const report = await runCli(['audit', ...args, '--report-only']);
  expect(report.exitCode).toBe(1);
  expect(report.stdout).toMatch(/^AUD-1 {2}FAILED {2}`test -f a\.txt` exit 1$/m);
  expect((await runCli(['oracle', ...args])).exitCode).toBe(0); // --report-only wrote nothing
  const audit = await runCli(['audit', ...args, '--json']);
  expect(audit.exitCode).toBe(1);
  expect(JSON.parse(audit.stdout)).toMatchObject({ kind: 'audited', head: merge, reopened: ['AUD-1'], tickets: [{ key: 'AUD-1', result: 'failed', command: 'test -f a.txt', exit: 'exit 1' }] });
  const oracle = await oracleJson(`${ROOT}heal/cli.ts`, args);
  expect(oracle.exit).toBe(1);
  expect(oracle.tickets[0]?.reason).toBe(`state is todo`);
  const bad = await runCli(['audit', ...args, '--workers', 'zero']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--workers takes a positive number');
}, 120_000);
