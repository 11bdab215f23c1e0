#!/usr/bin/env node
// `node test/sim/serve.ts --tracker linear|jira|github [--tickets FILE] [--count N] [--seed N] [--fault-rate R]`
// Serves a tracker simulator until stdin closes or SIGINT/SIGTERM, for trying nightshift against a
// "Linear", "Jira" or "GitHub" by hand, or for a benchmark or tripwire in another process. Prints one JSON line:
// the environment to point nightshift at it. On exit prints the request count to stderr.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SimTicket } from './fixtures.ts';
import { generateTickets } from './fixtures.ts';
import { startGithubSim } from './github-server.ts';
import { startJiraSim } from './jira-server.ts';
import { startLinearSim } from './linear-server.ts';

const { values } = parseArgs({
  options: {
    tracker: { type: 'string' },
    tickets: { type: 'string' },
    count: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    'fault-rate': { type: 'string', default: '0' },
  },
});
if (values.tracker !== 'linear' && values.tracker !== 'jira' && values.tracker !== 'github') {
  process.stderr.write('usage: node test/sim/serve.ts --tracker linear|jira|github [--tickets FILE] [--count N] [--seed N] [--fault-rate 0.1]\n');
  process.exit(2);
}
const seed = Number(values.seed);
const tickets: SimTicket[] = values.tickets
  ? (JSON.parse(readFileSync(values.tickets, 'utf8')) as { tickets: SimTicket[] }).tickets
  : generateTickets('ENG', 1, Number(values.count), seed);
const faults = { rate: Number(values['fault-rate']) };

const sim = values.tracker === 'linear'
  ? await startLinearSim({ tickets, seed, faults }).then((s) => ({ close: s.close, requests: s.requests, env: { LINEAR_API_KEY: s.apiKey, LINEAR_API_URL: s.url } }))
  : values.tracker === 'jira'
    ? await startJiraSim({ tickets, seed, faults }).then((s) => ({ close: s.close, requests: s.requests, env: { JIRA_HOST: s.url, JIRA_EMAIL: s.email, JIRA_API_TOKEN: s.apiToken } }))
    : await startGithubSim({ tickets, seed, faults }).then((s) => ({ close: s.close, requests: s.requests, env: { GITHUB_TOKEN: s.token, GITHUB_API_URL: s.url, GITHUB_REPOSITORY: s.repository } }));
process.stdout.write(`${JSON.stringify({ tracker: values.tracker, env: sim.env })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`simulator: ${sim.requests()} requests\n`);
  await sim.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
