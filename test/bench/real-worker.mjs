#!/usr/bin/env node
// A scripted worker for the real-repository benchmark (a real executable speaking the `command:`
// protocol): in the ticket's worktree, on its branch, it applies that ticket's upstream change,
// `<patches dir>/<NIGHTSHIFT_TICKET>.patch` (its first argument), as the upstream commit (`git am`,
// author and message kept), falling back to a three-way `git apply` and a commit of its own, and
// reports complete; a patch that is missing or does not apply fails the pass (exit 1). Nothing else: the loop's finish line (`npm test`) judges the result.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const patchesDir = process.argv[2];
const ticket = process.env.NIGHTSHIFT_TICKET ?? '';
const resultFile = process.env.NIGHTSHIFT_RESULT_FILE;
const identity = ['-c', 'user.name=real-worker', '-c', 'user.email=real-worker@example.invalid'];
const git = (...args) => execFileSync('git', [...identity, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function report(result) {
  if (resultFile) writeFileSync(resultFile, JSON.stringify({ evidence: '', discovered: [], cost_usd: 0, ...result }));
}

if (process.env.NIGHTSHIFT_ROLE !== 'worker' || !patchesDir || !resultFile) {
  process.stderr.write('real-worker: run as a nightshift worker: command:real-worker.mjs <patches dir>\n');
  process.exit(2);
}
const patch = join(patchesDir, `${ticket}.patch`);
if (!existsSync(patch)) {
  process.stderr.write(`real-worker: no upstream patch for ${ticket} (${patch})\n`);
  process.exit(1);
}
const applied = (() => {
  try {
    git('apply', '--reverse', '--check', patch);
    return true;
  } catch {
    return false;
  }
})();
if (applied) {
  // a later pass on a branch that already holds the change (the finish line failed for another reason)
  report({ status: 'complete', summary: `the upstream change is already on this branch: ${git('log', '-1', '--format=%h %s').trim()}` });
  process.exit(0);
}
let how = 'git am';
try {
  git('am', '--quiet', patch);
} catch {
  try { git('am', '--abort'); } catch { /* nothing to abort */ }
  how = 'git apply --3way';
  try {
    git('apply', '--3way', patch);
    git('add', '-A');
    git('commit', '--quiet', '-m', `${ticket}: upstream change (${patch})`);
  } catch (error) {
    process.stderr.write(`real-worker: the upstream patch for ${ticket} does not apply here: ${String(error.stderr || error.message)}\n`);
    process.exit(1);
  }
}
const head = git('log', '-1', '--format=%h %s').trim();
report({ status: 'complete', summary: `applied the upstream change with ${how}: ${head}` });
