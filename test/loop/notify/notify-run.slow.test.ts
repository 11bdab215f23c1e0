// Notifications from a real run (the demo's batch, scripted agents, real git): the run-ended notice
// reaches a loopback Slack-shaped receiver once, before the loop's process exits; a dead receiver
// beside it is a notify-failed event and changes nothing else (same exit, same verdict).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { readEvents } from '../../../oracle/state-files.ts';
import { ROOT } from '../../helpers/cli.ts';

test('a run tells a Slack-shaped receiver once that it ended; a dead receiver changes nothing else', async () => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const dead = createServer();
  await new Promise<void>((done) => dead.listen(0, '127.0.0.1', done));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise((done) => dead.close(done));
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'nightshift-notify-run-')), 'demo');
    const made = await execa(process.execPath, [`${ROOT}loop/main.ts`, 'demo-setup', dir], { cwd: ROOT });
    const demo = JSON.parse(made.stdout.trim().split('\n').at(-1) ?? '{}') as { runArgs: string[]; state: string };
    const config = join(dir, 'nightshift.config.json');
    writeFileSync(config, JSON.stringify({ notify: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T/B/x`, format: 'slack' }, { url: `http://127.0.0.1:${deadPort}/hook`, format: 'slack' }] }));
    const run = await execa(process.execPath, [`${ROOT}loop/main.ts`, 'run', ...demo.runArgs, '--config', config], { cwd: dir, reject: false, env: { ...process.env, NIGHTSHIFT_VIEW: 'plain' } });
    expect(run.exitCode).toBe(0);
    // delivered before the process exited: nothing arrives after it
    expect(bodies).toEqual([{ text: 'nightshift DEMO-1..DEMO-10: run ended, done (exit 0): the oracle says done' }]);
    const events = readEvents(join(demo.state, 'events.jsonl'));
    expect(events.filter((e) => e.type.startsWith('notify-')).map((e) => [e.type, e.kind, e.target])).toEqual([
      ['notify-sent', 'run-ended', `127.0.0.1:${(server.address() as AddressInfo).port}`],
      ['notify-failed', 'run-ended', `127.0.0.1:${deadPort}`],
    ]);
    expect(events.filter((e) => e.type === 'run-end').map((e) => e.exit_code)).toEqual([0]);
  } finally {
    await new Promise((done) => server.close(done));
  }
});
