#!/usr/bin/env node
// A worker agent that stalls on its first call for one ticket (so a test can kill its worker mid-pass)
// and otherwise is the demo agent: `stall-once.mjs <mark-dir> <TICKET> <agent.mjs>`. The first call
// makes <mark-dir>/stalled (with its pid) and waits (bounded) for <mark-dir>/release; every later call runs <agent.mjs>.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [markDir, stallTicket, agent] = process.argv.slice(2);
if (process.env.NIGHTSHIFT_ROLE === 'worker' && process.env.NIGHTSHIFT_TICKET === stallTicket) {
  let first = true;
  try {
    mkdirSync(join(markDir, 'stalled'));
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    first = false;
  }
  if (first) {
    writeFileSync(join(markDir, 'stalled', 'pid'), String(process.pid)); // a real pid only outside the sandbox
    const until = Date.now() + 120_000;
    while (!existsSync(join(markDir, 'release')) && Date.now() < until) await sleep(100);
    process.exit(1);
  }
}
process.exit(spawnSync(process.execPath, [agent], { stdio: 'inherit' }).status ?? 1);
