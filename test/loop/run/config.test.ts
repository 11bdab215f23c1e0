// Every bad flag of `nightshift run` and every bad value of nightshift.config.json: exit 2 before any
// loop starts, nothing written, and a message that says what was wrong, where, and what to do.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';

/** A working directory with a tickets file and an (empty) git-less repo dir: enough to parse a run. */
function workspace(): { cwd: string; base: string[] } {
  const cwd = mkdtempSync(join(tmpdir(), 'nightshift-config-'));
  mkdirSync(join(cwd, 'repo'));
  writeFileSync(join(cwd, 'tickets.json'), JSON.stringify({ project: 'ENG', tickets: [] }));
  writeFileSync(join(cwd, 'agent.mjs'), '');
  return { cwd, base: ['ENG-1..ENG-2', '--tracker', 'local', '--tickets', 'tickets.json', '--repo', 'repo', '--agent', 'command:./agent.mjs', '--review', 'claude,codex', '--state', 'state'] };
}

describe('bad flags', () => {
  test.each([
    [['--wrkers', '2'], /^nightshift run: Unknown option '--wrkers'[\s\S]*usage: nightshift run/],
    [['--workers', '0'], /^nightshift run: --workers must be a positive whole number, not "0"\./],
    [['--workers', 'two'], /--workers must be a positive whole number, not "two"/],
    [['--workers', '65'], /--workers must be at most 64, not 65\./],
    [['--max-passes', '1.5'], /--max-passes must be a positive whole number, not "1\.5"/],
    [['--max-passes', '101'], /--max-passes must be at most 100/],
    [['--budget-usd', 'lots'], /--budget-usd must be a positive number, not "lots"/],
    [['--budget-usd', '-1'], /'--budget-usd' argument is ambiguous[\s\S]*--budget-usd=-XYZ/],
    [['--worker-minutes', '0'], /--worker-minutes must be a positive number, not "0"/],
    [['--tracker', 'trello'], /--tracker must be local, linear, jira or github, not "trello"/],
    [['--review', 'claude'], /--review takes two agent specs separated by a comma \(e\.g\. claude,codex\), got "claude"/],
    [['--agent', 'gpt'], /--agent: unknown agent spec "gpt"\. Use claude\[:model\], codex\[:model\], gemini\[:model\] or command:<path>\./],
    [['--agent', 'command:'], /agent spec "command:" names no program\. Write command:\/path\/to\/agent\./],
    [['--agent', 'command:./missing.mjs'], /--agent: the program \S+\/missing\.mjs of "command:\.\/missing\.mjs" does not exist\. Fix the path/],
    [['--agent', 'command:a | b'], /uses shell syntax .* Give a program and its arguments, or wrap a script/],
    [['--review', 'claude,mystery'], /--review: unknown agent spec "mystery"/],
    [['--heal', 'doctor'], /--heal: unknown agent spec "doctor"/],
    [['--repo', 'nowhere'], /--repo: \S+\/nowhere does not exist\. Point --repo at the git repository the tickets merge into\./],
    [['--repo', 'tickets.json'], /--repo: \S+\/tickets\.json is not a directory/],
    [['--state', 'tickets.json'], /--state: \S+\/tickets\.json is not a directory\. Give --state a directory \(it is created if missing\)\./],
    [['--config', 'none.json'], /config file \S+\/none\.json cannot be read as JSON: ENOENT.* Fix it or pass --config with another file\./],
  ])('%j', async (extra, message) => {
    const { cwd, base } = workspace();
    const result = await runCli(['run', ...base, ...extra], { cwd });
    expect(result.stderr).toMatch(message);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(existsSync(join(cwd, 'state'))).toBe(false);
  });

  test.each([
    [[], /run takes exactly one BATCH, got 0/],
    [['ENG-1', 'ENG-2'], /run takes exactly one BATCH, got 2/],
    [['ENG-3..ENG-1', '--tracker', 'local', '--tickets', 't.json', '--repo', '.'], /runs backwards/],
    [['ENG-1', '--repo', '.'], /--tracker must be local, linear, jira or github\./],
    [['ENG-1', '--tracker', 'local', '--repo', '.'], /--tracker local needs --tickets FILE/],
    [['ENG-1', '--tracker', 'jira'], /--repo DIR is required/],
  ])('%j', async (args, message) => {
    const result = await runCli(['run', ...args], { cwd: mkdtempSync(join(tmpdir(), 'nightshift-config-')) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('bad nightshift.config.json', () => {
  test.each([
    [{ workers: '2' }, /^ {2}workers: Invalid input: expected number, received string$/m],
    [{ workers: 0 }, /^ {2}workers: Too small/m],
    [{ budgetUsd: -3 }, /^ {2}budgetUsd: Too small: expected number to be >0$/m],
    [{ trackr: 'local' }, /^ {2}\(root\): Unrecognized key: "trackr"$/m],
    [{ tracker: 'trello' }, /^ {2}tracker: Invalid option/m],
    [{ review: ['claude', 7] }, /^ {2}review/m],
  ])('%j', async (config, message) => {
    const { cwd } = workspace();
    writeFileSync(join(cwd, 'nightshift.config.json'), JSON.stringify(config));
    const result = await runCli(['run', 'ENG-1'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`config file ${join(cwd, 'nightshift.config.json')} is invalid:\n`);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Fix these keys. The keys are the flags of `nightshift run --help` in camelCase: tracker, tickets, repo,');
  });

  test('not JSON at all', async () => {
    const { cwd } = workspace();
    writeFileSync(join(cwd, 'nightshift.config.json'), '{ workers: 2 ');
    const result = await runCli(['run', 'ENG-1'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/config file \S+nightshift\.config\.json cannot be read as JSON: .* Fix it or pass --config with another file\./);
  });

  test('a bad value from the file names the key and the file', async () => {
    const { cwd } = workspace();
    mkdirSync(join(cwd, 'conf'));
    writeFileSync(join(cwd, 'conf', 'night.json'), JSON.stringify({ tracker: 'local', tickets: '../tickets.json', repo: '../nope', agent: 'command:./agent.mjs' }));
    const result = await runCli(['run', 'ENG-1', '--config', 'conf/night.json'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`nightshift run: "repo" in ${join(cwd, 'conf', 'night.json')}: ${join(cwd, 'nope')} does not exist. Point --repo at the git repository the tickets merge into.`);
  });

  test('paths in the file are relative to the file, and a flag wins over the file', async () => {
    const { cwd } = workspace();
    mkdirSync(join(cwd, 'conf'));
    const write = (extra: object) => writeFileSync(join(cwd, 'conf', 'night.json'), JSON.stringify({ tracker: 'local', tickets: '../tickets.json', repo: '../repo', agent: 'command:./agent.mjs', review: ['claude', 'codex'], ...extra }));
    write({ workers: 2 });
    const flagWins = await runCli(['run', 'ENG-1', '--config', 'conf/night.json', '--workers', '99'], { cwd });
    expect(flagWins.stderr).toBe('nightshift run: --workers must be at most 64, not 99.');
    write({ workers: 99 });
    const fromFile = await runCli(['run', 'ENG-1', '--config', 'conf/night.json'], { cwd });
    expect(fromFile.stderr).toMatch(/^ {2}workers: Too big: expected number to be <=64$/m);
    write({ agent: 'gpt' });
    const badSpec = await runCli(['run', 'ENG-1', '--config', 'conf/night.json'], { cwd });
    expect(badSpec.stderr).toContain(`"agent" in ${join(cwd, 'conf', 'night.json')}: unknown agent spec "gpt"`);
    expect(existsSync(join(cwd, 'conf', 'state'))).toBe(false);
  });
});

describe('help', () => {
  test('nightshift --help lists every command, the exit codes and examples', async () => {
    const result = await runCli(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['run', 'demo', 'oracle', 'tripwire', 'status', 'report']) expect(result.stdout).toContain(`nightshift ${command}`);
    expect(result.stdout).toContain('exit codes: 0 done, 1 not done / stopped, 2 usage or input error, 3 needs a human, 4 budget spent.');
    expect(result.stdout).toContain('examples:');
  });

  test.each([['run'], ['status'], ['report'], ['demo']])('nightshift %s --help has usage and an example', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^usage: nightshift ${command}`));
    expect(result.stdout).toMatch(/example/);
  });

  test('an unknown command is exit 2 with the help', async () => {
    const result = await runCli(['stauts']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^nightshift: unknown command "stauts"\.\n\nnightshift: runs a batch/);
  });
});
