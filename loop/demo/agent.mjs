#!/usr/bin/env node
// The scripted demo worker: a real executable speaking nightshift's `command:` protocol. It reads its
// ticket from the rendered prompt, writes that ticket's files, commits them, appends to the journal
// and writes its result. Its first try at "truncate" is wrong on purpose, to show the finish line.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { solutions } from './solutions.mjs';

const env = process.env;
const prompt = readFileSync(env.NIGHTSHIFT_PROMPT_FILE, 'utf8');
const title = /^# Ticket \S+: (.+)$/m.exec(prompt)?.[1]?.trim() ?? '';
const pass = Number(env.NIGHTSHIFT_PASS ?? '1');
const solution = solutions[title];
const result = (value) => writeFileSync(env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(value));

if (!solution) {
  result({ status: 'blocked', summary: `the demo agent has no solution for "${title}"`, evidence: '', discovered: [], cost_usd: 0 });
  process.exit(0);
}
const files = pass === 1 && solution.first ? solution.first : solution;
for (const [path, content] of Object.entries(files)) {
  if (path === 'first' || path === 'discovered') continue;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
execFileSync('git', ['add', '-A'], { stdio: 'ignore' });
const changed = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
if (changed) execFileSync('git', ['commit', '-q', '-m', `${env.NIGHTSHIFT_TICKET}: ${title} (pass ${pass})`], { stdio: 'ignore' });
if (env.NIGHTSHIFT_JOURNAL_FILE) {
  appendFileSync(env.NIGHTSHIFT_JOURNAL_FILE, `\n## demo agent, pass ${pass}\nWrote ${Object.keys(files).filter((p) => p !== 'first' && p !== 'discovered').join(', ')} and committed.\n`);
}
const discovered = solution.discovered ?? [];
result({ status: 'complete', summary: `implemented "${title}"`, evidence: 'committed; the harness runs the finish line', discovered, cost_usd: 0 });
