// The run on a real terminal and on a pipe: `nightshift demo` in a tmux pane (a real TTY of a known
// size) draws the live view in place; the same loop on a pipe prints one plain line per event.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, quote } from 'shell-quote';
import { afterAll, expect, test } from 'vitest';
import { CLI, ROOT, runCli } from '../../helpers/cli.ts';

const SOCKET = `nightshift-test-${process.pid}`;
const tmux = (...args: string[]) => execa('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args]);
const ESC = /\x1b\[[0-9;?]*[A-Za-z]/g;

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

const skipTty = process.env.NIGHTSHIFT_SKIP_TTY === '1';

test.skipIf(skipTty)('on a TTY the demo draws the live view in place: one block, progress to the end, then the summary', async () => {
  const version = await execa('tmux', ['-V'], { reject: false });
  if (version.exitCode !== 0) {
    throw new Error('tmux is not installed; this test drives the demo in a real terminal with it. Install it (Debian: `apt-get install -y tmux`) or set NIGHTSHIFT_SKIP_TTY=1 to skip this check.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-tty-'));
  const raw = join(dir, 'pane.raw');
  const demo = quote([process.execPath, CLI, 'demo', '--dir', join(dir, 'demo')]);
  // the pane waits for "go" so the raw stream is captured from the first byte, and stays open after
  const script = `tmux -L ${SOCKET} wait-for go; ${demo}; echo "exit=$?"; tmux -L ${SOCKET} wait-for -S finished; exec cat`;
  await tmux('new-session', '-d', '-s', 'demo', '-x', '100', '-y', '40', '-c', ROOT, '-e', 'NO_COLOR=', '-e', 'TERM=xterm-256color', 'sh', '-c', script);
  await tmux('pipe-pane', '-t', 'demo', '-o', `cat >> ${quote([raw])}`);
  await tmux('wait-for', '-S', 'go');
  await tmux('wait-for', 'finished');
  const screen = (await tmux('capture-pane', '-p', '-J', '-S', '-400', '-t', 'demo')).stdout;
  const lines = screen.split('\n').map((l) => l.trimEnd()); // -J keeps trailing blanks
  const text = lines.join('\n');

  expect(text).toContain('exit=0');
  // redrawn in place: the block is on screen exactly once, however many frames were drawn
  expect(lines.filter((l) => l.startsWith('progress ['))).toEqual([expect.stringMatching(/^progress \[█{20}\] 11\/11 done · 0 running · 0 ready · 0 blocked · 0 gated$/)]);
  expect(lines.filter((l) => l.startsWith('nightshift DEMO-1..DEMO-10 '))).toHaveLength(1);
  expect(text).toMatch(/^oracle done 11\/11 {2}cost \$0\.00 \(no budget\) {2}heals 0 {2}interventions 0 \(work 0, harness 0\)$/m);
  // notable events scroll above the block; the chatter of every event is the plain view's, not this one's
  expect(text).toMatch(/^\d\d:\d\d:\d\d DEMO-6 pass 1 ended: verify-failed/m);
  expect(text).not.toContain('agent agent.mjs started');
  // the end-of-run summary ends with the command that renders the HTML report
  expect(text).toMatch(/^HTML report: nightshift report --html --out \S+\/state\/report\.html \S+\/state$/m);
  // the view's own rows (event lines above the block, and the block) are cut to the pane's width
  const viewRows = lines.slice(lines.findIndex((l) => / run started: /.test(l)), lines.findIndex((l) => l.startsWith('nightshift: the oracle says done')));
  expect(viewRows.length).toBeGreaterThan(10);
  expect(viewRows.filter((l) => [...l].length >= 100)).toEqual([]);

  const stream = readFileSync(raw, 'utf8');
  const frames = stream.split('\x1b[?2026h').length - 1;
  expect(frames).toBeGreaterThan(10);
  expect(stream.split('\x1b[?2026l').length - 1).toBe(frames);
  expect(stream).toMatch(/\x1b\[\d+A\r[^\n]+\x1b\[K\r?\n/); // the tty turns \n into \r\n
  expect(stream).toContain('\x1b[?25h');
  expect(stream.replace(ESC, '')).toMatch(/progress \[░{20}\] 0\/10 done/);
  // mid-run frames show one row per pass in flight: two agents (--workers 2), and the loop may land
  // up to as many more passes alongside them
  const workerRows = stream.split('\x1b[?2026h').map((frame) => frame.replace(ESC, '').split('\n').filter((l) => /^ {2}DEMO-\d+ +pass \d\/4 /.test(l)).length);
  expect(Math.max(...workerRows)).toBeGreaterThanOrEqual(2);
  expect(Math.max(...workerRows)).toBeLessThanOrEqual(4);
});

test('on a pipe the same loop prints one plain timestamped line per event and no escape codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-pipe-'));
  const setup = await runCli(['demo', '--dir', dir, '--setup-only']);
  expect(setup.exitCode).toBe(0);
  // `nightshift run BATCH ARGS...` as printed by --setup-only, back into argv (plain words only)
  const [, , batchArg, ...runArgs] = parse(setup.stdout.trim()).map(String);
  expect(batchArg).toBe('DEMO-1..DEMO-10');
  const result = await runCli(['run', 'DEMO-1..DEMO-2', ...runArgs], { env: { ...process.env, TERM: 'xterm-256color' } });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).not.toMatch(/\x1b/);
  const [events, summary = ''] = result.stdout.split('\n\nnightshift: ');
  const lines = (events ?? '').split('\n');
  expect(lines.every((line) => /^\d\d:\d\d:\d\d \S/.test(line))).toBe(true);
  // every event of the loop is a line; the supervisor's confirmation and audit events it reports on stderr
  const log = readFileSync(join(dir, 'state', 'events.jsonl'), 'utf8').trim().split('\n').filter((l) => (JSON.parse(l) as { run: string }).run !== 'supervisor');
  expect(lines).toHaveLength(log.length);
  expect(result.stderr).toMatch(/^audit: PASSED - 2 of 2 done tickets' finish lines pass on main at [0-9a-f]{12}$/m);
  expect(lines.map((l) => l.slice(9))).toEqual(expect.arrayContaining(['DEMO-1 pass 1/4 started', 'DEMO-1 DONE (receipt written)', 'oracle: done (2/2 satisfied)']));
  expect(summary).toMatch(/^the oracle says done \(exit 0\)\n\nnightshift report: batch DEMO-1\.\.DEMO-2 \(finished\)\n/);
  expect(summary.trim().split('\n').at(-1)).toBe(`HTML report: nightshift report --html --out ${join(dir, 'state', 'report.html')} ${join(dir, 'state')}`);
});
