// The definition of done, rule by rule, through the real `nightshift oracle` against real git.
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { findGateReason, findReceipt } from '../../oracle/receipt.ts';
import { parseBatch } from '../../trackers/batch.ts';
import { renderGateComment, renderReceiptComment } from '../../oracle/receipt-write.ts';
import { runCli } from '../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../helpers/repo.ts';
import type { TicketSpec } from '../helpers/repo.ts';

const at = '2026-01-01T00:00:00Z';
let repo: string;
const merges: Record<string, string> = {};

/** A merge commit on main with a trailer naming `key` (or `trailerKey`), or one left on a side branch. */
async function merge(key: string, options: { trailerKey?: string | null; onTarget?: boolean } = {}): Promise<string> {
  const branch = `nightshift/${key}`;
  await git(repo, 'checkout', '-q', '-b', branch, 'main');
  await git(repo, 'commit', '-q', '--allow-empty', '-m', `work on ${key}`);
  const base = options.onTarget === false ? `side-${key}` : 'main';
  await git(repo, 'checkout', '-q', ...(base === 'main' ? ['main'] : ['-b', base, 'main']));
  const trailer = options.trailerKey === null ? '' : `\n\nNightshift-Ticket: ${options.trailerKey ?? key}`;
  await git(repo, 'merge', '-q', '--no-ff', branch, '-m', `Merge ${branch}${trailer}`);
  const commit = await git(repo, 'rev-parse', 'HEAD');
  await git(repo, 'checkout', '-q', 'main');
  return commit;
}

function receipt(key: string, commit: string, replay: 'passed' | 'failed' = 'passed') {
  const body = renderReceiptComment({ ticket: key, mergeCommit: commit, targetBranch: 'main', replayDigest: 'sha256:x', reviewers: [{ agent: 'a', verdict: 'approve' }], run: 'r1' });
  return { author: 'nightshift', body: replay === 'passed' ? body : body.replace('"replay":"passed"', '"replay":"failed"'), at };
}

async function oracle(tickets: TicketSpec[], batch: string, extra: string[] = []) {
  const file = writeTickets(join(tempDir(), 'tickets.json'), 'ENG', tickets);
  return runCli(['oracle', batch, '--tracker', 'local', '--tickets', file, '--repo', repo, ...extra]);
}

beforeAll(async () => {
  repo = await makeRepo(tempDir(), { 'README.md': 'x\n' });
  for (const key of ['ENG-1', 'ENG-2', 'ENG-3']) merges[key] = await merge(key);
  merges.offTarget = await merge('ENG-4', { onTarget: false });
  merges.noTrailer = await merge('ENG-5', { trailerKey: null });
  merges.otherTrailer = await merge('ENG-6', { trailerKey: 'ENG-1' });
});

const done = (key: string): TicketSpec => ({ key, state: 'done', comments: [receipt(key, merges[key]!)] });

