// The oracle through the real adapters against the simulators: what a check and a ticket's life cost in
// requests (counted by the simulator, not by us), and that a failing or faulty tracker never yields
// exit 0 (a failed read is "cannot tell", exit 2).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderReceiptComment } from '../../oracle/receipt-write.ts';
import { runOracleCommand } from '../../oracle/command.ts';
import { parseBatch } from '../../trackers/batch.ts';
import { generateTickets } from '../sim/fixtures.ts';
import type { SimTicket } from '../sim/fixtures.ts';
import type { FaultPlan } from '../sim/faults.ts';
import { startHarness } from '../sim/harness.ts';
import { startLinearSim } from '../sim/linear-server.ts';
import type { TrackerHarness } from '../sim/harness.ts';
import { ROOT } from '../helpers/cli.ts';
import { git, makeRepo, tempDir } from '../helpers/repo.ts';

type Remote = 'linear' | 'jira' | 'github';
const REMOTES: Remote[] = ['linear', 'jira', 'github'];
/** Requests one check of 250 tickets may cost: Linear and Jira read a batch in pages; GitHub in GraphQL
 *  queries of 50 issues by number. */
const CHECK_250: Record<Remote, number> = { linear: 3, jira: 3, github: 5 };
let repo: string;
const merges = new Map<string, string>();

async function merge(key: string): Promise<string> {
  await git(repo, 'checkout', '-q', '-b', `nightshift/${key}`, 'main');
  await git(repo, 'commit', '-q', '--allow-empty', '-m', `work on ${key}`);
  await git(repo, 'checkout', '-q', 'main');
  await git(repo, 'merge', '-q', '--no-ff', `nightshift/${key}`, '-m', `Merge nightshift/${key}\n\nNightshift-Ticket: ${key}`);
  return git(repo, 'rev-parse', 'HEAD');
}

const receipt = (key: string) => renderReceiptComment({
  ticket: key, mergeCommit: merges.get(key) ?? '', targetBranch: 'main', replayDigest: 'sha256:x', reviewers: [{ agent: 'a', verdict: 'approve' }], run: 'r1',
});

/** ENG-1..3 done with receipts whose merges are on main; ENG-4 merged but still todo (to be worked). */
function doneBatch(): SimTicket[] {
  return ['ENG-1', 'ENG-2', 'ENG-3', 'ENG-4'].map((key) => ({
    key, title: key, description: '', state: key === 'ENG-4' ? 'todo' : 'done', labels: [], blockedBy: [],
    comments: key === 'ENG-4' ? [] : [{ author: 'nightshift', body: receipt(key), at: '2026-01-01T00:00:00.000Z' }],
  }));
}

async function oracle(h: Pick<TrackerHarness, 'args' | 'env'>, batch: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runOracleCommand([batch, ...h.args, '--repo', repo], {
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { PATH: process.env.PATH ?? '', ...h.env, ...env }, cwd: repo,
  });
  return { exitCode, stdout, stderr };
}

async function withHarness<T>(kind: Remote, tickets: SimTicket[], faults: FaultPlan | undefined, use: (h: TrackerHarness) => Promise<T>, seed = 1): Promise<T> {
  const h = await startHarness(kind, { tickets, seed, ...(faults ? { faults } : {}), gate: { baseDelayMs: 1, timeoutMs: 200 } });
  try {
    return await use(h);
  } finally {
    await h.close();
  }
}

const figures: string[] = [];
beforeAll(async () => {
  repo = await makeRepo(tempDir(), { 'README.md': 'x\n' });
  for (const key of ['ENG-1', 'ENG-2', 'ENG-3', 'ENG-4']) merges.set(key, await merge(key));
});
afterAll(() => {
  if (figures.length > 0) process.stdout.write(`\n${figures.join('\n')}\n`);
});

