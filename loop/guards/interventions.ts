// Requests for a person (a proven block, a wall) and touches by a person, recorded with the run (an
// event and the state dir's interventions.jsonl, for the report) and in the checkout's ledger, which
// `nightshift interventions` lists across runs.
import { appendFileSync } from 'node:fs';
import type { RunParts } from '../state/state.ts';
import { appendLedger, interventionsFile } from '../../oracle/ledger.ts';
import type { InterventionKind, InterventionRecord } from '../../oracle/ledger.ts';

export function requestIntervention(ctx: RunParts, input: { kind: InterventionKind; ticket?: string; reason: string; evidence: string }): void {
  const record: InterventionRecord = { at: new Date().toISOString(), run: ctx.run, batch: ctx.options.batch.spec, type: 'request', state: ctx.paths.root, ...input };
  appendFileSync(interventionsFile(ctx.paths.root), `${JSON.stringify(record)}\n`);
  appendLedger('interventions.jsonl', record, ctx.env);
  ctx.log.emit({ type: 'intervention-request', ticket: input.ticket, kind: input.kind, reason: input.reason });
}
