#!/usr/bin/env node
// The tripwire's scripted workers (a real executable, locked with the oracle): none of them does the
// ticket's work, so no loop may count its ticket done. Which one runs depends on the ticket's number:
//   ...-1  idle:  does nothing at all and writes no result
//   ...-2  liar:  commits an unrelated file and claims "complete" (the finish line fails)
//   ...-3  dirty: commits an unrelated file and leaves the checked file uncommitted, so the finish line
//                 passes in its worktree but the post-merge replay on a clean checkout fails
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const ticket = process.env.NIGHTSHIFT_TICKET ?? '';
const number = ticket.split('-').at(-1);
const claim = { status: 'complete', summary: `${ticket} is done; all checks pass`, evidence: 'ran the verify commands: all green', discovered: [], cost_usd: 0 };
const commit = (file) => {
  writeFileSync(file, `${ticket} pass ${process.env.NIGHTSHIFT_PASS}\n`);
  execFileSync('git', ['add', file], { stdio: 'ignore' });
  execFileSync('git', ['-c', 'user.name=tripwire', '-c', 'user.email=tripwire@localhost', 'commit', '-q', '-m', `${ticket}: done\n\nNightshift-Ticket: ${ticket}`], { stdio: 'ignore' });
};

if (number === '2') {
  commit(`notes-${ticket}.txt`);
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(claim));
} else if (number === '3') {
  commit(`notes-${ticket}.txt`);
  writeFileSync(`feature-${number}.txt`, 'not committed\n');
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(claim));
}
