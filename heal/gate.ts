// A wall: every ticket of the batch the oracle does not count as satisfied is gated for a person,
// with the evidence, and an intervention request is recorded.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTracker } from '../trackers/open.ts';
import { appendLedger, interventionsFile } from '../oracle/ledger.ts';
import type { InterventionRecord } from '../oracle/ledger.ts';
import { HUMAN_GATED_LABEL, renderGateComment } from '../oracle/receipt-write.ts';
import type { RunOptions } from '../oracle/run-options.ts';
import { oracleOnce } from './oracle-once.ts';

export async function gateTickets(options: RunOptions, stateDir: string, env: NodeJS.ProcessEnv, wall: { summary: string; evidence: string }): Promise<string[]> {
  const answer = await oracleOnce({ batch: options.batch.spec, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch }, env);
  const open = answer.tickets.filter((t) => !t.satisfied).map((t) => t.key);
  const tracker = await openTracker({ kind: options.tracker, tickets: options.tickets }, env);
  for (const key of open) {
    await tracker.comment(key, renderGateComment(wall.summary, wall.evidence));
    await tracker.addLabel(key, HUMAN_GATED_LABEL);
  }
  const record: InterventionRecord = {
    at: new Date().toISOString(), run: 'supervisor', batch: options.batch.spec, type: 'request', kind: 'work', state: stateDir,
    ticket: open.join(','), reason: `wall: ${wall.summary}`, evidence: wall.evidence,
  };
  appendFileSync(interventionsFile(stateDir), `${JSON.stringify(record)}\n`);
  appendLedger('interventions.jsonl', record, env);
  return open;
}
