#!/usr/bin/env node
// The honesty suite's reviewers, blocked-checker and heal agent: a real executable speaking the
// `command:` protocol. Reviewers approve every diff (the suite proves the other gates hold even when the
// reviewers are fooled); the blocked-check finds no proof in a claim whose evidence shows no failure;
// a heal answers `wall`, so a batch its workers cannot finish ends gated for a person, not healed.
import { readFileSync, writeFileSync } from 'node:fs';

const env = process.env;
const prompt = readFileSync(env.NIGHTSHIFT_PROMPT_FILE, 'utf8');
const answer = (value) => writeFileSync(env.NIGHTSHIFT_RESULT_FILE, JSON.stringify(value));
switch (env.NIGHTSHIFT_ROLE) {
  case 'blocked-check':
    answer(/exit (status )?[1-9]|error:|denied|not found/i.test(prompt.replace(/\(no error\)/g, ''))
      ? { verdict: 'proven', reason: 'the evidence shows the failure' }
      : { verdict: 'unproven', reason: 'the evidence shows the command succeeding; nothing blocks the work' });
    break;
  case 'heal':
    answer({ classification: 'wall', summary: 'the workers never produced work that passes its checks', evidence: 'see the pass journals' });
    break;
  default:
    answer({ verdict: 'approve', findings: [], cost_usd: 0.002 });
}
