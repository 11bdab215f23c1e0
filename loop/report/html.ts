// The morning report: one self-contained HTML file (inline CSS and SVG, no script, no network, no
// external asset) with the oracle's final verdict, the timeline of every worker pass, each ticket's
// cost and time, every pass with its reviews, replay and revert, discovered tickets, heals with their
// tripwire verdicts, and interventions by kind.
import { briefReason, formatDuration, formatUsd } from './format.ts';
import { interventionsByKind, ticketTotals } from './model.ts';
import type { LoadedState } from './load.ts';
import { reviewSummary, sortedTickets, ticketStatus } from './text.ts';
import { OUTCOME_COLORS, escapeHtml as h, renderTimeline } from './timeline.ts';

export const REPORT_CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--bg:#fff;--card:#f6f7f9;--line:#e3e6eb}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--muted:#98a2b3;--bg:#14171c;--card:#1c2027;--line:#2c323c}}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:var(--card);border-radius:8px;padding:10px 14px;min-width:120px}.card b{display:block;font-size:18px}
.verdict{display:inline-block;border-radius:6px;padding:2px 10px;font-weight:600;color:#fff}
.v-done{background:#2e9e5b}.v-not-done{background:#c98a1e}.v-cannot-tell,.v-none{background:#c0392b}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap}td:nth-child(-n+2),.nowrap{white-space:nowrap}
.timeline{background:var(--card);border-radius:8px}.timeline .key{font:12px ui-monospace,monospace;fill:var(--fg)}
.timeline .tick{font-size:11px;fill:var(--muted)}.timeline .grid{stroke:var(--line)}.timeline .run{stroke:var(--muted);stroke-dasharray:4 3}
.timeline .heal{fill:#f2c94c;opacity:.25}.timeline .label{font-size:11px;fill:#fff}.timeline .mark{font-size:13px}
.timeline .ok{fill:#2e9e5b}.timeline .revert{fill:#c0392b}
.tw-accepted{color:#2e9e5b}.tw-rejected{color:#c0392b}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
`;

const table = (head: string[], rows: string[][], numeric: number[] = []): string =>
  rows.length === 0 ? '<p class="muted">none</p>' : `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

export function renderHtmlReport(state: LoadedState, options: { now?: string; run?: string } = {}): string {
  const { model } = state;
  const now = options.now ?? new Date().toISOString();
  const end = state.liveness === 'running' ? now : model.last ?? now;
  const start = model.runs[0]?.start ?? model.first ?? now;
  const oracle = model.oracle;
  const { work, harness } = interventionsByKind(model);
  const tickets = sortedTickets(model.tickets.values());
  const passes = tickets.flatMap((t) => t.passes);
  const budget = state.runJson?.budgetUsd;
  const verdictClass = `v-${oracle?.verdict ?? 'none'}`;
  const used = new Set(passes.map((p) => (p.end ? p.outcome ?? 'interrupted' : 'running')));
  const oracleReason = new Map((state.oracleTickets ?? []).map((t) => [t.key, t]));

  const ticketRows = tickets.map((t) => {
    const totals = ticketTotals(t, end);
    const final = oracleReason.get(t.key);
    return [`<code>${h(t.key)}</code>${t.filed ? ' <span class="muted">(discovered)</span>' : ''}`, h(ticketStatus(t)), String(t.passes.length), formatUsd(totals.costUsd), formatDuration(totals.durationMs), h(reviewSummary(t.passes)), final ? `${final.satisfied ? '✓' : '✗'} ${h(final.reason)}` : '-'];
  });
  for (const t of state.oracleTickets ?? []) {
    if (!model.tickets.has(t.key)) ticketRows.push([`<code>${h(t.key)}</code>`, t.satisfied ? 'satisfied' : 'not started', '0', formatUsd(0), '-', '-', `${t.satisfied ? '✓' : '✗'} ${h(t.reason)}`]);
  }
  const passRows = passes.map((p) => [
    `<code>${h(p.ticket)}</code>`, String(p.pass), h(p.agent ?? '-'), h(p.start.slice(11, 19)), formatDuration(Date.parse(p.end ?? end) - Date.parse(p.start)),
    `<span class="nowrap" style="color:${OUTCOME_COLORS[p.end ? p.outcome ?? 'interrupted' : 'running'] ?? 'inherit'}">${h(p.end ? p.outcome ?? 'interrupted' : 'running')}</span>`,
    p.reviews.map((r) => `<span class="nowrap">${h(r.reviewer)}: <b>${h(r.verdict)}</b>${r.findings > 0 ? ` (${r.findings} finding${r.findings > 1 ? 's' : ''})` : ''}</span>`).join('<br>') || '-',
    p.replay ? `${h(p.replay)}${p.reverted ? ', <b>reverted</b>' : ''}` : '-', formatUsd(p.costUsd),
    (p.outcome === 'landed' ? `merged <code>${h((p.merged ?? '').slice(0, 12))}</code>` : h(briefReason(p.reason, 300))) + (p.pull ? ` <a href="${h(p.pull)}">pull request</a>` : ''),
  ]);
  const runRows = model.runs.map((r) => {
    const inRun = model.interventions.filter((i) => i.run === r.id);
    return [`<code>${h(r.id)}</code>`, h(r.start.slice(0, 19).replace('T', ' ')), r.end ? `exit ${String(r.exitCode)}` : h(state.liveness === 'running' && r === model.runs.at(-1) ? 'running' : 'no end (killed?)'), h(r.reason ?? ''), String(inRun.filter((i) => i.kind === 'work').length), String(inRun.filter((i) => i.kind === 'harness').length)];
  });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>nightshift report: ${h(model.batch ?? '?')}</title><style>${REPORT_CSS}</style></head><body>
<h1>nightshift report: ${h(model.batch ?? '?')}${options.run ? ` <span class="muted">run ${h(options.run)}</span>` : ''}</h1>
<p class="muted">${h(start.slice(0, 19).replace('T', ' '))}Z to ${h(end.slice(0, 19).replace('T', ' '))}Z · state dir <code>${h(state.dir)}</code> · loop ${h(state.liveness)}</p>
${model.sandboxOff ? `<p class="warning"><b>Warning:</b> ${h(model.sandboxOff)}</p>\n` : ''}<div class="cards">
<div class="card">oracle's final verdict<b><span class="verdict ${verdictClass}" id="verdict">${h(oracle?.verdict ?? 'never asked')}</span></b>${oracle ? `${oracle.satisfied}/${oracle.total} satisfied` : ''}</div>
<div class="card">duration<b>${formatDuration(Date.parse(end) - Date.parse(start))}</b>${model.runs.length} run(s)</div>
<div class="card">worker passes<b>${passes.length}</b>${tickets.length} ticket(s)</div>
<div class="card">cost<b>${formatUsd(model.spentUsd)}</b>${budget === undefined ? 'no budget' : `of ${formatUsd(budget)}`}</div>
<div class="card">heals<b>${model.heals.length}</b>${model.heals.filter((x) => x.tripwire === 'accepted').length} accepted</div>
<div class="card">interventions<b>${work + harness}</b>work ${work} · harness ${harness}</div>
</div>
${oracle?.problem ? `<p><b>oracle:</b> ${h(oracle.problem)}</p>` : ''}
<h2 id="timeline">Timeline of worker passes</h2>
${passes.length > 0 ? renderTimeline(model, end, (state.oracleTickets ?? []).map((t) => t.key)) : '<p class="muted">no worker pass yet</p>'}
<p class="legend">${[...used].map((o) => `<span><i style="background:${OUTCOME_COLORS[o] ?? '#7f8c8d'}"></i>${h(o)}</span>`).join('')}<span>✓ replay passed</span><span>↺ merge reverted</span>${model.heals.length > 0 ? '<span><i style="background:#f2c94c"></i>heal</span>' : ''}</p>
<h2>Tickets</h2>
${table(['ticket', 'status', 'passes', 'cost', 'time', 'reviews', "oracle's final word"], ticketRows, [2, 3, 4])}
<h2>Worker passes</h2>
${table(['ticket', 'pass', 'agent', 'start', 'time', 'outcome', 'reviews', 'replay', 'cost', 'result'], passRows, [1, 4, 8])}
<h2>Discovered tickets</h2>
${table(['ticket', 'from', 'title', 'filed'], model.discovered.map((d) => [`<code>${h(d.key)}</code>`, `<code>${h(d.from)}</code>`, h(d.title), h(d.ts.slice(11, 19))]))}
<h2>Heals</h2>
${table(['started', 'stop reason', 'classification', 'tripwire', 'summary and tripwire reasons', 'files', 'commit / ref'], model.heals.map((x) => [
  h(x.start.slice(11, 19)), h(briefReason(x.reason, 300)), h(x.classification ?? (x.end ? '-' : 'running')),
  `<b class="tw-${h(x.tripwire ?? 'none')}">${h(x.tripwire ?? '-')}</b>`, [x.summary ?? '', ...x.reasons].filter(Boolean).map(h).join('<br>'),
  x.files.map((f) => `<code>${h(f)}</code>`).join('<br>'), `<code>${h((x.commit ?? '').slice(0, 12))}</code>${x.ref ? `<br><code>${h(x.ref)}</code>` : ''}`,
]))}
<h2>Confirmation and final audit</h2>
${model.confirms.length > 0 ? table(['time', 'the loop said', 'the oracle, asked on its own'], model.confirms.map((c) => [h(c.ts.slice(0, 16).replace('T', ' ')), `exit ${h(String(c.loopExit))}`, c.agreed ? 'agreed' : `<b>disagreed: exit ${h(String(c.oracleExit))}</b>`])) : '<p class="muted">no run has said done yet</p>'}
${model.audits.length > 0 ? table(['time', 'round', 'head', 'passed', 'failed (reopened)'], model.audits.map((a) => [
  h(a.ts.slice(0, 16).replace('T', ' ')), h(String(a.round)), `<code>${h((a.head ?? '-').slice(0, 12))}</code>`, a.problem ? h(`cannot tell: ${a.problem}`) : h(a.passed.join(', ') || '-'),
  a.failed.map((f) => `<code>${h(f.ticket)}</code> <code>${h(f.command)}</code> ${h(f.exit)}${a.reopened.includes(f.ticket) ? ' (reopened)' : ''}`).join('<br>') || '-',
])) : ''}
<h2>Interventions</h2>
${table(['run', 'started', 'end', 'reason', 'work', 'harness'], runRows, [4, 5])}
${model.interventions.length > 0 ? table(['time', 'kind', 'request or touch', 'ticket', 'note'], model.interventions.map((i) => [h(i.ts.slice(0, 16).replace('T', ' ')), `<b>${h(i.kind)}</b>`, h(i.type), h(i.ticket ?? '-'), h(i.note)])) : ''}
<p class="muted">Generated by nightshift at ${h(now)}.</p>
</body></html>
`;
}
