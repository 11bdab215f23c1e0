// A wall: every ticket of the batch the oracle does not count as satisfied is gated for a person,
// with the evidence, and an intervention request is recorded.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTracker } from '../trackers/open.ts';
import { interventionsFile } from '../loop/interventions.ts';
import type { InterventionRecord } from '../loop/interventions.ts';
import { appendLedger } from '../loop/ledger.ts';
import { askOracle } from '../loop/oracle-client.ts';
import type { RunOptions } from '../loop/options.ts';
import { HUMAN_GATED_LABEL, renderGateComment } from '../loop/receipt.ts';

export async function gateTickets(options: RunOptions, stateDir: string, env: NodeJS.ProcessEnv, wall: { summary: string; evidence: string }): Promise<string[]> {
  const answer = await askOracle(
    { batch: options.batch.spec, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch },
    join(stateDir, 'oracle.wall.json'),
    env,
  );
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
