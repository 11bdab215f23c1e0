// The merge gate with scripted agents against the local tracker: two reviews, the post-merge replay
// and its revert, discovered work, and proven versus fake blocks.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseBatch } from '../../../trackers/batch.ts';
import { LEDGER, SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';
import type { TicketSpec } from '../../helpers/repo.ts';

type Call = { role: string; ticket: string; pass: number; prompt: string };

async function setup(plan: object, tickets: TicketSpec[], extra: string[] = []) {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const ticketsFile = writeTickets(join(dir, 'tickets.json'), 'APP', tickets);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const agent = (name: string) => `command:${process.execPath} ${SCRIPTED_AGENT} ${planFile} ${name}`;
  const batch = tickets.length === 1 ? 'APP-1' : `APP-1..APP-${tickets.length}`;
  const args = [batch, '--tracker', 'local', '--tickets', ticketsFile, '--repo', repo, '--agent', agent('worker'),
    '--review', `${agent('alpha')},${agent('beta')}`, '--max-passes', '3', '--state', join(dir, 'state'), ...extra];
  return {
    dir, repo, args, batch,
    calls: () => readFileSync(`${planFile}.calls`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Call),
    oracle: () => runCli(['oracle', batch, '--tracker', 'local', '--tickets', ticketsFile, '--repo', repo]),
    tickets: () => JSON.parse(readFileSync(ticketsFile, 'utf8')).tickets as Array<{ key: string; state: string; labels: string[]; blockedBy: string[]; comments: Array<{ body: string }>; description: string }>,
    merges: async (key: string) => (await git(repo, 'log', 'main', '--format=%(trailers:key=Nightshift-Ticket,valueonly)')).split('\n').filter((l) => l.trim() === key).length,
  };
}

const feature = { files: { 'feature.txt': 'x\n' }, commit: true };

test('a change one reviewer rejects does not merge; the next pass sees the findings; both approving merges it', async () => {
  const t = await setup({
    worker: feature,
    'reviewer:APP-1:1': { result: { verdict: 'changes', findings: [{ severity: 'high', message: 'feature.txt must end with a newline and be documented in README.md', file: 'feature.txt', line: 1 }] } },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }]);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: review-rejected/);
  const workers = t.calls().filter((c) => c.role === 'worker');
  expect(workers.map((c) => c.pass)).toEqual([1, 2]);
  expect(workers[1]?.prompt).toContain('[high] feature.txt:1: feature.txt must end with a newline and be documented in README.md');
  expect(await t.merges('APP-1')).toBe(1);
  const events = readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8');
  expect(events.match(/"type":"review",/g)).toHaveLength(4);
  expect((await t.oracle()).exitCode).toBe(0);
});

test('a reviewer that never gives valid JSON counts as changes after one retry', async () => {
  const t = await setup({ worker: feature, reviewer: { result: 'not json' } }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }], ['--max-passes', '1']);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(1);
  expect(t.calls().filter((c) => c.role === 'reviewer')).toHaveLength(4);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: review-rejected/);
  expect(readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8')).toContain('gave no valid verdict twice');
  expect(await t.merges('APP-1')).toBe(0);
});

test('a merge whose replay fails is reverted; the oracle agrees it is not done; the fixed next pass lands', async () => {
  // on the ticket's branch the check passes; on the merged head (detached) it needs fixed.txt too
  const verify = ['test -f feature.txt', 'test "$(git rev-parse --abbrev-ref HEAD)" != HEAD || test -f fixed.txt'];
  const t = await setup({ 'worker:APP-1:1': feature, 'worker:APP-1:2': { files: { 'fixed.txt': 'y\n' }, commit: true } }, [{ key: 'APP-1', verify }], ['--max-passes', '1']);
  const first = await runCli(['run', ...t.args]);
  expect(first.exitCode).toBe(1);
  expect(first.stdout).toMatch(/APP-1 replay failed/);
  expect(first.stdout).toMatch(/APP-1 merge [0-9a-f]{12} reverted/);
  expect(await git(t.repo, 'show', 'main:README.md')).toBe('app');
  await expect(git(t.repo, 'show', 'main:feature.txt')).rejects.toThrow();
  expect(t.tickets()[0]?.state).toBe('in_progress');
  expect(t.tickets()[0]?.comments.at(-1)?.body).toMatch(/was reverted because its replay on main failed/);
  expect((await t.oracle()).exitCode).toBe(1);

  const second = await runCli(['run', ...t.args.slice(0, -2), '--max-passes', '2']);
  expect(second.exitCode).toBe(0);
  expect(await git(t.repo, 'show', 'main:feature.txt')).toBe('x');
  expect(await git(t.repo, 'show', 'main:fixed.txt')).toBe('y');
  expect(t.calls().filter((c) => c.role === 'worker').at(-1)?.prompt).toContain('so the merge was reverted');
  expect((await t.oracle()).exitCode).toBe(0);
});

