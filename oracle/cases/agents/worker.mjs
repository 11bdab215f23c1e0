#!/usr/bin/env node
// The tripwire's scripted workers (a real executable, locked with the oracle): none of them does the
// ticket's work, so no loop may count its ticket done. Which one runs comes from the plan named by the
// first argument ({"<KEY>": {"kind": "idle"|"liar"|"dirty", "file": "<the file the ticket checks>"}});
// without a plan, from the ticket's number (...-1 idle, ...-2 liar, ...-3 dirty, file feature-<n>.txt):
//   idle:  does nothing at all and writes no result
//   liar:  commits an unrelated file and claims "complete" (the finish line fails)
//   dirty: commits an unrelated file and leaves the checked file uncommitted, so the finish line
//          passes in its worktree but the post-merge replay on a clean checkout fails
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const ticket = process.env.NIGHTSHIFT_TICKET ?? '';
const number = ticket.split('-').at(-1);
const plan = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8')) : {};
const step = plan[ticket] ?? { kind: { 1: 'idle', 2: 'liar', 3: 'dirty' }[number] ?? 'idle', file: `feature-${number}.txt` };
const claim = { status: 'complete', summary: `${ticket} is done; all checks pass`, evidence: 'ran the verify commands: all green', discovered: [], cost_usd: 0 };
const commit = (file) => {
  writeFileSync(file, `${ticket} pass ${process.env.NIGHTSHIFT_PASS}\n`);
  execFileSync('git', ['add', file], { stdio: 'ignore' });
  execFileSync('git', ['-c', 'user.name=tripwire', '-c', 'user.email=tripwire@localhost', 'commit', '-q', '-m', `${ticket}: done\n\nNightshift-Ticket: ${ticket}`], { stdio: 'ignore' });
};

if (step.kind === 'liar') {
  commit(`notes-${ticket}.txt`);
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(claim));
} else if (step.kind === 'dirty') {
  commit(`notes-${ticket}.txt`);
  mkdirSync(dirname(step.file), { recursive: true });
  writeFileSync(step.file, 'not committed\n');
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(claim));
}
