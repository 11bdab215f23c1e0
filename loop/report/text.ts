// The text summary of a batch: printed at the end of every run and by `nightshift report`. It ends with
// the exact command that renders the same batch as an HTML report.
import { quote } from 'shell-quote';
import { briefReason, formatDuration, formatUsd } from './format.ts';
import { interventionsByKind, ticketTotals } from './model.ts';
import type { AuditRecord, BatchModel, PassRecord, TicketRecord } from './model.ts';
import type { LoadedState } from './load.ts';

/** The command that renders this state dir (or one run of it) as HTML next to its event log. */
export function htmlReportCommand(dir: string, run?: string): string {
  const target = run ?? dir;
  const out = `${dir}/report${run ? `-${run}` : ''}.html`;
  return `nightshift report --html --out ${quote([out])} ${quote([target])}`;
}

/** Tickets in key order (ENG-2 before ENG-10). */
export function sortedTickets(tickets: Iterable<TicketRecord>): TicketRecord[] {
  const order = (key: string): [string, number] => {
    const match = /^(.*?)-(\d+)$/.exec(key);
    return match ? [match[1] ?? '', Number(match[2])] : [key, 0];
  };
  return [...tickets].sort((a, b) => {
    const [pa, na] = order(a.key);
    const [pb, nb] = order(b.key);
    return pa === pb ? na - nb : pa.localeCompare(pb);
  });
}

/** What a ticket came to: done, running, or its last pass's outcome. */
export function ticketStatus(ticket: TicketRecord): string {
  if (ticket.done) return 'done';
  if (ticket.gated) return 'gated';
  const last = ticket.passes.at(-1);
  if (!last) return 'not started';
  return last.end ? (last.outcome ?? 'ended') : 'running';
}

export function reviewSummary(passes: readonly PassRecord[]): string {
  const reviews = passes.flatMap((p) => p.reviews);
  if (reviews.length === 0) return '-';
  return `${reviews.filter((r) => r.verdict === 'approve').length}/${reviews.length} approve`;
}