test('an activation gap becomes a ticket that blocks its own; both are worked and done', async () => {
  const gap = { title: 'Wire the feature into the startup path', description: 'merged but not live: nothing calls it.\n\n```verify\ntest -f wired.txt\n```', blocks: ['APP-1'] };
  const t = await setup({
    'worker:APP-1:1': { ...feature, result: { status: 'complete', summary: 'built it', discovered: [gap] } },
    'worker:APP-2': { files: { 'wired.txt': 'on\n' }, commit: true },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }]);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(0);
  const [one, two] = t.tickets();
  expect(two).toMatchObject({ key: 'APP-2', state: 'done', labels: [parseBatch('APP-1').label] });
  expect(two?.description).toContain('Discovered by nightshift while working APP-1');
  expect(one?.blockedBy).toEqual(['APP-2']);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: waiting-on-discovered/);
  // APP-1 landed only after APP-2
  expect(run.stdout.indexOf('APP-2 DONE')).toBeLessThan(run.stdout.indexOf('APP-1 DONE'));
  expect((await t.oracle()).exitCode).toBe(0);
  expect((await t.oracle()).stdout).toContain('2 of 2');
});

test('a fake block is rejected by the other model and retried; the next worker is told why', async () => {
  const t = await setup({
    'worker:APP-1:1': { result: { status: 'blocked', summary: 'I need a person to confirm the design', evidence: 'none really' } },
    'worker:APP-1:2': feature,
    'blocked-check': { result: { verdict: 'unproven', reason: 'the ticket already specifies the design; decide and go on' } },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }]);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: block-unproven/);
  expect(t.calls().find((c) => c.role === 'blocked-check')?.prompt).toContain('none really');
  expect(t.calls().filter((c) => c.role === 'worker')[1]?.prompt).toContain('the ticket already specifies the design; decide and go on');
  expect((await t.oracle()).exitCode).toBe(0);
});

test('a block without evidence is a failed pass without asking anyone', async () => {
  const t = await setup({ worker: { result: { status: 'blocked', summary: 'stuck', evidence: '' } } }, [{ key: 'APP-1', verify: ['true'] }], ['--max-passes', '1']);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain('the block came without evidence');
  expect(t.calls().some((c) => c.role === 'blocked-check')).toBe(false);
});

test('a proven block ends the batch as needing a human (exit 3) with the evidence in the intervention log', async () => {
  const evidence = '$ curl -sf https://vendor.example/api\ncurl: (22) The requested URL returned error: 401';
  const t = await setup({
    'worker:APP-1': feature,
    'worker:APP-2': { result: { status: 'blocked', summary: 'the vendor API key expired', evidence } },
    'blocked-check': { result: { verdict: 'proven', reason: 'a 401 with a valid request: only the key owner can renew it', cost_usd: 0.05 } },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }, { key: 'APP-2', verify: ['true'] }]);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(3);
  // the checker's cost is the pass's, so the batch budget sees it
  const passEnd = readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; ticket?: string; cost_usd?: number })
    .find((e) => e.type === 'pass-end' && e.ticket === 'APP-2');
  expect(passEnd?.cost_usd).toBeCloseTo(0.05);
  const gated = t.tickets()[1];
  expect(gated?.labels).toContain('human-gated');
  expect(gated?.comments.at(-1)?.body).toMatch(/^Human-gated: the vendor API key expired/);
  expect(gated?.comments.at(-1)?.body).toContain('error: 401');
  const interventions = readFileSync(join(t.dir, 'state', 'interventions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(interventions).toEqual([expect.objectContaining({ type: 'request', kind: 'work', ticket: 'APP-2', reason: 'the vendor API key expired', evidence: expect.stringContaining('error: 401') })]);
  const oracle = await t.oracle();
  expect(oracle.exitCode).toBe(0);
  expect(oracle.stdout).toContain('(1 human-gated)');
});