describe('nightshift oracle', () => {
  test('every ticket done with a valid receipt: exit 0, one line per ticket', async () => {
    const result = await oracle([done('ENG-1'), done('ENG-2'), done('ENG-3')], 'ENG-1..ENG-3');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(4);
    expect(result.stdout).toMatch(/^ENG-1 +done +merged [0-9a-f]{10} on main, replay passed$/m);
    expect(result.stdout).toContain('oracle: DONE - 3 of 3');
  });

  test.each([
    ['in progress', { key: 'ENG-3', state: 'in_progress' }, /state is in_progress/],
    ['done without a receipt', { key: 'ENG-3', state: 'done' }, /done without a nightshift receipt/],
    ['a receipt whose merge is not on the target', { key: 'ENG-3', state: 'done', comments: [receipt('ENG-3', '')] }, /invalid receipt/],
    ['canceled', { key: 'ENG-3', state: 'canceled' }, /state is canceled/],
    ['human-gated without a reason', { key: 'ENG-3', state: 'todo', labels: ['human-gated'], comments: [{ author: 'p', body: 'please look', at }] }, /no comment gives the reason/],
  ] as Array<[string, TicketSpec, RegExp]>)('%s: exit 1', async (_name, ticket, reason) => {
    const result = await oracle([done('ENG-1'), done('ENG-2'), ticket], 'ENG-1..ENG-3');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(reason);
    expect(result.stdout).toContain('oracle: NOT DONE - 2 of 3');
  });

  test('receipts that do not hold up against git: exit 1', async () => {
    const cases: Array<[TicketSpec, RegExp]> = [
      [{ key: 'ENG-4', state: 'done', comments: [receipt('ENG-4', merges.offTarget!)] }, /not a trailer-carrying commit on main/],
      [{ key: 'ENG-5', state: 'done', comments: [receipt('ENG-5', merges.noTrailer!)] }, /not a trailer-carrying commit on main/],
      [{ key: 'ENG-6', state: 'done', comments: [receipt('ENG-6', merges.otherTrailer!)] }, /no "Nightshift-Ticket: ENG-6" trailer/],
      [{ key: 'ENG-3', state: 'done', comments: [receipt('ENG-3', merges['ENG-3']!, 'failed')] }, /replay failed/],
      [{ key: 'ENG-3', state: 'done', comments: [receipt('ENG-2', merges['ENG-2']!)] }, /receipt names ENG-2, not ENG-3/],
    ];
    for (const [ticket, reason] of cases) {
      const result = await oracle([ticket], ticket.key);
      expect(result.exitCode, ticket.key).toBe(1);
      expect(result.stdout).toMatch(reason);
    }
  });

  test('the latest receipt decides', async () => {
    const stale = { key: 'ENG-3', state: 'done' as const, comments: [receipt('ENG-3', merges['ENG-3']!), receipt('ENG-3', merges.offTarget!)] };
    expect((await oracle([stale], 'ENG-3')).exitCode).toBe(1);
  });

  test('human-gated with a reason counts as satisfied (the run then needs a human)', async () => {
    const gated = { key: 'ENG-3', state: 'todo' as const, labels: ['human-gated'], comments: [{ author: 'nightshift', body: renderGateComment('the vendor API key expired', 'HTTP 401 from api.vendor'), at }] };
    const result = await oracle([done('ENG-1'), gated], 'ENG-1,ENG-3', ['--json']);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ verdict: 'done', exit_code: 0, gated: 1, batch: 'ENG-1,ENG-3' });
    expect(json.tickets[1]).toMatchObject({ key: 'ENG-3', satisfied: true, via: 'human-gated' });
  });

  test('an open discovered ticket (batch label) keeps the batch not done', async () => {
    const label = parseBatch('ENG-1..ENG-2').label;
    const result = await oracle([done('ENG-1'), done('ENG-2'), { key: 'ENG-9', labels: [label] }], 'ENG-1..ENG-2');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^ENG-9 +open/m);
  });

  test('cannot tell is exit 2, never 0', async () => {
    const missing = await oracle([done('ENG-1')], 'ENG-1..ENG-2');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('the tracker has no ticket ENG-2');

    const unreadable = await runCli(['oracle', 'ENG-1', '--tracker', 'local', '--tickets', join(tempDir(), 'none.json'), '--repo', repo, '--json']);
    expect(unreadable.exitCode).toBe(2);
    expect(JSON.parse(unreadable.stdout)).toMatchObject({ verdict: 'cannot-tell', exit_code: 2 });

    const noBranch = await oracle([done('ENG-1')], 'ENG-1', ['--target-branch', 'release']);
    expect(noBranch.exitCode).toBe(2);
    expect(noBranch.stderr).toContain('the target branch release does not exist');

    const notRepo = await runCli(['oracle', 'ENG-1', '--tracker', 'local', '--tickets', 'x.json', '--repo', tempDir()]);
    expect(notRepo.exitCode).toBe(2);
  });

  test('usage errors are exit 2 with the usage text', async () => {
    const noRepo = await runCli(['oracle', 'ENG-1', '--tracker', 'local']);
    expect(noRepo.exitCode).toBe(2);
    expect(noRepo.stderr).toContain('--repo DIR is required');
    const badTracker = await runCli(['oracle', 'ENG-1', '--tracker', 'trello', '--repo', '.']);
    expect(badTracker.exitCode).toBe(2);
    expect(badTracker.stderr).toContain('--tracker must be local, linear, jira or github, not "trello"');
    const unknownFlag = await runCli(['oracle', 'ENG-1', '--trackr', 'local']);
    expect(unknownFlag.exitCode).toBe(2);
  });
});

describe('receipt format', () => {
  test('what the loop writes is what the oracle reads', () => {
    const body = renderReceiptComment({ ticket: 'ENG-1', mergeCommit: 'a'.repeat(40), targetBranch: 'main', replayDigest: 'sha256:1', reviewers: [{ agent: 'claude', verdict: 'approve' }, { agent: 'codex', verdict: 'approve' }], run: 'r' });
    expect(findReceipt([{ body }])).toEqual({ kind: 'found', receipt: { version: 1, ticket: 'ENG-1', merge_commit: 'a'.repeat(40), target_branch: 'main', replay: 'passed', replay_digest: 'sha256:1', reviewers: [{ agent: 'claude', verdict: 'approve' }, { agent: 'codex', verdict: 'approve' }], run: 'r' } });
    expect(findGateReason([{ body: renderGateComment('needs  a\nhuman', 'log') }])).toBe('needs a human');
    expect(findGateReason([{ body: 'Human-gated:   ' }])).toBeUndefined();
  });
});