describe.each(REMOTES)('oracle through %s', (kind) => {
  test(`an oracle check of a 250-ticket batch costs at most ${CHECK_250[kind]} requests`, async () => {
    await withHarness(kind, generateTickets('ENG', 1, 250, 3), undefined, async (h) => {
      const result = await oracle(h, 'ENG-1..ENG-250');
      expect(result.exitCode).toBe(1);
      expect(result.stdout.trim().split('\n')).toHaveLength(251);
      figures.push(`${kind}: oracle check of 250 tickets = ${h.requests()} requests`);
      expect(h.requests()).toBeGreaterThanOrEqual(1);
      expect(h.requests()).toBeLessThanOrEqual(CHECK_250[kind]);
      // Linear would refuse a page over its complexity limit; the simulator refuses it too.
      expect(h.rejected).toEqual([]);
    });
  });

  test("a ticket's life (read, start, comment, receipt, done) costs at most 12 requests, then the oracle says done", async () => {
    await withHarness(kind, doneBatch(), undefined, async (h) => {
      const batch = parseBatch('ENG-4');
      await h.tracker.readBatch(batch);
      await h.tracker.moveTicket('ENG-4', 'in_progress');
      await h.tracker.comment('ENG-4', 'Working on it.');
      await h.tracker.comment('ENG-4', receipt('ENG-4'));
      await h.tracker.moveTicket('ENG-4', 'done');
      const life = h.requests();
      figures.push(`${kind}: ticket life = ${life} requests (adapter counted ${h.tracker.requestCount()})`);
      expect(h.tracker.requestCount()).toBe(life);
      expect(life).toBeLessThanOrEqual(12);
      expect((await oracle(h, 'ENG-1..ENG-4')).exitCode).toBe(0);
    });
  });

  test.each<[string, FaultPlan]>([
    ['every answer a 5xx', { rate: 1, kinds: ['server-error'] }],
    ['every answer too slow', { rate: 1, kinds: ['slow'], slowMs: 400 }],
    ['every answer cut short', { rate: 1, kinds: ['truncated'] }],
    ['rate limited for longer than nightshift waits', { rate: 1, kinds: ['http-429'], retryAfterSeconds: 3600 }],
  ])('%s: exit 2, never 0', async (_name, faults) => {
    const tickets = doneBatch().slice(0, 3);
    await withHarness(kind, tickets, faults, async (h) => {
      const result = await oracle(h, 'ENG-1..ENG-3', { NIGHTSHIFT_TRACKER_ATTEMPTS: '2', NIGHTSHIFT_TRACKER_TIMEOUT_MS: '150' });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('CANNOT TELL');
    });
  });

  test('a rejected credential or an unreachable tracker: exit 2, and the secret is not printed', async () => {
    await withHarness(kind, doneBatch().slice(0, 3), undefined, async (h) => {
      const wrong: Record<string, string> = { linear: { LINEAR_API_KEY: 'lin_api_wrong_secret' }, jira: { JIRA_API_TOKEN: 'wrong-secret-token' }, github: { GITHUB_TOKEN: 'wrong-secret-token' } }[kind];
      const refused = await oracle(h, 'ENG-1..ENG-3', wrong);
      expect(refused.exitCode).toBe(2);
      expect(`${refused.stdout}${refused.stderr}`).not.toMatch(/wrong.secret|wrong_secret/);
      const absent = { linear: 'LINEAR_API_KEY', jira: 'JIRA_EMAIL', github: 'GITHUB_TOKEN' }[kind];
      const missing = await oracle(h, 'ENG-1..ENG-3', { [absent]: '' });
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toContain(absent);
      expect(h.requests()).toBe(1);
    });
    const closed = await startHarness(kind, { tickets: doneBatch() });
    await closed.close();
    const unreachable = await oracle(closed, 'ENG-1..ENG-3', { NIGHTSHIFT_TRACKER_ATTEMPTS: '2' });
    expect(unreachable.exitCode).toBe(2);
  });

  test('under 30% injected faults the oracle answers right or "cannot tell", never a false done', async () => {
    const notDone = doneBatch();
    const seen = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) {
      const codes = await withHarness(kind, notDone, { rate: 0.3, slowMs: 300 }, async (h) => [
        (await oracle(h, 'ENG-1..ENG-3', { NIGHTSHIFT_TRACKER_ATTEMPTS: '3', NIGHTSHIFT_TRACKER_TIMEOUT_MS: '150' })).exitCode,
        (await oracle(h, 'ENG-1..ENG-4', { NIGHTSHIFT_TRACKER_ATTEMPTS: '3', NIGHTSHIFT_TRACKER_TIMEOUT_MS: '150' })).exitCode,
      ], seed);
      expect([0, 2]).toContain(codes[0]);
      expect([1, 2]).toContain(codes[1]);
      for (const code of codes) seen.add(code ?? -1);
    }
    // Retries mostly see through the faults: both definite answers occur, not only "cannot tell".
    expect(seen.has(0) && seen.has(1)).toBe(true);
  });

  test('the oracle executable exits 2 when the tracker fails every read', async () => {
    await withHarness(kind, doneBatch().slice(0, 3), { rate: 1, kinds: ['server-error'] }, async (h) => {
      const result = await execa(process.execPath, [`${ROOT}oracle/cli.ts`, 'ENG-1..ENG-3', ...h.args, '--repo', repo], {
        env: { PATH: process.env.PATH ?? '', ...h.env, NIGHTSHIFT_TRACKER_ATTEMPTS: '2' }, extendEnv: false, reject: false, stdin: 'ignore',
      });
      expect(result.exitCode).toBe(2);
      expect(h.requests()).toBe(2);
    });
  });
});

test("linear: once the hour's complexity budget is spent, the oracle says why and exits 2", async () => {
  const sim = await startLinearSim({ tickets: generateTickets('ENG', 1, 250, 3), complexityBudget: 30_000 });
  try {
    const h = { args: ['--tracker', 'linear'], env: { LINEAR_API_KEY: sim.apiKey, LINEAR_API_URL: sim.url } };
    expect((await oracle(h, 'ENG-1..ENG-250')).exitCode).toBe(1);
    const spent = await oracle(h, 'ENG-1..ENG-250');
    expect(spent.exitCode).toBe(2);
    expect(spent.stderr).toMatch(/rate.limit.*Run again later/s);
    figures.push(`linear: complexity of one 250-ticket check = ${sim.complexities.slice(0, 3).reduce((a, b) => a + b, 0)} points`);
  } finally {
    await sim.close();
  }
});

test('linear: an archived done ticket of the range still counts (Linear auto-archives closed issues)', async () => {
  const sim = await startLinearSim({ tickets: doneBatch().slice(0, 3), archived: ['ENG-2'] });
  try {
    const h = { args: ['--tracker', 'linear'], env: { LINEAR_API_KEY: sim.apiKey, LINEAR_API_URL: sim.url } };
    expect((await oracle(h, 'ENG-1..ENG-3')).exitCode).toBe(0);
  } finally {
    await sim.close();
  }
});