export function renderTextReport(state: LoadedState, options: { run?: string } = {}): string {
  const { model } = state;
  const lines: string[] = [];
  const first = model.runs[0]?.start ?? model.first;
  const span = first && model.last ? Date.parse(model.last) - Date.parse(first) : 0;
  const passes = [...model.tickets.values()].reduce((n, t) => n + t.passes.length, 0);
  const { work, harness } = interventionsByKind(model);
  const budget = state.runJson?.budgetUsd;
  lines.push(`nightshift report: batch ${model.batch ?? '?'}${options.run ? `, run ${options.run}` : ''} (${state.liveness})`);
  for (const run of model.runs) {
    lines.push(`  run ${run.id}: ${run.start.slice(0, 19).replace('T', ' ')}Z, ${run.end ? `exit ${String(run.exitCode)} - ${run.reason ?? ''}` : state.liveness === 'running' ? 'running' : 'ended without a run-end (killed?)'}`);
  }
  const oracle = model.oracle;
  if (model.sandboxOff) lines.push(`WARNING:       ${model.sandboxOff}`);
  lines.push(`oracle:        ${oracle ? `${oracle.verdict}, ${oracle.satisfied}/${oracle.total} satisfied${oracle.problem ? ` - ${oracle.problem.split('\n')[0]}` : ''}` : 'never asked'}`);
  lines.push(`time:          ${formatDuration(span)} over ${model.runs.length} run(s), ${passes} worker pass(es)`);
  lines.push(`cost:          ${formatUsd(model.spentUsd)}${budget === undefined ? '' : ` of a ${formatUsd(budget)} budget`}`);
  lines.push(`heals:         ${model.heals.length}${model.heals.length > 0 ? ` (${model.heals.map((h) => `${h.classification ?? '?'}/${h.tripwire ?? 'no tripwire'}`).join(', ')})` : ''}`);
  lines.push(`interventions: ${work + harness} (work ${work}, harness ${harness})`);
  const audit = describeLastAudit(model);
  if (audit) lines.push(`final audit:   ${audit}`);
  lines.push('');
  const tickets = sortedTickets(model.tickets.values());
  const keyWidth = Math.max(6, ...tickets.map((t) => t.key.length));
  lines.push(`${'ticket'.padEnd(keyWidth)}  ${'status'.padEnd(16)} passes  ${'cost'.padStart(7)}  ${'time'.padStart(7)}  reviews`);
  for (const ticket of tickets) {
    const totals = ticketTotals(ticket, model.last);
    lines.push(`${ticket.key.padEnd(keyWidth)}  ${ticketStatus(ticket).padEnd(16)} ${String(ticket.passes.length).padStart(6)}  ${formatUsd(totals.costUsd).padStart(7)}  ${formatDuration(totals.durationMs).padStart(7)}  ${reviewSummary(ticket.passes)}`);
    for (const pass of ticket.passes) {
      const on = pass.worker ? ` (worker ${pass.worker}${pass.resumedFrom ? `, resumed from ${pass.resumedFrom.slice(0, 12)}` : ''})` : '';
      if (pass.outcome === 'landed' && pass.pull) lines.push(`${''.padEnd(keyWidth)}    pass ${pass.pass}: landed through ${pass.pull}${on}`);
      else if (pass.outcome === 'landed' && on) lines.push(`${''.padEnd(keyWidth)}    pass ${pass.pass}: landed${on}`);
      if (pass.outcome === 'landed' || !pass.end) continue;
      lines.push(`${''.padEnd(keyWidth)}    pass ${pass.pass}: ${pass.outcome ?? '?'}${on} - ${briefReason(pass.reason, 110)}`);
    }
  }
  const untouched = (state.oracleTickets ?? []).filter((t) => !model.tickets.has(t.key));
  for (const t of untouched) lines.push(`${t.key.padEnd(keyWidth)}  ${(t.satisfied ? 'satisfied' : 'not started').padEnd(16)}      0  (${t.reason})`);
  const reverts = [...model.tickets.values()].flatMap((t) => t.passes.filter((p) => p.reverted));
  if (reverts.length > 0) lines.push('', `reverted merges: ${reverts.map((p) => `${p.ticket} pass ${p.pass} (${(p.merged ?? '').slice(0, 12)})`).join(', ')}`);
  if (model.discovered.length > 0) {
    lines.push('', 'discovered tickets:');
    for (const d of model.discovered) lines.push(`  ${d.key} (from ${d.from}): ${d.title}`);
  }
  if (model.heals.length > 0) {
    lines.push('', 'heals:');
    for (const h of model.heals) lines.push(`  ${h.start.slice(11, 19)} ${h.classification ?? '?'} / tripwire ${h.tripwire ?? '-'}: ${h.summary ?? h.reason}${h.reasons.length > 0 ? ` [${h.reasons.join('; ')}]` : ''}`);
  }
  if (model.confirms.length > 0) {
    lines.push('', 'confirmations (the oracle asked on its own, then the final audit):');
    for (const c of model.confirms) lines.push(`  ${c.ts.slice(0, 16).replace('T', ' ')} the loop said exit ${String(c.loopExit)}; the oracle ${c.agreed ? 'agreed' : `DISAGREED (exit ${String(c.oracleExit)})`}`);
    for (const a of model.audits) lines.push(`  ${a.ts.slice(0, 16).replace('T', ' ')} audit round ${a.round}: ${describeAudit(a)}`);
  }
  if (model.interventions.length > 0) {
    lines.push('', 'interventions:');
    for (const i of model.interventions) lines.push(`  ${i.ts.slice(0, 16).replace('T', ' ')} ${i.kind} ${i.type}${i.ticket ? ` ${i.ticket}` : ''}: ${i.note}`);
  }
  lines.push('', `state dir: ${state.dir}`, `HTML report: ${htmlReportCommand(state.dir, options.run)}`);
  return `${lines.join('\n')}\n`;
}

function describeAudit(a: AuditRecord): string {
  if (a.problem) return `cannot tell - ${a.problem.split('\n')[0] ?? ''}`;
  const failed = a.failed.map((f) => `${f.ticket} (\`${f.command}\` ${f.exit})`);
  return `${a.passed.length} passed${failed.length > 0 ? `, FAILED ${failed.join(', ')}${a.reopened.length > 0 ? `, reopened ${a.reopened.join(', ')}` : ''}` : ''} on ${(a.head ?? '?').slice(0, 12)}`;
}

/** The last audit of the batch in one line, or undefined when no run has been confirmed yet. */
export function describeLastAudit(model: BatchModel): string | undefined {
  const last = model.audits.at(-1);
  return last ? `round ${last.round}: ${describeAudit(last)}` : undefined;
}
