// The Gantt-like timeline of the HTML report: one row per ticket, one bar per worker pass (from its
// pass-start to its pass-end), coloured by outcome, with merge / replay / revert marks, run starts as
// dashed lines and heals as shaded bands. Pure inline SVG; the hover text is SVG <title>, no script.
import { briefReason, formatDuration } from './format.ts';
import type { BatchModel, PassRecord } from './model.ts';
import { sortedTickets } from './text.ts';

export const OUTCOME_COLORS: Record<string, string> = {
  landed: '#2e9e5b', 'verify-failed': '#e08a1e', 'review-rejected': '#c9a227', 'replay-failed': '#c0392b',
  'merge-conflict': '#8e44ad', 'check-failed': '#d35400', 'agent-failed': '#7f8c8d', 'no-result': '#7f8c8d', 'no-commits': '#95a5a6',
  blocked: '#34495e', 'no-verify': '#95a5a6', 'internal-error': '#c0392b', interrupted: '#bdc3c7', gated: '#8e6bbf', running: '#2f80ed',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const LABEL = 120;
const WIDTH = 960;
const ROW = 24;
const AXIS = 28;

/** `alsoKeys`: tickets of the batch that had no pass (e.g. from the oracle's last answer) get an empty row. */
export function renderTimeline(model: BatchModel, now: string, alsoKeys: readonly string[] = []): string {
  const idle = alsoKeys.filter((key) => !model.tickets.get(key)?.passes.length).map((key) => ({ key, passes: [], done: undefined, gated: undefined, filed: undefined }));
  const tickets = sortedTickets([...[...model.tickets.values()].filter((t) => t.passes.length > 0), ...idle]);
  const t0 = Date.parse(model.runs[0]?.start ?? model.first ?? now);
  const t1 = Math.max(Date.parse(model.last ?? now), t0 + 1000);
  const chart = WIDTH - LABEL - 10;
  const x = (ts: string) => LABEL + ((Date.parse(ts) - t0) / (t1 - t0)) * chart;
  const height = AXIS + tickets.length * ROW + 10;
  const parts: string[] = [];
  for (const heal of model.heals) {
    const x0 = x(heal.start);
    const w = Math.max(3, x(heal.end ?? model.last ?? now) - x0);
    parts.push(`<rect class="heal" x="${x0.toFixed(1)}" y="${AXIS - 4}" width="${w.toFixed(1)}" height="${height - AXIS}"><title>${escapeHtml(`heal: ${heal.classification ?? '?'}, tripwire ${heal.tripwire ?? '-'} - ${heal.summary ?? heal.reason}`)}</title></rect>`);
  }
  for (let i = 0; i <= 6; i++) {
    const at = t0 + ((t1 - t0) * i) / 6;
    const px = LABEL + (chart * i) / 6;
    parts.push(`<line class="grid" x1="${px.toFixed(1)}" y1="${AXIS - 6}" x2="${px.toFixed(1)}" y2="${height - 6}"/>`);
    parts.push(`<text class="tick" x="${px.toFixed(1)}" y="${AXIS - 10}" text-anchor="${i === 0 ? 'start' : i === 6 ? 'end' : 'middle'}">${i === 0 ? new Date(at).toISOString().slice(11, 19) : `+${formatDuration(at - t0)}`}</text>`);
  }
  for (const run of model.runs.slice(1)) {
    parts.push(`<line class="run" x1="${x(run.start).toFixed(1)}" y1="${AXIS - 6}" x2="${x(run.start).toFixed(1)}" y2="${height - 6}"><title>${escapeHtml(`run ${run.id} started`)}</title></line>`);
  }
  tickets.forEach((ticket, row) => {
    const y = AXIS + row * ROW;
    parts.push(`<text class="key" x="${LABEL - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escapeHtml(ticket.key)}</text>`);
    if (ticket.passes.length === 0) parts.push(`<text class="tick" x="${LABEL + 4}" y="${y + ROW / 2 + 4}">no pass</text>`);
    for (const pass of ticket.passes) parts.push(passBar(pass, x, y, model.last ?? now));
  });
  return `<svg class="timeline" role="img" aria-label="timeline of worker passes per ticket" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}

function passBar(pass: PassRecord, x: (ts: string) => number, y: number, now: string): string {
  const outcome = pass.end ? pass.outcome ?? 'interrupted' : 'running';
  const x0 = x(pass.start);
  const x1 = x(pass.end ?? now);
  const w = Math.max(4, x1 - x0);
  const reviews = pass.reviews.map((r) => `${r.reviewer}: ${r.verdict}`).join('; ');
  const title = [
    `${pass.ticket} pass ${pass.pass}: ${outcome}`,
    `${pass.start.slice(11, 19)} - ${(pass.end ?? now).slice(11, 19)} (${formatDuration(Date.parse(pass.end ?? now) - Date.parse(pass.start))})`,
    pass.agent ? `agent ${pass.agent}` : '',
    reviews ? `reviews: ${reviews}` : '',
    pass.replay ? `replay ${pass.replay}${pass.reverted ? ', merge reverted' : ''}` : '',
    pass.reason && outcome !== 'landed' ? briefReason(pass.reason, 300) : '',
  ].filter(Boolean).join('\n');
  const color = OUTCOME_COLORS[outcome] ?? '#7f8c8d';
  let svg = `<g class="pass" data-outcome="${escapeHtml(outcome)}"><rect x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" rx="3" fill="${color}"/><title>${escapeHtml(title)}</title>`;
  if (w > 22) svg += `<text class="label" x="${(x0 + 4).toFixed(1)}" y="${y + ROW / 2 + 4}">${pass.pass}</text>`;
  if (pass.reverted) svg += `<text class="mark revert" x="${(x0 + w + 3).toFixed(1)}" y="${y + ROW / 2 + 4}">↺</text>`;
  else if (pass.replay === 'passed') svg += `<text class="mark ok" x="${(x0 + w + 3).toFixed(1)}" y="${y + ROW / 2 + 4}">✓</text>`;
  return `${svg}</g>`;
}
