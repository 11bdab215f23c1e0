#!/usr/bin/env node
// The tripwire's scripted reviewer: approves everything, so only the loop's own finish line and replay
// stand between a lying worker and a ticket counted done.
import { writeFileSync } from 'node:fs';

if (process.env.NIGHTSHIFT_ROLE === 'reviewer') {
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify({ verdict: 'approve', findings: [], cost_usd: 0 }));
} else if (process.env.NIGHTSHIFT_ROLE === 'blocked-check') {
  writeFileSync(process.env.NIGHTSHIFT_RESULT_FILE, JSON.stringify({ verdict: 'unproven', reason: 'scripted: no evidence checked' }));
}
