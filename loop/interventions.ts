// Requests for a person (a proven block, a wall) and touches by a person, recorded with the run (an
// event and the state dir's interventions.jsonl, for the report) and in the checkout's ledger, which
// `nightshift interventions` lists across runs.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoopContext } from './context.ts';
import { appendLedger } from './ledger.ts';

export type InterventionKind = 'work' | 'harness';

export type InterventionRecord = {
  at: string;
  run: string;
  batch: string;
  /** `request`: nightshift asks a person; `touch`: a person did something. */
  type: 'request' | 'touch';
  kind: InterventionKind;
  state?: string;
  ticket?: string;
  reason: string;
  evidence: string;
};

export function interventionsFile(stateDir: string): string {
  return join(stateDir, 'interventions.jsonl');
}

export function requestIntervention(ctx: Pick<LoopContext, 'run' | 'options' | 'paths' | 'env' | 'log'>, input: { kind: InterventionKind; ticket?: string; reason: string; evidence: string }): void {
  const record: InterventionRecord = { at: new Date().toISOString(), run: ctx.run, batch: ctx.options.batch.spec, type: 'request', state: ctx.paths.root, ...input };
  appendFileSync(interventionsFile(ctx.paths.root), `${JSON.stringify(record)}\n`);
  appendLedger('interventions.jsonl', record, ctx.env);
  ctx.log.emit({ type: 'intervention-request', ticket: input.ticket, kind: input.kind, reason: input.reason });
}
