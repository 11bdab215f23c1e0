// The whole loop against the loopback Linear and GitHub while a person works the board: a ticket canceled while
// its agent runs stops that agent (its pass ends `canceled-by-tracker`, nothing of it merged), and a
// ticket labelled into the batch mid-run is picked up and landed, both seen by the loop's own watch.
import { writeFileSync } from 'node:fs';
import { readEvents } from '../../../oracle/state-files.ts';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseBatch } from '../../../trackers/batch.ts';
import { startHarness } from '../../sim/harness.ts';
import { SCRIPTED_AGENT, runCli } from '../../helpers/cli.ts';
import { countProcesses, git, makeRepo, tempDir } from '../../helpers/repo.ts';

type Event = { type: string; ticket?: string; outcome?: string };

function events(stateDir: string): Event[] {
  return readEvents(join(stateDir, 'events.jsonl')) as Event[];
}

/** Resolves once the run's events hold one that `match` accepts; fails past the deadline (no fixed sleep). */
async function eventually(stateDir: string, match: (e: Event) => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!events(stateDir).some(match)) {
    if (Date.now() > until) throw new Error(`no ${what} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const verify = (file: string) => `Make it.\n\n\`\`\`verify\ntest -f ${file}\n\`\`\``;

test.each(['linear', 'github'] as const)('%s: a cancel mid-pass stops the agent and merges nothing; a ticket labelled in mid-run is landed', async (kind) => {
  const dir = tempDir();
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'app\n' });
  const h = await startHarness(kind, { tickets: [
    { key: 'ENG-1', title: 'Slow one', description: verify('one.txt') },
    { key: 'ENG-2', title: 'Quick one', description: verify('two.txt') },
  ] });
  try {
    const batch = parseBatch('ENG-1..ENG-2');
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({
      // ENG-1's agent works until it is stopped; every other worker makes its ticket's file
      'worker:ENG-1': { shell: 'sleep 600' },
      'worker:ENG-2': { files: { 'two.txt': 'two\n' }, commit: true },
      worker: { files: { 'three.txt': 'three\n' }, commit: true },
    }));
    const agent = `command:${process.execPath} ${SCRIPTED_AGENT} ${plan}`;
    const stateDir = join(dir, 'state');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NIGHTSHIFT_LEDGER_DIR: tempDir(), NIGHTSHIFT_TRACKER_POLL_MS: '300', ...h.env };
    const run = runCli(['run', 'ENG-1..ENG-2', ...h.args, '--repo', repo, '--agent', agent, '--review', `${agent},${agent}`, '--workers', '2', '--max-passes', '2', '--state', stateDir], { env, timeoutMs: 180_000 });

    await eventually(stateDir, (e) => e.type === 'agent-start' && e.ticket === 'ENG-1', 'agent start of ENG-1');
    // a person cancels ENG-1 and files a new ticket into the batch, by its label
    await h.tracker.moveTicket('ENG-1', 'canceled');
    await h.tracker.readBatch(batch); // the person's client knows the team from the batch
    const added = await h.tracker.createTicket({ title: 'Filed by a person', description: verify('three.txt'), labels: [batch.label], blocks: [], blockedBy: [] });

    const result = await run;
    const log = events(stateDir);
    const ended = log.filter((e) => e.type === 'pass-end' && e.ticket === 'ENG-1');
    expect(ended.map((e) => e.outcome), result.stdout.slice(-2000)).toEqual(['canceled-by-tracker']);
    expect(log.some((e) => e.type === 'canceled-by-tracker' && e.ticket === 'ENG-1')).toBe(true);
    // nothing of ENG-1 merged; ENG-2 and the ticket filed mid-run landed once each
    const trailers = (await git(repo, 'log', '--format=%(trailers:key=Nightshift-Ticket,valueonly)', 'main')).split('\n').filter(Boolean).sort();
    expect(trailers).toEqual(['ENG-2', added.key].sort());
    const state = new Map(h.state().map((t) => [t.key, t.state]));
    expect(state.get('ENG-1')).toBe('canceled');
    expect(state.get('ENG-2')).toBe('done');
    expect(state.get(added.key)).toBe('done');
    // the sleeping agent is gone with its pass
    expect(countProcesses(['sleep', '600'])).toBe(0);
    expect(h.rejected).toEqual([]);
  } finally {
    await h.close();
  }
}, 240_000);