test('a ticket without a verify block is not silently passed: the worker adds one and it is used', async () => {
  const t = await setup({
    'worker:APP-1:1': feature,
    'worker:APP-1:2': { files: { '.nightshift/verify/APP-1': 'test -f feature.txt\ngrep -q x feature.txt\n' }, commit: true },
  }, [{ key: 'APP-1' }]);
  const run = await runCli(['run', ...t.args]);
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: no-verify/);
  expect(t.calls().find((c) => c.role === 'worker')?.prompt).toContain('Your first duty is to add one');
  expect((await t.oracle()).exitCode).toBe(0);
});

test('only the loop moves the target: a worker that moves it is undone, and a forged trailer never counts as a merge', async () => {
  const forge = `git commit -q --allow-empty -m "Merge it

Nightshift-Ticket: APP-2" && git update-ref refs/heads/main HEAD`;
  const t = await setup({
    'worker:APP-1:1': { files: { 'feature.txt': 'x\n' }, commit: true, shell: forge },
    'worker:APP-1': feature,
    // APP-2's worker slips a trailer naming APP-3 into its own commits, which land with APP-2's merge
    'worker:APP-2': { files: { 'two.txt': 'x\n' }, commit: true, message: 'two\n\nNightshift-Ticket: APP-3' },
    'worker:APP-3': { files: { 'three.txt': 'x\n' }, commit: true },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }, { key: 'APP-2', verify: ['test -f two.txt'] }, { key: 'APP-3', verify: ['test -f three.txt'], blockedBy: ['APP-2'] }]);
  const before = await git(t.repo, 'rev-parse', 'main');
  // the guard itself is under test: in the sandbox the move would change only the agent's private view
  const run = await runCli(['run', ...t.args, '--sandbox', 'off']);
  expect(run.exitCode).toBe(0);
  // the warning is in the plain event lines and in the summary at the end
  expect(run.stdout).toContain('WARNING: agents run without the OS sandbox (--sandbox off)');
  expect(run.stdout).toMatch(/^WARNING: {7}agents run without the OS sandbox/m);
  expect(run.stdout).toMatch(/APP-1 pass 1 ended: outside-changes/);
  const events = readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8');
  expect(events).toContain('"type":"foreign-target-move"');
  expect(events).not.toContain('"type":"merge-found"');
  // the forged commit never became part of main's own line; every ticket merged once, by the loop
  expect(await git(t.repo, 'log', '--first-parent', '--format=%an', `${before}..main`)).toMatch(/^(nightshift\n?)+$/);
  expect(t.calls().filter((c) => c.role === 'worker' && c.ticket === 'APP-3')).toHaveLength(1);
  expect(await t.merges('APP-1')).toBe(1);
  expect((await t.oracle()).exitCode).toBe(0);
});

/**
 * Two agents ordered by FIFOs, without a clock: APP-2's agent starts, then APP-1's runs `move` in its
 * worktree, then APP-2's ends and its pass is the first to find what APP-1 did; APP-1's ends only after
 * one of APP-2's reviews has started (of whichever pass of APP-2 gets one).
 */
async function besideAMove(move: string) {
  const sync = tempDir();
  const started = join(sync, 'started');
  const moved = join(sync, 'moved');
  const reviewed = join(sync, 'reviewed');
  execFileSync('mkfifo', [started, moved, reviewed]);
  const t = await setup({
    'worker:APP-1:1': { files: { 'feature.txt': 'x\n' }, commit: true, shell: `read x < ${started} && ${move} && echo > ${moved} && read x < ${reviewed}` },
    'worker:APP-1': feature,
    'worker:APP-2:1': { files: { 'two.txt': 'x\n' }, commit: true, shell: `echo > ${started} && read x < ${moved}` },
    'worker:APP-2': { files: { 'two.txt': 'x\n' }, commit: true },
    'reviewer:APP-2@alpha': { shell: `echo > ${reviewed}` },
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }, { key: 'APP-2', verify: ['test -f two.txt'] }], ['--workers', '2']);
  const run = await runCli(['run', ...t.args, '--sandbox', 'off']);
  const events = readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; ticket?: string; tickets?: string[]; problems?: string[] });
  return {
    t, run, events,
    failed: events.filter((e) => e.type === 'outside-changes'),
    workers: t.calls().filter((c) => c.role === 'worker').map((c) => `${c.ticket}:${c.pass}`).sort(),
  };
}

