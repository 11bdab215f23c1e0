// The live replay with the real loop process: the config's `deploy` copies the merged tree to a directory
// a tiny loopback server serves (each file visible only from its third request on: eventual consistency),
// and the ticket's ```replay block queries that server. Retried over the window it passes and the receipt
// says so; a live replay that never passes reverts the merge, reopens the ticket, and writes no receipt.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { readEventLines } from '../../helpers/crash-helpers.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Serves `root`'s files; a path answers 404 on its first two requests (the deploy still propagating). */
async function serveLive(root: string): Promise<{ url: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const seen = (hits.get(path) ?? 0) + 1;
    hits.set(path, seen);
    const file = join(root, path);
    if (seen < 3 || path.startsWith('..') || !existsSync(file)) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

async function liveTicket(expected: string, windowMinutes: number) {
  const dir = tempDir();
  const live = join(dir, 'live');
  const server = await serveLive(live);
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  // the live check: the served feature.txt must say `expected`
  const probe = `node -e "fetch('${server.url}/feature.txt').then(async (r) => { const t = (await r.text()).trim(); console.log(r.status, t); process.exit(r.ok && t === '${expected}' ? 0 : 1); })"`;
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [{ key: 'APP-1', verify: ['test -f feature.txt'], description: `Ship feature.txt.\n\n\`\`\`replay\n${probe}\n\`\`\`` }]);
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ worker: { files: { 'feature.txt': 'v1\n' }, commit: true } }));
  const config = join(dir, 'nightshift.config.json');
  writeFileSync(config, JSON.stringify({ deploy: `rm -rf "${live}" && mkdir -p "${live}" && cp feature.txt "${live}/" && test "$NIGHTSHIFT_TICKET" = APP-1`, replayWindowMinutes: windowMinutes }));
  const agent = (name: string) => `command:${process.execPath} ${SCRIPTED_AGENT} ${plan} ${name}`;
  const run = await runCli(['run', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent('worker'),
    '--review', `${agent('alpha')},${agent('beta')}`, '--max-passes', '1', '--state', join(dir, 'state'), '--config', config],
  { env: { ...process.env, NIGHTSHIFT_LIVE_REPLAY_INTERVAL_MS: '100' } });
  const oracle = await runCli(['oracle', 'APP-1', '--tracker', 'local', '--tickets', tickets, '--repo', repo]);
  const comments = (JSON.parse(readFileSync(tickets, 'utf8')) as { tickets: Array<{ comments: Array<{ body: string }> }> }).tickets[0]?.comments.map((c) => c.body) ?? [];
  return { run, oracle, repo, live, server, comments, events: readEventLines(join(dir, 'state')) };
}

test('after the deploy, the live replay is retried until the shipped result answers; only then the receipt, which says so', async () => {
  const t = await liveTicket('v1', 1);
  expect(t.run.exitCode, t.run.stdout).toBe(0);
  expect(readFileSync(join(t.live, 'feature.txt'), 'utf8')).toBe('v1\n');
  const types = t.events.filter((e) => ['replay', 'deploy', 'live-replay', 'ticket-done'].includes(String(e.type))).map((e) => `${String(e.type)}:${String(e.result ?? '')}`);
  expect(types).toEqual(['replay:passed', 'deploy:passed', 'live-replay:retry', 'live-replay:retry', 'live-replay:passed', 'ticket-done:']);
  expect(t.server.hits.get('feature.txt')).toBe(3);
  expect(t.comments.join('\n')).toContain('Live replay: passed on try 3 after the deploy.');
  expect(t.oracle.exitCode).toBe(0);
});

test('a live replay still failing when its window closes reverts the merge and reopens the ticket: no receipt, not done', async () => {
  const t = await liveTicket('v2', 0.02); // 1.2 s: the shipped file says v1, never v2
  expect(t.run.exitCode, t.run.stdout).toBe(1);
  const last = t.events.filter((e) => e.type === 'live-replay').at(-1);
  expect(last?.result).toBe('failed');
  // how many tries fit in the window is the machine's business (a loaded one may fit one); the first test shows the retries
  expect(Number(last?.attempts)).toBeGreaterThanOrEqual(1);
  expect(t.events.some((e) => e.type === 'reverted' && typeof e.commit === 'string')).toBe(true);
  expect(t.events.some((e) => e.type === 'ticket-done')).toBe(false);
  expect(t.events.filter((e) => e.type === 'pass-end').map((e) => e.outcome)).toEqual(['replay-failed']);
  expect(t.comments.join('\n')).toContain('because its live replay (after landing) failed');
  expect(t.comments.join('\n')).not.toContain('nightshift-receipt');
  await expect(git(t.repo, 'show', 'main:feature.txt')).rejects.toThrow();
  expect(t.oracle.exitCode).toBe(1);
});
