// Self-heal end to end with scripted heal agents: a harness gap healed and the batch done, a heal
// that touches the definition of done rejected, and a wall that gates the batch for a person.
// Each test runs a throwaway clone of this checkout as the nightshift checkout being healed.
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { execa } from 'execa';
import { ROOT, SCRIPTED_AGENT } from './helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from './helpers/repo.ts';

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
  const cli = (...args: string[]) => execa(process.execPath, [join(checkout, 'heal', 'cli.ts'), ...args], { cwd: dir, env, reject: false, stdin: 'ignore', timeout: 300_000 });
  const run = () => cli('run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent, '--review', `${agent} a,${agent} b`,
    '--heal', agent, '--max-passes', '1', '--state', join(dir, 'state'));
  const oracle = () => cli('oracle', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo);
  return { dir, checkout, original, cli, run, oracle, tickets };
}

const trailers = 'Heal-Run: scripted\nHeal-Reason: the worker prompt lost the result file path';

describe('self-heal', () => {
  test('a harness gap is healed, the tripwire accepts, the loop re-executes and the batch reaches done', async () => {
    let t: Setup | undefined;
    t = await setup({ files: {}, commit: true, result: { classification: 'gap', summary: 'restore the result file path', evidence: 'no-result passes' } }, true);
    // the scripted heal agent restores the prompt it is given
    const plan = JSON.parse(readFileSync(join(t.dir, 'plan.json'), 'utf8'));
    plan.heal.files = { 'prompts/worker.md': t.original };
    plan.heal.message = `heal: restore the result file path in the worker prompt\n\n${trailers}`;
    writeFileSync(join(t.dir, 'plan.json'), JSON.stringify(plan));
    const before = await git(t.checkout, 'rev-parse', 'HEAD');
    const run = await t.run();
    expect(run.stderr).toMatch(/heal [0-9a-f]{12} accepted by the tripwire \(prompts\/worker\.md\)/);
    expect(run.exitCode).toBe(0);
    expect((await t.oracle()).exitCode).toBe(0);
    const after = await git(t.checkout, 'rev-parse', 'HEAD');
    expect(after).not.toBe(before);
    expect(await git(t.checkout, 'log', '-1', '--format=%s')).toBe('heal: restore the result file path in the worker prompt');
    const heals = await t.cli('heals', '--json');
    const ledger = JSON.parse(heals.stdout);
    expect(ledger.heals).toEqual([expect.objectContaining({ verdict: 'accepted', classification: 'gap', commit: after, files: ['prompts/worker.md'] })]);
    expect((await t.cli('heals')).stdout).toContain(`commit:  ${after}`);
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