test('a move of the target, or a branch made outside the loop, fails the pass that made it, never another that ran beside it and found it', async () => {
  const { t, run, events, failed, workers } = await besideAMove('git commit -q --allow-empty -m forged && git update-ref refs/heads/main HEAD && git branch side HEAD');
  expect(run.exitCode).toBe(0);
  // APP-2's pass found and undid the move, and went on to land; APP-1's pass is the one that failed
  expect(events.find((e) => e.type === 'foreign-target-move')?.tickets).toEqual(['APP-2']);
  expect(failed.map((e) => e.ticket)).toEqual(['APP-1']);
  expect(failed[0]?.problems).toEqual([expect.stringMatching(/^main was moved to \w+ outside the loop; the loop moved it back$/), 'refs/heads/side was created']);
  expect(workers).toEqual(['APP-1:1', 'APP-1:2', 'APP-2:1']);
  expect(await t.merges('APP-1')).toBe(1);
  expect(await t.merges('APP-2')).toBe(1);
  expect((await t.oracle()).exitCode).toBe(0);
});

test('a move of the target to a commit no ticket branch made fails every pass under way, since any of their agents could have made it', async () => {
  // a commit on no branch: nothing tells which agent made it
  const { t, run, events, failed, workers } = await besideAMove('git update-ref refs/heads/main $(git commit-tree -p HEAD -m orphan HEAD^{tree})');
  expect(run.exitCode).toBe(0);
  expect(events.filter((e) => e.type === 'foreign-target-move').map((e) => e.tickets)).toEqual([['APP-2']]);
  expect(failed.map((e) => e.ticket).sort()).toEqual(['APP-1', 'APP-2']);
  for (const e of failed) expect(e.problems).toEqual([expect.stringMatching(/^main was moved to \w+ outside the loop; the loop moved it back$/)]);
  expect(workers).toEqual(['APP-1:1', 'APP-1:2', 'APP-2:1', 'APP-2:2']);
  expect(await t.merges('APP-1')).toBe(1);
  expect(await t.merges('APP-2')).toBe(1);
  expect((await t.oracle()).exitCode).toBe(0);
});

test('in the sandbox no agent can move the target: a move made meanwhile (a person\'s push) is undone and fails no pass', async () => {
  // the agent and the test meet over FIFOs: the agent runs, a person moves main, then the agent ends
  const sync = tempDir();
  const started = join(sync, 'started');
  const go = join(sync, 'go');
  execFileSync('mkfifo', [started, go]);
  const t = await setup({
    'worker:APP-1:1': { files: { 'feature.txt': 'x\n' }, commit: true, shell: `echo > ${started} && read x < ${go}` },
    'worker:APP-1': feature,
  }, [{ key: 'APP-1', verify: ['test -f feature.txt'] }]);
  const running = runCli(['run', ...t.args], { env: { ...process.env, NIGHTSHIFT_LEDGER_DIR: LEDGER, NIGHTSHIFT_SANDBOX_WRITABLE: `${started}:${go}` } });
  await Promise.race([readFile(started), running.then((r) => Promise.reject(new Error(`the run ended before its agent started:\n${r.stdout}\n${r.stderr}`)))]);
  const pushed = await git(t.repo, 'commit-tree', '-p', 'main', '-m', 'pushed by a person', 'main^{tree}');
  await git(t.repo, 'update-ref', 'refs/heads/main', pushed);
  await writeFile(go, 'go\n');
  const run = await running;
  expect(run.exitCode, run.stdout).toBe(0);
  const events = readFileSync(join(t.dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; found?: string });
  expect(events.filter((e) => e.type === 'foreign-target-move').map((e) => e.found)).toEqual([pushed]);
  expect(events.some((e) => e.type === 'outside-changes')).toBe(false);
  expect(t.calls().filter((c) => c.role === 'worker')).toHaveLength(1);
  expect(await t.merges('APP-1')).toBe(1);
  // kept for the person on a foreign ref, never on main
  await expect(git(t.repo, 'merge-base', '--is-ancestor', pushed, 'main')).rejects.toThrow();
  expect(await git(t.repo, 'for-each-ref', '--points-at', pushed, '--format=%(refname)', 'refs/nightshift/foreign/')).toMatch(/^refs\/nightshift\/foreign\/\d+$/);
  expect((await t.oracle()).exitCode).toBe(0);
});
