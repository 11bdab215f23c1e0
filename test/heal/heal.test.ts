// Self-heal end to end with scripted heal agents: a harness gap healed (the agent's sloppy commits
// squashed by the heal pass into one `heal:` commit with its trailers) and the batch done, a heal one
// reviewer asks changes for rejected before the tripwire, a heal left uncommitted rejected, a heal that
// touches the definition of done rejected, and a wall that gates the batch for a person.
// Each test runs a throwaway clone of this checkout as the nightshift checkout being healed.
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { execa } from 'execa';
import { ROOT, SCRIPTED_AGENT, withCallLogs } from '../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../helpers/repo.ts';

type Setup = Awaited<ReturnType<typeof setup>>;

async function setup(heal: object, breakPrompt: boolean) {
  const dir = tempDir('nightshift-heal-');
  const checkout = join(dir, 'nightshift');
  await execa('git', ['clone', '-q', ROOT, checkout]);
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  const original = readFileSync(join(checkout, 'prompts', 'worker.md'), 'utf8');
  if (breakPrompt) {
    // a harness gap a person left behind: the worker prompt no longer says where the result goes
    writeFileSync(join(checkout, 'prompts', 'worker.md'), original.split('\n').filter((l) => !l.includes('{{result_file}}')).join('\n'));
    await git(checkout, 'commit', '-qam', 'Shorten the worker prompt');
  }
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: ['test -f feature.txt'] }]);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify({ worker: { files: { 'feature.txt': 'x\n' }, commit: true }, heal }));
  const agent = `command:${process.execPath} ${SCRIPTED_AGENT} ${planFile}`;
  const env = { ...process.env, NIGHTSHIFT_LEDGER_DIR: '' };
  const cli = (...args: string[]) => execa(process.execPath, [join(checkout, 'heal', 'cli.ts'), ...args], { cwd: dir, env: withCallLogs(args, env), reject: false, stdin: 'ignore', timeout: 540_000 }); // a heal's tripwire runs the fast suite: minutes on a busy 2-core host
  const run = () => cli('run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent, '--review', `${agent} a,${agent} b`,
    '--heal', agent, '--max-passes', '1', '--state', join(dir, 'state'));
  const oracle = () => cli('oracle', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo);
  return { dir, checkout, original, cli, run, oracle, tickets };
}

const trailers = 'Heal-Run: scripted\nHeal-Reason: the worker prompt lost the result file path';

/** Rewrites the test's plan (the scripted agents read it on every call). */
function editPlan(t: Setup, edit: (plan: Record<string, Record<string, unknown>>) => void): void {
  const plan = JSON.parse(readFileSync(join(t.dir, 'plan.json'), 'utf8'));
  edit(plan);
  writeFileSync(join(t.dir, 'plan.json'), JSON.stringify(plan));
}

const gap = { classification: 'gap', summary: 'Restore the result file path in the worker prompt\n\nThe worker prompt lost {{result_file}}.', evidence: 'every pass ended no-result' };

