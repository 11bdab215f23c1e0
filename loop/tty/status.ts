// `nightshift status [--state DIR] [--json]`, from another terminal: reads a batch's state dir (running
// or finished) and prints the live block once, the loop's liveness and the latest events. Without
// --state: the `state` of ./nightshift.config.json if it sets one, else every state dir under the
// default root, most recently active first, with the details of the one that is running.
import type { RateLimitState } from '../../trackers/types.ts';
import { describeBudget } from '../tracker/watch.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../../trackers/errors.ts';
import { readRunConfig } from '../../oracle/run-options.ts';
import type { CommandIo } from '../report/command.ts';
import { defaultStateRoot, listStateDirs, loadStateDir } from '../report/load.ts';
import type { LoadedState } from '../report/load.ts';
import { formatUsd } from '../report/format.ts';
import { interventionsByKind } from '../report/model.ts';
import { describeLastAudit, htmlReportCommand } from '../report/text.ts';
import { budgetsOf, describeBudgets } from '../schedule/budget.ts';
import { renderBlock } from './block.ts';
import { renderRow } from './text.ts';
import { formatEvent } from './view.ts';

export const STATUS_USAGE = `usage: nightshift status [--state DIR] [--json]

Shows a batch from another terminal, whether its loop is running or finished: progress, running
workers, the oracle's last verdict, cost, heals, interventions and the latest events.

  --state DIR  the run's state dir (the one \`nightshift run\` prints, or its --state)
  (none)       the "state" of ./nightshift.config.json if set; else every run under
               $XDG_STATE_HOME/nightshift (default ~/.local/state/nightshift), newest first,
               with the details of the one that is running
  --json       the same as one JSON object

examples:
  nightshift status
  nightshift status --state /tmp/demo/state --json | jq .progress`;

const LIVENESS_TEXT = {
  running: 'running',
  healing: 'healing: the loop stopped short of done and the supervisor is running a heal pass; the loop restarts if the tripwire accepts it',
  finished: 'finished',
  stopped: 'stopped: its loop is gone and its run has no end (killed?); run the same `nightshift run` to continue the batch',
  'never-started': 'never started',
} as const;

export async function runStatusCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, options: { state: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${STATUS_USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout(`${STATUS_USAGE}\n`);
    return 0;
  }
  const configured = values.state ?? readRunConfig(undefined, io.cwd).state;
  if (configured !== undefined) {
    const state = loadStateDir(resolve(io.cwd, configured));
    io.stdout(values.json ? `${JSON.stringify(statusJson(state), null, 2)}\n` : renderStatus(state));
    return 0;
  }
  const root = defaultStateRoot(io.env);
  const states = listStateDirs(root).map((dir) => loadStateDir(dir));
  if (values.json) {
    io.stdout(`${JSON.stringify({ root, runs: states.map(statusJson) }, null, 2)}\n`);
    return 0;
  }
  if (states.length === 0) {
    io.stdout(`nightshift status: no runs under ${root}.\nA run with --state DIR elsewhere: nightshift status --state DIR\n`);
    return 0;
  }
  const lines = [`nightshift status: ${states.length} batch(es) under ${root}, most recent first`];
  for (const s of states) {
    const c = s.model.counts;
    lines.push(`  ${s.liveness.padEnd(9)} ${(s.model.batch ?? '?').padEnd(22)} ${c ? `${c.done}/${c.total} done` : 'no verdict'.padEnd(10)}  last event ${s.model.last?.slice(0, 19).replace('T', ' ') ?? '-'}Z  ${s.dir}`);
  }
  const running = states.filter((s) => s.liveness === 'running');
  const detail = running.length === 1 ? running[0] : states.length === 1 ? states[0] : undefined;
  lines.push('', detail ? renderStatus(detail) : 'Details of one: nightshift status --state DIR');
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** The tracker's budget left as the last schedule event of the run recorded it. */
function trackerBudget(state: LoadedState): RateLimitState | undefined {
  return state.events.findLast((e) => e.type === 'schedule' && typeof e.tracker_budget === 'object')?.tracker_budget as RateLimitState | undefined;
}

export function renderStatus(state: LoadedState, width = 120): string {
  const { model } = state;
  const now = state.liveness === 'running' ? Date.now() : Date.parse(model.last ?? new Date().toISOString());
  const block = renderBlock(model, { now, budgetUsd: state.runJson?.budgetUsd, maxWorkers: 64, phase: state.liveness === 'running' ? 'running' : 'ran' });
  const run = model.runs.at(-1);
  const audit = describeLastAudit(model);
  const lines = [
    `state dir: ${state.dir}`,
    `loop:      ${LIVENESS_TEXT[state.liveness]}${state.pid !== undefined ? ` (pid ${state.pid})` : ''}`,
    ...(run ? [`run:       ${run.id}, started ${run.start.slice(0, 19).replace('T', ' ')}Z${run.end ? `, ended: exit ${String(run.exitCode)} - ${run.reason ?? ''}` : ''}`] : []),
    ...(audit ? [`audit:     ${audit}`] : []),
    `budgets:   ${describeBudgets(budgetsOf(state))}`,
    ...(trackerBudget(state) ? [`tracker:   ${describeBudget(trackerBudget(state)) ?? ''}`] : []),
    '',
    ...block.map((row) => renderRow(row, width, false)),
    '',
    'latest events:',
    ...state.events.slice(-8).map((e) => `  ${renderRow([{ text: formatEvent(e) }], width - 2, false)}`),
    '',
    `report:    nightshift report ${state.dir}`,
    `           ${htmlReportCommand(state.dir)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function statusJson(state: LoadedState): Record<string, unknown> {
  const { model } = state;
  const run = model.runs.at(-1);
  return {
    state: state.dir,
    loop: state.liveness,
    pid: state.pid ?? null,
    batch: model.batch ?? null,
    run: run ? { id: run.id, started: run.start, ended: run.end ?? null, exit_code: run.exitCode ?? null, reason: run.reason ?? null } : null,
    progress: model.counts ? { ...model.counts, running: model.running.size } : null,
    oracle: model.oracle ?? null,
    running: [...model.running.values()].map((p) => ({ ticket: p.ticket, pass: p.pass, agent: p.agent ?? null, started: p.start, last_event: p.last.text, last_event_at: p.last.ts })),
    spent_usd: model.spentUsd,
    tracker_budget: trackerBudget(state) ?? null,
    spent: formatUsd(model.spentUsd),
    budget_usd: state.runJson?.budgetUsd ?? null,
    budgets: budgetsOf(state),
    heals: model.heals.length,
    interventions: interventionsByKind(model),
    audit: model.audits.at(-1) ?? null,
    last_event_at: model.last ?? null,
  };
}
