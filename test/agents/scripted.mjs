#!/usr/bin/env node
// A scripted agent for tests: a real executable speaking nightshift's `command:` protocol for every
// role. What it does comes from the JSON plan named by its first argument, keyed by
// "<ROLE>:<TICKET>:<PASS>", then "<ROLE>:<TICKET>", then "<ROLE>" (the heal pass's reviewers have no ticket: "reviewer:"):
//   { "files": {path: content}, "commit": true, "message": "...", "shell": "cmd", "result": {...} | null, "exit": 0 }
// It appends one line per call to <plan>.calls so tests can see who was called with what prompt.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const planPath = process.argv[2];
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const { NIGHTSHIFT_ROLE: role, NIGHTSHIFT_TICKET: ticket = '', NIGHTSHIFT_PASS: pass } = process.env;
// a second argument names the agent (`scripted.mjs plan.json b`): "<ROLE>:<TICKET>@<NAME>" is looked up first
const as = process.argv[3];
const step = (as === undefined ? undefined : plan[`${role}:${ticket}@${as}`]) ?? plan[`${role}:${ticket}:${pass}`] ?? plan[`${role}:${ticket}`] ?? plan[role] ?? {};
const prompt = readFileSync(process.env.NIGHTSHIFT_PROMPT_FILE, 'utf8');
appendFileSync(`${planPath}.calls`, `${JSON.stringify({ role, ticket, pass: Number(pass), prompt, cwd: process.cwd(), env: Object.keys(process.env).filter((k) => /TOKEN|API_KEY|NIGHTSHIFT/.test(k)) })}\n`);

for (const [path, content] of Object.entries(step.files ?? {})) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
if (step.commit) {
  execFileSync('git', ['add', '-A'], { stdio: 'ignore' });
  execFileSync('git', ['-c', 'user.name=scripted', '-c', 'user.email=scripted@example.invalid', 'commit', '-q', '--allow-empty', '-m', step.message ?? `${ticket} pass ${pass}`], { stdio: 'ignore' });
}
const defaults = {
  worker: { status: 'complete', summary: 'scripted', evidence: '', discovered: [], cost_usd: 0 },
  reviewer: { verdict: 'approve', findings: [], cost_usd: 0 },
  'blocked-check': { verdict: 'unproven', reason: 'scripted default' },
  heal: { classification: 'wall', summary: 'scripted default', evidence: '' },
};
if (step.shell) execFileSync('/bin/sh', ['-c', step.shell], { stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'scripted', GIT_AUTHOR_EMAIL: 's@example.invalid', GIT_COMMITTER_NAME: 'scripted', GIT_COMMITTER_EMAIL: 's@example.invalid' } });
const result = step.result === undefined ? defaults[role] : step.result;
if (result !== null) writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, typeof result === 'string' ? result : JSON.stringify(result));
process.exit(step.exit ?? 0);
