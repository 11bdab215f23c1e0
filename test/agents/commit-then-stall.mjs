#!/usr/bin/env node
// A worker agent that, on its first call for one ticket, commits half of the work and stalls (so a test can
// kill its worker once that commit is published), and otherwise is the demo agent:
// `commit-then-stall.mjs <mark-dir> <TICKET> <agent.mjs>`. The first call commits `half.txt`, writes the
// commit's id to <mark-dir>/committed and waits (bounded) for <mark-dir>/release; a later call for the
// ticket writes the head it started from to <mark-dir>/resumed-at, then runs <agent.mjs>.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [markDir, ticket, agent] = process.argv.slice(2);
const git = (...args) => execFileSync('git', ['-c', 'user.name=half', '-c', 'user.email=half@example.com', ...args], { encoding: 'utf8' }).trim();
if (process.env.NIGHTSHIFT_ROLE === 'worker' && process.env.NIGHTSHIFT_TICKET === ticket) {
  let first = true;
  try {
    mkdirSync(join(markDir, 'first'));
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    first = false;
  }
  if (first) {
    writeFileSync('half.txt', 'the first half, committed before the worker died\n');
    git('add', 'half.txt');
    git('commit', '--quiet', '-m', `${ticket}: the first half`);
    writeFileSync(join(markDir, 'committed'), git('rev-parse', 'HEAD'));
    const until = Date.now() + 120_000;
    while (!existsSync(join(markDir, 'release')) && Date.now() < until) await sleep(100);
    process.exit(1);
  }
  writeFileSync(join(markDir, 'resumed-at'), git('rev-parse', 'HEAD'));
}
process.exit(spawnSync(process.execPath, [agent], { stdio: 'inherit' }).status ?? 1);
