// The review surface of self-repair: `nightshift heals` (every heal this checkout has seen, with the
// tripwire's verdict), `nightshift interventions` (every human touch and request, by kind) and
// `nightshift intervene --kind work|harness "<note>"` (records a touch).
import { appendFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from '../trackers/errors.ts';
import { interventionsFile } from '../oracle/ledger.ts';
import type { InterventionRecord } from '../oracle/ledger.ts';
import { appendLedger, ledgerDir, readLedger } from '../oracle/ledger.ts';

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

export type HealRecord = {
  at: string; heal: string; run: string; batch: string; state: string; reason: string;
  classification: 'gap' | 'wall'; verdict: 'accepted' | 'rejected' | 'wall';
  reasons: string[]; files: string[]; commit?: string; ref?: string; summary: string; evidence?: string;
  /** The heal's reviewers and their verdicts (absent for walls and older heals); a note when one vendor reviewed. */
  reviews?: Array<{ agent: string; verdict: 'approve' | 'changes' }>;
  review_note?: string;
  /** What the heal agent and its reviewers cost (absent in heals recorded before it was kept). */
  cost_usd?: number;
};

function flags<T extends ParseArgsOptionsConfig>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${usage}`);
  }
}

const HEALS_USAGE = 'usage: nightshift heals [--json]\n\nLists every heal this nightshift checkout has seen, across runs.';

export async function runHealsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = flags(argv, { json: { type: 'boolean', default: false } }, HEALS_USAGE);
  if (positionals.length > 0) throw new UsageError('bad-flag', `nightshift heals takes no arguments.\n\n${HEALS_USAGE}`);
  const heals = readLedger<HealRecord>('heals.jsonl', io.env);
  if (values.json) {
    io.stdout(`${JSON.stringify({ ledger: ledgerDir(io.env), heals })}\n`);
    return 0;
  }
  if (heals.length === 0) {
    io.stdout(`no heals recorded (ledger ${ledgerDir(io.env)})\n`);
    return 0;
  }
  for (const h of heals) {
    io.stdout(`${h.at}  ${h.verdict.toUpperCase().padEnd(8)}  ${h.classification}  heal ${h.heal}  run ${h.run}  batch ${h.batch}\n`);
    io.stdout(`  reason:  ${h.reason.split('\n')[0] ?? ''}\n`);
    if (h.summary) io.stdout(`  summary: ${h.summary}\n`);
    if (h.commit) io.stdout(`  commit:  ${h.commit}${h.ref ? ` (kept on ${h.ref})` : ''}\n`);
    if (h.files.length > 0) io.stdout(`  files:   ${h.files.join(', ')}\n`);
    if (h.reviews && h.reviews.length > 0) io.stdout(`  reviews: ${h.reviews.map((r) => `${r.agent} ${r.verdict}`).join('; ')}${h.review_note ? ` (${h.review_note})` : ''}\n`);
    for (const r of h.reasons) io.stdout(`  ${r.startsWith('review by ') ? 'review' : 'tripwire'}: ${r}\n`);
    if (h.evidence) io.stdout(`  evidence: ${h.evidence.split('\n')[0] ?? ''}\n`);
    if (typeof h.cost_usd === 'number' && h.cost_usd > 0) io.stdout(`  cost:    $${h.cost_usd.toFixed(2)}\n`);
  }
  const accepted = heals.filter((h) => h.verdict === 'accepted').length;
  io.stdout(`${heals.length} heal(s): ${accepted} accepted, ${heals.filter((h) => h.verdict === 'rejected').length} rejected, ${heals.filter((h) => h.verdict === 'wall').length} wall(s)\n`);
  return 0;
}

const INTERVENTIONS_USAGE = 'usage: nightshift interventions [--json]\n\nLists every human touch (a person did something) and request (nightshift asked a person), with its kind:\nwork (a person did the work) or harness (a person improved the machine).';

export async function runInterventionsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = flags(argv, { json: { type: 'boolean', default: false } }, INTERVENTIONS_USAGE);
  if (positionals.length > 0) throw new UsageError('bad-flag', `nightshift interventions takes no arguments.\n\n${INTERVENTIONS_USAGE}`);
  const records = readLedger<InterventionRecord & { note?: string }>('interventions.jsonl', io.env);
  const counts = { work: records.filter((r) => r.kind === 'work').length, harness: records.filter((r) => r.kind === 'harness').length };
  if (values.json) {
    io.stdout(`${JSON.stringify({ ledger: ledgerDir(io.env), counts, interventions: records })}\n`);
    return 0;
  }
  for (const r of records) {
    io.stdout(`${r.at}  ${r.type.padEnd(7)}  ${r.kind.padEnd(7)}  ${r.ticket ? `${r.ticket}  ` : ''}${r.reason.split('\n')[0] ?? ''}\n`);
    if (r.evidence) io.stdout(`  evidence: ${r.evidence.replace(/\n/g, '\n            ')}\n`);
  }
  io.stdout(`${records.length} intervention(s): ${counts.work} work, ${counts.harness} harness (ledger ${ledgerDir(io.env)})\n`);
  return 0;
}

const INTERVENE_USAGE = 'usage: nightshift intervene --kind work|harness [--ticket KEY] [--state DIR] "<note>"\n\nexample: nightshift intervene --kind harness "raised the worker timeout after two hung passes"';

export async function runInterveneCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = flags(argv, { kind: { type: 'string' }, ticket: { type: 'string' }, state: { type: 'string' } }, INTERVENE_USAGE);
  const kind = values.kind;
  if (kind !== 'work' && kind !== 'harness') {
    throw new UsageError('bad-flag', `nightshift intervene: --kind must be work (a person did the work) or harness (a person improved the machine)${typeof kind === 'string' ? `, not "${kind}"` : ''}.\n\n${INTERVENE_USAGE}`);
  }
  const note = positionals.join(' ').trim();
  if (note === '') throw new UsageError('bad-flag', `nightshift intervene: give a note saying what was done.\n\n${INTERVENE_USAGE}`);
  const state = typeof values.state === 'string' ? resolve(io.cwd, values.state) : undefined;
  if (state !== undefined && !existsSync(state)) throw new UsageError('bad-flag', `nightshift intervene: --state ${state} does not exist. Pass the state dir of a run (see \`nightshift status\`).`);
  const record: InterventionRecord = {
    at: new Date().toISOString(), run: 'person', batch: '', type: 'touch', kind,
    ...(typeof values.ticket === 'string' ? { ticket: values.ticket } : {}), ...(state ? { state } : {}), reason: note, evidence: '',
  };
  appendLedger('interventions.jsonl', record, io.env);
  if (state) appendFileSync(interventionsFile(state), `${JSON.stringify(record)}\n`);
  io.stdout(`recorded a ${kind} intervention: ${note}\n`);
  return 0;
}
