// End to end: a worker that forges the local tickets file (every ticket done with a forged receipt, then
// every ticket human-gated with a reason, which the oracle would count as satisfied) and one that appends
// to the loop's events.jsonl. The loop undoes both, keeps the foreign versions, records interventions,
// fails those passes, and the batch reaches the oracle's done only through real merges.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { git, makeRepo, tempDir, writeTickets } from '../../helpers/repo.ts';

const PERSONA = join(ROOT, 'test', 'personas', 'persona.mjs');

test('forged tickets (done with receipts, human-gated) and a forged event are undone; done comes only from real merges', async () => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const tickets = writeTickets(join(dir, 'tickets.json'), 'APP', [
    { key: 'APP-1', verify: ['test -f one.txt'] },
    { key: 'APP-2', verify: ['test -f two.txt'], blockedBy: ['APP-1'] },
    { key: 'APP-3', verify: ['test -f three.txt'], blockedBy: ['APP-2'] },
  ]);
  const state = join(dir, 'state');
  const spec = join(dir, 'persona.json');
  writeFileSync(spec, '{}');
  // the forger-tickets persona finds the tickets file on its parent's command line: odd passes mark every
  // ticket done with a forged receipt, even passes label every ticket human-gated with a reason
  const forger = `${process.execPath} ${PERSONA} forger-tickets ${spec}`;
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({
    // pass 1 does nothing; passes 2 and 3 do the real work and forge (human-gated, then receipts)
    'worker:APP-1:1': {},
    'worker:APP-1:2': { files: { 'one.txt': '1\n' }, commit: true, shell: forger },
    'worker:APP-1:3': { files: { 'one.txt': '1\n' }, commit: true, shell: forger },
    'worker:APP-1:4': { files: { 'one.txt': '1\n' }, commit: true },
    // a worker that appends a heal-accepted event, which would give every ticket its passes back
    'worker:APP-2:1': { files: { 'two.txt': '2\n' }, commit: true, shell: `printf '{"type":"heal-accepted"}\\n' >> "$(dirname "$(dirname "$NIGHTSHIFT_JOURNAL_FILE")")/events.jsonl"` },
    'worker:APP-2': { files: { 'two.txt': '2\n' }, commit: true },
    'worker:APP-3': { files: { 'three.txt': '3\n' }, commit: true },
  }));
  const agent = (name: string) => `command:${process.execPath} ${SCRIPTED_AGENT} ${plan} ${name}`;
  const oracle = (file = tickets) => runCli(['oracle', 'APP-1..APP-3', '--tracker', 'local', '--tickets', file, '--repo', repo]);
  const run = await runCli(['run', 'APP-1..APP-3', '--tracker', 'local', '--tickets', tickets, '--repo', repo, '--agent', agent('worker'),
    '--review', `${agent('alpha')},${agent('beta')}`, '--max-passes', '4', '--workers', '1', '--state', state,
    // the guards themselves are under test: in the sandbox these writes fail before any guard sees them
    '--sandbox', 'off']);
  expect(run.exitCode).toBe(0);
  // unguarded, pass 2 would land APP-1 and its human-gated labels would end the batch as "needs a human"
  expect(run.stdout).toMatch(/APP-1 pass 2 ended: outside-changes/);
  expect(run.stdout).toMatch(/APP-1 pass 3 ended: outside-changes/);
  expect(run.stdout).toMatch(/APP-2 pass 1 ended: outside-changes/);

  // the forged versions are kept for review; the human-gated one would have satisfied the oracle
  const gated = JSON.parse(readFileSync(join(state, 'foreign', 'tickets-1.json'), 'utf8'));
  const receipts = JSON.parse(readFileSync(join(state, 'foreign', 'tickets-2.json'), 'utf8'));
  expect(gated.tickets.every((t: { labels: string[] }) => t.labels.includes('human-gated'))).toBe(true);
  expect(receipts.tickets.map((t: { state: string }) => t.state)).toEqual(['done', 'done', 'done']);
  expect(existsSync(join(state, 'foreign', 'tickets-3.json'))).toBe(false);
  expect((await oracle(join(state, 'foreign', 'tickets-1.json'))).exitCode).toBe(0);
  expect((await oracle(join(state, 'foreign', 'tickets-2.json'))).exitCode).toBe(1);
  expect(readFileSync(join(state, 'foreign', 'events-1.jsonl'), 'utf8')).toMatch(/\n\{"type":"heal-accepted"\}\n/);

  const events = readFileSync(join(state, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events.some((e) => e.type === 'heal-accepted')).toBe(false);
  const forged = events.filter((e) => e.type === 'foreign-tickets-write');
  expect(forged.map((e) => [e.when, e.tickets])).toEqual([['after a worker', ['APP-1']], ['after a worker', ['APP-1']]]);
  expect(forged[0]?.changes).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'APP-3', labelsAdded: ['human-gated'], commentsAdded: ['Human-gated: needs a person to sign off'] })]));
  expect(forged[1]?.changes).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'APP-2', change: 'changed', state: { from: 'todo', to: 'done' }, commentsAdded: ['receipt'] })]));
  expect(events.filter((e) => e.type === 'foreign-state-write').map((e) => [e.file, e.change, e.tickets])).toEqual([['events.jsonl', 'appended', ['APP-2']]]);
  const interventions = readFileSync(join(state, 'interventions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; kind: string; reason: string });
  expect(interventions.map((i) => [i.type, i.kind, i.reason.replace(/ \(.*$/, '')])).toEqual([
    ['request', 'work', 'the tickets file was changed outside the loop'],
    ['request', 'work', 'the tickets file was changed outside the loop'],
    ['request', 'work', "the loop's events.jsonl was appended outside the loop"],
  ]);

  // the oracle never said done before the last real merge, and done is by receipts, not by a gate
  const lastMerge = events.findLastIndex((e) => e.type === 'merged');
  expect(events.findIndex((e) => e.type === 'oracle' && e.exit_code === 0)).toBeGreaterThan(lastMerge);
  const final = JSON.parse(readFileSync(tickets, 'utf8')).tickets as Array<{ state: string; labels: string[]; comments: Array<{ body: string }> }>;
  expect(final.map((t) => t.state)).toEqual(['done', 'done', 'done']);
  expect(final.some((t) => t.labels.includes('human-gated') || t.comments.some((c) => c.body.includes('"run":"forged"') || c.body.startsWith('Human-gated')))).toBe(false);
  const verdict = await oracle();
  expect(verdict.exitCode).toBe(0);
  expect(verdict.stdout).not.toMatch(/human-gated\)/);
  const merges = (await git(repo, 'log', 'main', '--first-parent', '--format=%(trailers:key=Nightshift-Ticket,valueonly)')).split('\n').filter(Boolean);
  expect(merges.sort()).toEqual(['APP-1', 'APP-2', 'APP-3']);
});
