// `nightshift oracle --serve`, the one oracle process a run keeps: every question is judged from a
// fresh read (a change between two questions shows in the second answer), its answers are the
// one-shot oracle's, and the loop's session never takes silence, garbage or a dead oracle for done.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, expect, test } from 'vitest';
import { renderReceiptComment } from '../../oracle/receipt-write.ts';
import { openOracleSession } from '../../loop/schedule/oracle-client.ts';
import { runCli } from '../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../helpers/repo.ts';
import type { TicketSpec } from '../helpers/repo.ts';

const ORACLE = join(import.meta.dirname, '..', '..', 'oracle', 'cli.ts');
let repo: string;
let merge: string;

beforeAll(async () => {
  repo = await makeRepo(tempDir(), { 'README.md': 'x\n' });
  await git(repo, 'checkout', '-q', '-b', 'nightshift/ENG-1');
  await git(repo, 'commit', '-q', '--allow-empty', '-m', 'work');
  await git(repo, 'checkout', '-q', 'main');
  await git(repo, 'merge', '-q', '--no-ff', 'nightshift/ENG-1', '-m', 'Merge\n\nNightshift-Ticket: ENG-1');
  merge = await git(repo, 'rev-parse', 'HEAD');
});

const open: TicketSpec = { key: 'ENG-1' };
/** ENG-1 done with the receipt of its merge (made once the repo exists). */
const done = (): TicketSpec => ({
  key: 'ENG-1', state: 'done',
  comments: [{ author: 'nightshift', at: '2026-01-01T00:00:00Z', body: renderReceiptComment({ ticket: 'ENG-1', mergeCommit: merge, targetBranch: 'main', replayDigest: 'sha256:x', reviewers: [], run: 'r1' }) }],
});

function ticketsFile(tickets: TicketSpec[]): string {
  return writeTickets(join(tempDir(), 'tickets.json'), 'ENG', tickets);
}

test('each served question reads afresh, answers as the one-shot oracle does, and the process ends at the end of its input', async () => {
  const file = ticketsFile([open]);
  const child = execa(process.execPath, [ORACLE, 'ENG-1', '--tracker', 'local', '--tickets', file, '--repo', repo, '--serve'], { stdin: 'pipe', lines: true });
  const answers = child.iterable()[Symbol.asyncIterator]();
  child.stdin.write('first\n');
  const first = JSON.parse(String((await answers.next()).value)) as Record<string, unknown>;
  expect(first).toMatchObject({ question: 'first', verdict: 'not-done', exit_code: 1 });
  writeTickets(file, 'ENG', [done()]);
  child.stdin.write('second\n');
  const second = JSON.parse(String((await answers.next()).value)) as Record<string, unknown>;
  expect(second).toMatchObject({ question: 'second', verdict: 'done', exit_code: 0 });
  const { question: _q, ...served } = second;
  const oneShot = await runCli(['oracle', 'ENG-1', '--tracker', 'local', '--tickets', file, '--repo', repo, '--json']);
  expect(oneShot.exitCode).toBe(0);
  expect(served).toEqual(JSON.parse(oneShot.stdout));
  writeFileSync(file, '{"project": "ENG", "tickets": [');
  child.stdin.write('third\n');
  expect(JSON.parse(String((await answers.next()).value))).toMatchObject({ question: 'third', verdict: 'cannot-tell', exit_code: 2 });
  child.stdin.end();
  expect((await child).exitCode).toBe(0);
});

test('bad flags still end --serve at once with exit 2, and --help prints the usage with exit 0', async () => {
  const bad = await runCli(['oracle', 'ENG-1', '--tracker', 'trello', '--repo', repo, '--serve']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--tracker must be local, linear, jira or github');
  const help = await runCli(['oracle', '--help']);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain('--serve answers many questions from one process');
});

test("the loop's session asks one process many questions and starts another when the first dies", async () => {
  const file = ticketsFile([open]);
  const session = openOracleSession({ batch: 'ENG-1', tracker: 'local', tickets: file, repo, targetBranch: 'main' }, join(tempDir(), 'oracle.last.json'), process.env);
  try {
    expect(await session.ask()).toMatchObject({ verdict: 'not-done', exitCode: 1 });
    writeTickets(file, 'ENG', [done()]);
    expect(await session.ask()).toMatchObject({ verdict: 'done', exitCode: 0 });
    const servers = await execa('pgrep', ['-f', `${ORACLE} ENG-1 .*--tickets ${file} --serve`]);
    const pids = servers.stdout.trim().split('\n');
    expect(pids).toHaveLength(1);
    process.kill(Number(pids[0]), 'SIGKILL');
    // the question asked as the process dies gets "cannot tell", or a new process answers it
    const during = await session.ask();
    expect([0, 2]).toContain(during.exitCode);
    expect(await session.ask()).toMatchObject({ verdict: 'done', exitCode: 0 });
  } finally {
    await session.close();
  }
  expect((await execa('pgrep', ['-f', `${ORACLE} ENG-1 .*--tickets ${file} --serve`], { reject: false })).exitCode).toBe(1);
});

test('an oracle that cannot start is "cannot tell" for the session, never done', async () => {
  const session = openOracleSession({ batch: 'ENG-1..ENG-0', tracker: 'local', tickets: ticketsFile([open]), repo, targetBranch: 'main' }, join(tempDir(), 'oracle.last.json'), process.env);
  try {
    const answer = await session.ask();
    expect(answer).toMatchObject({ verdict: 'cannot-tell', exitCode: 2 });
    expect(answer.problem).toMatch(/the oracle process ended \(exit 2\)/);
  } finally {
    await session.close();
  }
});
