// `nightshift report`: the text summary of a recorded batch, RUN and STATE_DIR arguments, the HTML file
// next to the events, and exit 2 with what/where/what-to-do for every bad argument.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { RUN_1, writeRecordedStateDir } from './report-events.fixture.ts';

/** A state root like ~/.local/state/nightshift holding the recorded batch under <repo-id>/<label>. */
function stateRoot(): { env: NodeJS.ProcessEnv; dir: string } {
  const xdg = mkdtempSync(join(tmpdir(), 'nightshift-xdg-'));
  const dir = join(xdg, 'nightshift', 'app-1a2b3c4d', 'nightshift-0badcafe');
  mkdirSync(dir, { recursive: true });
  cpSync(writeRecordedStateDir(), dir, { recursive: true });
  return { env: { ...process.env, XDG_STATE_HOME: xdg }, dir };
}

test('the text summary covers every run of the state dir and ends with the HTML command', async () => {
  const dir = writeRecordedStateDir();
  const result = await runCli(['report', dir]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout.replaceAll(dir, '<DIR>')).toMatchInlineSnapshot(`
    "nightshift report: batch ENG-1..ENG-3 (finished)
      run 20261121T010000-aaaaaa: 2026-11-21 01:00:00Z, exit 1 - stopped short of done: nothing is ready and nothing runs (2 out of passes, 1 blocked, 0 canceled)
      run 20261121T020000-bbbbbb: 2026-11-21 01:48:00Z, exit 3 - 1 ticket(s) need a human
    oracle:        not-done, 3/4 satisfied
    time:          1h17m over 2 run(s), 6 worker pass(es)
    cost:          $2.70 of a $25.00 budget
    heals:         2 (gap/accepted, gap/rejected)
    interventions: 2 (work 1, harness 1)

    ticket  status           passes     cost     time  reviews
    ENG-1   done                  3    $1.60   20m00s  3/4 approve
              pass 1: verify-failed - the finish line failed at \`npm test\`: 1 failing
              pass 2: review-rejected - the reviewers asked for changes: alpha: missing test
    ENG-2   done                  1    $0.60   10m00s  2/2 approve
    ENG-4   done                  2    $0.50   20m00s  4/4 approve
              pass 1: replay-failed - merged, but the replay on the target failed at \`npm test\`, so the merge was reverted: boom
    ENG-3   not started           0  (todo, no receipt)

    reverted merges: ENG-4 pass 1 (4444444444bb)

    discovered tickets:
      ENG-4 (from ENG-2): Wire the new flag into the CLI

    heals:
      01:43:00 gap / tripwire accepted: the worker prompt omitted the result file path
      02:13:00 gap / tripwire rejected: relax the done rule [touches oracle/verdict.ts; ORACLE.lock hash mismatch]

    interventions:
      2026-11-21 01:45 work request ENG-3: the staging API key is missing
      2026-11-21 02:15 harness touch: raised the worker time limit

    state dir: <DIR>
    HTML report: nightshift report --html --out <DIR>/report.html <DIR>"
  `);
});

test('a run id reports that run only; no argument reports the latest state dir under the root', async () => {
  const { env, dir } = stateRoot();
  const one = await runCli(['report', RUN_1], { env });
  expect(one.exitCode).toBe(0);
  expect(one.stdout).toContain(`run ${RUN_1}`);
  expect(one.stdout).not.toContain('20261121T020000-bbbbbb');
  expect(one.stdout).toMatch(/^time: +\S+ over 1 run\(s\), 4 worker pass\(es\)$/m);
  expect(one.stdout.trim().split('\n').at(-1)).toBe(`HTML report: nightshift report --html --out ${dir}/report-${RUN_1}.html ${RUN_1}`);
  const latest = await runCli(['report'], { env });
  expect(latest.stdout).toContain(`state dir: ${dir}\n`);
});

test('--html writes one self-contained file next to the events by default', async () => {
  const dir = writeRecordedStateDir();
  const result = await runCli(['report', '--html', dir]);
  expect(result).toMatchObject({ exitCode: 0, stdout: `HTML report written to ${dir}/report.html` });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toContain('<svg class="timeline"');
  expect(html).not.toMatch(/<script|https?:\/\/|src=|<link/i);
});

describe('bad arguments are exit 2 with what, where and what to do, and write nothing', () => {
  test.each([
    [['report', '/nonexistent/state'], /\/nonexistent\/state is not a directory\. Give the state dir of a run/],
    [['report', 'nonsense'], /"nonsense" is neither a state dir nor a run id .* Run `nightshift status` to list the runs/],
    [['report', '20991231T000000-abcdef'], /no run 20991231T000000-abcdef in the state dirs under .*`nightshift report DIR`/],
    [['report', 'a', 'b'], /report takes at most one RUN or STATE_DIR, got 2/],
    [['report', '--colour'], /Unknown option '--colour'[\s\S]*usage: nightshift report/],
    [['report', '--out'], /Option '--out <value>' argument missing/],
    [['report'], /no nightshift runs under .*Pass the state dir of a run/],
  ])('%j', async (args, message) => {
    const result = await runCli(args, { env: { ...process.env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'nightshift-empty-')) } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  test('a state dir that is not one, and an --out in a missing directory', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nightshift-not-state-'));
    const notState = await runCli(['report', empty]);
    expect(notState).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/is not a nightshift state dir \(it has no events\.jsonl or run\.json\)/) });
    const dir = writeRecordedStateDir();
    const out = join(dir, 'missing', 'report.html');
    const badOut = await runCli(['report', '--html', '--out', out, dir]);
    expect(badOut).toMatchObject({ exitCode: 2, stderr: expect.stringContaining(`the directory ${join(dir, 'missing')} does not exist. Create it or choose another file (nothing was written)`) });
    expect(existsSync(out)).toBe(false);
  });
});

test('report --help shows usage and examples', async () => {
  const result = await runCli(['report', '--help']);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/^usage: nightshift report \[RUN\|STATE_DIR\] \[--html\] \[--out FILE\]/);
  expect(result.stdout).toContain('examples:');
});

test('without an argument, the "state" of ./nightshift.config.json is the batch to report', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nightshift-cwd-'));
  const dir = writeRecordedStateDir(cwd);
  writeFileSync(join(cwd, 'nightshift.config.json'), JSON.stringify({ state: 'state' }));
  const result = await runCli(['report'], { cwd });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain(`state dir: ${dir}\n`);
});
