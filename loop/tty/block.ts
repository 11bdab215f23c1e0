// The live block of a batch: a header, the progress line, the oracle / cost / heals line, and one
// row per running worker. The live view redraws it in place; `nightshift status` prints it once.
import { formatUsd } from '../report/format.ts';
import { interventionsByKind } from '../report/model.ts';
import type { BatchModel } from '../report/model.ts';
import { clock } from './text.ts';
import type { Piece } from './text.ts';

export type BlockOptions = {
  now: number;
  budgetUsd: number | undefined;
  /** Most worker rows to show; the rest are summed up in one row. */
  maxWorkers: number;
  /** A word for the header: `running`, `finished`, `stopped` ... */
  phase?: string;
};

const BAR = 20;

export function progressBar(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * BAR);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
}

export function renderBlock(model: BatchModel, options: BlockOptions): Piece[][] {
  const rows: Piece[][] = [];
  const run = model.runs.at(-1);
  const since = run ? Date.parse(run.start) : options.now;
  rows.push([
    { text: 'nightshift', style: 'bold' },
    { text: ` ${model.batch ?? '(batch?)'}` },
    { text: `  ${options.phase ?? 'running'} ${clock(options.now - since)}`, style: 'dim' },
    { text: `  up to ${model.workers ?? '?'} agent(s) at a time`, style: 'dim' },
  ]);
  if (model.sandboxOff) rows.push([{ text: 'WARNING ', style: 'red' }, { text: model.sandboxOff, style: 'red' }]);
  rows.push(progressRow(model));
  rows.push(statusRow(model, options.budgetUsd));
  const workers = [...model.running.values()].sort((a, b) => a.start.localeCompare(b.start));
  const keyWidth = Math.max(0, ...workers.map((w) => w.ticket.length));
  const shown = workers.length > options.maxWorkers ? workers.slice(0, Math.max(0, options.maxWorkers - 1)) : workers;
  for (const w of shown) {
    rows.push([
      { text: `  ${w.ticket.padEnd(keyWidth)}`, style: 'cyan' },
      { text: `  pass ${w.pass}${w.of ? `/${w.of}` : ''}` },
      { text: `  ${(w.agent ?? '-').slice(0, 18).padEnd(18)}`, style: 'dim' },
      { text: `  ${clock(options.now - Date.parse(w.start)).padStart(7)}` },
      ...(w.worker ? [{ text: `  @${w.worker}`, style: 'dim' as const }] : []),
      { text: `  ${w.last.text}` },
    ]);
  }
  if (shown.length < workers.length) rows.push([{ text: `  ... and ${workers.length - shown.length} more running`, style: 'dim' }]);
  if (workers.length === 0) rows.push([{ text: '  (no worker running)', style: 'dim' }]);
  return rows;
}

function progressRow(model: BatchModel): Piece[] {
  const c = model.counts;
  if (!c) return [{ text: 'progress ', style: 'bold' }, { text: 'waiting for the first oracle verdict', style: 'dim' }];
  const running = model.running.size;
  const pieces: Piece[] = [
    { text: 'progress ', style: 'bold' },
    { text: `[${progressBar(c.done, c.total)}] `, style: 'green' },
    { text: `${c.done}/${c.total} done`, style: 'bold' },
    { text: ` · ${running} running · ${c.ready} ready · ${c.blocked} blocked · ${c.gated} gated` },
  ];
  if (c.exhausted > 0) pieces.push({ text: ` · ${c.exhausted} out of passes`, style: 'red' });
  if (c.canceled > 0) pieces.push({ text: ` · ${c.canceled} canceled`, style: 'dim' });
  return pieces;
}

function statusRow(model: BatchModel, budgetUsd: number | undefined): Piece[] {
  const o = model.oracle;
  const verdictStyle = o?.verdict === 'done' ? 'green' : o?.verdict === 'not-done' ? 'yellow' : 'red';
  const { work, harness } = interventionsByKind(model);
  const accepted = model.heals.filter((h) => h.tripwire === 'accepted').length;
  return [
    { text: 'oracle ', style: 'bold' },
    o ? { text: `${o.verdict} ${o.satisfied}/${o.total}`, style: verdictStyle } : { text: 'not asked yet', style: 'dim' },
    { text: '  cost ', style: 'bold' },
    { text: `${formatUsd(model.spentUsd)}${budgetUsd === undefined ? ' (no budget)' : ` of ${formatUsd(budgetUsd)}`}`, ...(budgetUsd !== undefined && model.spentUsd >= budgetUsd ? { style: 'red' as const } : {}) },
    { text: '  heals ', style: 'bold' },
    { text: `${model.heals.length}${model.heals.length > 0 ? ` (${accepted} accepted)` : ''}` },
    { text: '  interventions ', style: 'bold' },
    { text: `${work + harness} (work ${work}, harness ${harness})` },
  ];
}
