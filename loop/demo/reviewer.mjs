#!/usr/bin/env node
// The scripted demo reviewer: a real executable speaking nightshift's reviewer protocol. It looks at
// the diff itself (git, in the ticket's worktree) and asks for changes when tests were removed or
// nothing changed; otherwise it approves.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const prompt = readFileSync(process.env.NIGHTSHIFT_PROMPT_FILE, 'utf8');
const target = /git diff (\S+)\.\.\./.exec(prompt)?.[1] ?? 'main';
const names = execFileSync('git', ['diff', '--name-status', `${target}...HEAD`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
const findings = [];
if (names.length === 0) findings.push({ severity: 'high', message: 'the branch changes nothing' });
for (const line of names) {
  const [status, file] = line.split('\t');
  if (status === 'D' && file.startsWith('test/')) findings.push({ severity: 'high', message: `deletes the test ${file}`, file });
}
writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify({ verdict: findings.length === 0 ? 'approve' : 'changes', findings, cost_usd: 0 }));