describe('self-heal', () => {
  test('a harness gap is healed in sloppy commits, squashed into one heal: commit, accepted, and the batch reaches done', async () => {
    const t = await setup({}, true);
    // the scripted heal agent restores the prompt in two commits with messages that follow no rule
    editPlan(t, (plan) => {
      plan.heal = { files: { 'prompts/worker.md': t.original }, commit: true, message: 'wip', result: gap,
        shell: "printf '\\nWrite the result file before you stop.\\n' >> prompts/worker.md && git commit -qam 'fix typo, Heal-Run: maybe'" };
    });
    const before = await git(t.checkout, 'rev-parse', 'HEAD');
    const run = await t.run();
    expect(run.stderr).toMatch(/heal [0-9a-f]{12} approved by its reviewers and accepted by the tripwire \(prompts\/worker\.md\)/);
    expect(run.exitCode).toBe(0);
    expect((await t.oracle()).exitCode).toBe(0);
    const after = await git(t.checkout, 'rev-parse', 'HEAD');
    // one commit on the trusted base, written by the heal pass with nightshift's identity
    expect(await git(t.checkout, 'rev-list', '--count', `${before}..${after}`)).toBe('1');
    expect(await git(t.checkout, 'rev-parse', `${after}^`)).toBe(before);
    expect(await git(t.checkout, 'log', '-1', '--format=%s|%an|%cn')).toBe('heal: Restore the result file path in the worker prompt|nightshift|nightshift');
    const heals = await t.cli('heals', '--json');
    const ledger = JSON.parse(heals.stdout);
    const entry = ledger.heals[0];
    expect(await git(t.checkout, 'log', '-1', '--format=%(trailers:only,unfold)')).toBe(`Heal-Run: ${entry.run}\nHeal-Reason: ${entry.reason.split('\n')[0]}`);
    const body = await git(t.checkout, 'log', '-1', '--format=%b');
    expect(body).toContain('The worker prompt lost {{result_file}}.');
    expect(body).toContain('every pass ended no-result');
    expect(await git(t.checkout, 'show', `${after}:prompts/worker.md`)).toBe(`${t.original}\nWrite the result file before you stop.`);
    expect(ledger.heals).toEqual([expect.objectContaining({
      verdict: 'accepted', classification: 'gap', commit: after, files: ['prompts/worker.md'],
      reviews: [{ agent: expect.stringMatching(/ a$/), verdict: 'approve' }, { agent: expect.stringMatching(/ b$/), verdict: 'approve' }],
    })]);
    expect(entry.review_note).toBeUndefined();
    expect((await t.cli('heals')).stdout).toContain(`commit:  ${after}`);
  }, 600_000); // two loop runs, two heal reviews and a whole tripwire verdict (minutes on a busy 2-core host)

  test('a heal one reviewer asks changes for is rejected before the tripwire, with the finding as the reason', async () => {
    const t = await setup({}, true);
    editPlan(t, (plan) => {
      plan.heal = { files: { 'prompts/worker.md': t.original }, commit: true, message: 'restore', result: gap };
      plan['reviewer:@b'] = { result: { verdict: 'changes', cost_usd: 0.04, findings: [{ severity: 'high', file: 'prompts/worker.md', line: 3, message: 'the prompt now differs when TMPDIR is set' }] } };
    });
    const before = await git(t.checkout, 'rev-parse', 'HEAD');
    const run = await t.run();
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/heal rejected \(kept on nightshift\/rejected-heals\/\S+ for review\)/);
    expect(run.stderr).not.toMatch(/tripwire: (ACCEPT|REJECT)/);
    expect(await git(t.checkout, 'rev-parse', 'HEAD')).toBe(before);
    const [entry] = JSON.parse((await t.cli('heals', '--json')).stdout).heals;
    expect(entry).toMatchObject({
      verdict: 'rejected', files: ['prompts/worker.md'], cost_usd: 0.04,
      reviews: [{ agent: expect.stringMatching(/ a$/), verdict: 'approve' }, { agent: expect.stringMatching(/ b$/), verdict: 'changes' }],
    });
    expect(entry.reasons).toEqual([expect.stringMatching(/^review by .* b: \[high\] prompts\/worker\.md:3 the prompt now differs when TMPDIR is set$/)]);
    // the squashed commit is what was reviewed and what is kept
    const kept = `nightshift/rejected-heals/${entry.heal}`;
    expect(await git(t.checkout, 'rev-parse', kept)).toBe(entry.commit);
    expect(await git(t.checkout, 'log', '-1', '--format=%s', kept)).toBe('heal: Restore the result file path in the worker prompt');
    // the reviewers were given the frozen heal review prompt with the diff
    const calls = readFileSync(join(t.dir, 'plan.json.calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; ticket: string; prompt: string });
    const reviews = calls.filter((c) => c.role === 'reviewer' && c.ticket === '');
    expect(reviews).toHaveLength(2);
    expect(reviews[0]!.prompt).toContain('behaves differently under conditions');
    expect(reviews[0]!.prompt).toContain('+++ b/prompts/worker.md');
  });

  test('a heal that leaves changes uncommitted is rejected, and says so', async () => {
    const t = await setup({}, true);
    editPlan(t, (plan) => {
      plan.heal = { files: { 'prompts/worker.md': t.original }, commit: true, message: 'restore', result: gap, shell: 'echo scratch > loop/notes.txt' };
    });
    const run = await t.run();
    expect(run.exitCode).toBe(1);
    const [entry] = JSON.parse((await t.cli('heals', '--json')).stdout).heals;
    expect(entry.verdict).toBe('rejected');
    expect(entry.reasons).toEqual([expect.stringMatching(/^the heal worktree has uncommitted changes \(loop\/notes\.txt\)/)]);
  });

  test('a heal that edits the oracle is rejected, kept for review, and the run ends 1 with the real stop', async () => {
    const verdict = readFileSync(join(ROOT, 'oracle', 'verdict.ts'), 'utf8').replace("if (ticket.state !== 'done')", "if (ticket.state === 'canceled')");
    const t = await setup({ files: { 'oracle/verdict.ts': verdict }, commit: true, message: `heal: accept in-progress tickets\n\n${trailers}`, result: { classification: 'gap', summary: 'relax the oracle', evidence: '' } }, true);
    const before = await git(t.checkout, 'rev-parse', 'HEAD');
    const run = await t.run();
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/heal rejected \(kept on nightshift\/rejected-heals\/\S+ for review\)/);
    expect(run.stderr).toContain('oracle/verdict.ts');
    expect(await git(t.checkout, 'rev-parse', 'HEAD')).toBe(before);
    expect((await t.oracle()).exitCode).toBe(1);
    const ledger = JSON.parse((await t.cli('heals', '--json')).stdout);
    expect(ledger.heals).toHaveLength(1);
    expect(ledger.heals[0]).toMatchObject({ verdict: 'rejected', files: ['oracle/verdict.ts'] });
    expect(ledger.heals[0].reasons.join('\n')).toContain('oracle/verdict.ts');
    expect(await git(t.checkout, 'branch', '--list', 'nightshift/rejected-heals/*')).toContain(ledger.heals[0].heal);
  });

  test('a wall ends the run with exit 3 and the evidence in nightshift interventions', async () => {
    const t = await setup({ result: { classification: 'wall', summary: 'the tracker API token has no write scope', evidence: 'HTTP 403: scope write required', cost_usd: 0.07 } }, true);
    const run = await t.run();
    expect(run.exitCode).toBe(3);
    // the heal agent's cost is recorded for the batch budget
    expect(JSON.parse((await t.cli('heals', '--json')).stdout).heals).toEqual([expect.objectContaining({ classification: 'wall', cost_usd: 0.07 })]);
    expect((await t.cli('heals')).stdout).toContain('  cost:    $0.07\n');
    expect(run.stderr).toContain('a wall: the tracker API token has no write scope');
    const interventions = await t.cli('interventions');
    expect(interventions.stdout).toContain('HTTP 403: scope write required');
    expect(interventions.stdout).toMatch(/1 intervention\(s\): 1 work, 0 harness/);
    const oracle = await t.oracle();
    expect(oracle.exitCode).toBe(0);
    expect(oracle.stdout).toContain('(1 human-gated)');
    const recorded = await t.cli('intervene', '--kind', 'harness', 'restored the worker prompt by hand');
    expect(recorded.exitCode).toBe(0);
    expect((await t.cli('interventions')).stdout).toMatch(/2 intervention\(s\): 1 work, 1 harness/);
    expect((await t.cli('intervene', '--kind', 'magic', 'x')).exitCode).toBe(2);
  });
});
