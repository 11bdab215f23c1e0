// The ratchet in whole runs of the loop (local tracker, scripted agents, real git): a worker that makes
// its finish line pass by skipping or deleting the failing test does not merge unless both reviewers
// accept its reason, and the next pass is told why.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

const PERSONA = `${ROOT}test/personas/persona.mjs`;
const FEATURE_TEST = "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { readFileSync } from 'node:fs';\n\ntest('the feature is done', () => {\n  assert.equal(readFileSync('feature.txt', 'utf8'), 'done');\n});\n";
const README_TEST = "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { existsSync } from 'node:fs';\n\ntest('there is a readme', () => {\n  assert.ok(existsSync('README.md'));\n});\n";

type Call = { role: string; ticket: string; pass: number; prompt: string };

/** A repo whose one ticket's finish line runs its tests; `worker` and the two reviewers are agent specs. */
async function setup(agents: (dir: string) => { worker: string; alpha: string; beta: string }, maxPasses: number) {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n', 'test/feature.test.mjs': FEATURE_TEST, 'test/readme.test.mjs': README_TEST });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: [`"${process.execPath}" --test test/*.test.mjs`] }]);
  const { worker, alpha, beta } = agents(dir);
  const run = await runCli(['run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', worker, '--review', `${alpha},${beta}`,
    '--max-passes', String(maxPasses), '--state', join(dir, 'state')]);
  const events = readFileSync(join(dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    run, repo,
    calls: (plan = 'plan') => readFileSync(join(dir, `${plan}.json.calls`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Call),
    ratchets: events.filter((e) => e.type === 'ratchet'),
    passEnds: events.filter((e) => e.type === 'pass-end').map((e) => e.outcome),
    merges: async () => (await git(repo, 'log', 'main', '--format=%(trailers:key=Nightshift-Ticket,valueonly)')).split('\n').filter((l) => l.trim() === 'APP-1').length,
    oracle: () => runCli(['oracle', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo]),
  };
}

/** A scripted agent (test/agents/scripted.mjs) following `plan`, written to `<dir>/<name>.json`. */
function scripted(dir: string, name: string, plan: object): string {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(plan));
  return `command:${process.execPath} ${SCRIPTED_AGENT} ${join(dir, `${name}.json`)}`;
}

test('a worker that skips the failing test is refused by approving reviewers; the next pass is told why and lands the real work', async () => {
  const t = await setup((dir) => {
    const reviewer = scripted(dir, 'reviewers', {});
    return {
      worker: scripted(dir, 'plan', {
        'worker:APP-1:1': { files: { 'feature.txt': 'almost', 'test/feature.test.mjs': FEATURE_TEST.replace('test(', 'test.skip(') }, commit: true,
          result: { status: 'complete', summary: 'the feature test is flaky, skipped it', evidence: '' } },
        'worker:APP-1:2': { files: { 'feature.txt': 'done', 'test/feature.test.mjs': FEATURE_TEST }, commit: true },
      }),
      alpha: reviewer, beta: reviewer,
    };
  }, 3);
  expect(t.run.exitCode).toBe(0);
  expect(t.passEnds).toEqual(['ratchet-refused', 'landed']);
  const finding = 'ratchet: added 1 skip/only/todo marker in test/feature.test.mjs';
  const [first, second] = t.calls().filter((c) => c.role === 'worker');
  expect(first?.prompt).not.toContain(finding);
  expect(second?.prompt).toContain('not both reviewers accepted your reason');
  expect(second?.prompt).toContain(finding);
  const reviews = t.calls('reviewers');
  expect(reviews.filter((c) => c.pass === 1).map((c) => c.prompt.includes('# Ratchet') && c.prompt.includes('> the feature test is flaky, skipped it'))).toEqual([true, true]);
  expect(reviews.filter((c) => c.pass === 2).some((c) => c.prompt.includes('# Ratchet'))).toBe(false);
  expect(t.ratchets).toEqual([expect.objectContaining({ ticket: 'APP-1', pass: 1, findings: [finding.slice('ratchet: '.length)], decision: 'refused', accepted_by: [] })]);
  expect(await t.merges()).toBe(1);
  expect(await git(t.repo, 'show', 'main:test/feature.test.mjs')).toBe(FEATURE_TEST.trimEnd());
  expect((await t.oracle()).exitCode).toBe(0);
});

test('the test-weakener persona never merges past approving reviewers that do not accept the ratchet', async () => {
  const t = await setup((dir) => {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ tickets: { 'APP-1': { file: 'feature.txt', content: 'done', test: 'test/feature.test.mjs' } } }));
    const reviewer = scripted(dir, 'reviewers', {});
    return { worker: `command:${process.execPath} ${PERSONA} test-weakener ${join(dir, 'spec.json')}`, alpha: reviewer, beta: reviewer };
  }, 2);
  expect(t.run.exitCode).toBe(1);
  expect(t.passEnds).toEqual(['ratchet-refused', 'ratchet-refused']);
  expect(t.ratchets.map((e) => e.decision)).toEqual(['refused', 'refused']);
  expect(await t.merges()).toBe(0);
  expect(await git(t.repo, 'show', 'main:test/feature.test.mjs')).toBe(FEATURE_TEST.trimEnd());
  expect((await t.oracle()).exitCode).toBe(1);
});

test('a deleted failing test merges only once both reviewers accept the reason', async () => {
  const t = await setup((dir) => ({
    worker: scripted(dir, 'plan', {
      'worker:APP-1:1': { files: { 'feature.txt': 'done' }, shell: 'git rm -q test/feature.test.mjs && git add -A && git commit -qm "drop the feature test"',
        result: { status: 'complete', summary: 'removed the feature test', evidence: '' } },
      'worker:APP-1:2': { result: { status: 'complete', summary: 'the feature test checked feature.txt, which this ticket replaces', evidence: 'see the ticket' } },
    }),
    alpha: scripted(dir, 'alpha', { reviewer: { result: { verdict: 'approve', findings: [], ratchet: 'accept' } } }),
    beta: scripted(dir, 'beta', {
      'reviewer:APP-1:1': { result: { verdict: 'approve', findings: [], ratchet: 'refuse' } },
      'reviewer:APP-1:2': { result: { verdict: 'approve', findings: [], ratchet: 'accept' } },
    }),
  }), 3);
  expect(t.run.exitCode).toBe(0);
  expect(t.passEnds).toEqual(['ratchet-refused', 'landed']);
  expect(t.ratchets.map((e) => [e.decision, (e.accepted_by as string[]).length])).toEqual([['refused', 1], ['accepted', 2]]);
  expect(t.ratchets[0]?.findings).toEqual(['removed test file test/feature.test.mjs (1 test case)']);
  expect(t.calls().filter((c) => c.role === 'worker')[1]?.prompt).toMatch(/\(command:\S+ \S+ \S+beta\.json refused it\)/);
  expect(t.calls('beta').find((c) => c.pass === 2)?.prompt).toContain('> the feature test checked feature.txt, which this ticket replaces');
  expect(await t.merges()).toBe(1);
  await expect(git(t.repo, 'show', 'main:test/feature.test.mjs')).rejects.toThrow();
  expect((await t.oracle()).exitCode).toBe(0);
});
