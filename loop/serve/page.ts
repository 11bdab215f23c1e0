// The dashboard page: one HTML document with inline CSS and script (no build step, no CDN, no asset).
// It reads the JSON API, draws the batch's tickets as a dependency graph coloured by state, and follows
// the batch over server-sent events: each new event is listed and the picture is fetched again.
import { REPORT_CSS } from '../report/html.ts';
import { OUTCOME_COLORS } from '../report/timeline.ts';

/** Colours of a ticket's state on the graph (shared with the legend). */
export const STATE_COLORS: Record<string, string> = {
  done: '#2e9e5b', gated: '#8e6bbf', running: '#2f80ed', retrying: '#e08a1e', failed: '#c0392b', blocked: '#95a5a6', todo: '#d0d5dd',
};

const CSS = `${REPORT_CSS}
body{max-width:1400px}
header{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap}
.live{font-size:12px;border-radius:10px;padding:1px 8px;background:var(--card)}.live.on{color:#2e9e5b}.live.off{color:#c0392b}
.graph{overflow:auto;background:var(--card);border-radius:8px;max-height:70vh}
.graph text{font:11px ui-monospace,monospace;fill:#fff;pointer-events:none}.graph .edge{stroke:var(--muted);stroke-opacity:.35;fill:none}
.graph g.node rect{stroke:rgba(0,0,0,.15)}.graph g[data-state=todo] text,.graph g[data-state=blocked] text{fill:#1d2330}
.events li{font:12px ui-monospace,monospace;list-style:none;padding:1px 0}.events{padding:0;margin:0;max-height:300px;overflow:auto}
a{color:#2f80ed}.err{color:#c0392b}
`;

const SCRIPT = String.raw`
const STATE_COLORS = ${JSON.stringify(STATE_COLORS)};
const OUTCOME_COLORS = ${JSON.stringify(OUTCOME_COLORS)};
const params = new URLSearchParams(location.search);
const token = params.get('token');
const auth = token ? { authorization: 'Bearer ' + token } : {};
const withToken = (path, extra) => { const q = new URLSearchParams(extra || {}); if (token) q.set('token', token); const s = q.toString(); return s ? path + '?' + s : path; };
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}
async function api(path, extra) {
  const res = await fetch(withToken(path, extra), { headers: auth });
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res;
}
const usd = (n) => '$' + Number(n || 0).toFixed(2);
const dur = (ms) => { const s = Math.max(0, Math.round(ms / 1000)); if (s < 60) return s + 's'; const m = Math.floor(s / 60); if (m < 60) return m + 'm' + String(s % 60).padStart(2, '0') + 's'; return Math.floor(m / 60) + 'h' + String(m % 60).padStart(2, '0') + 'm'; };
const time = (ts) => (ts || '').slice(11, 19);
function table(head, rows) {
  if (rows.length === 0) return el('p', { class: 'muted' }, 'none');
  return el('table', {}, el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))), el('tbody', {}, rows.map((r) => el('tr', r.attrs || {}, r.cells.map((c) => el('td', {}, c))))));
}
function card(label, value, note, id) { return el('div', { class: 'card' }, label, el('b', id ? { id } : {}, value), note || ''); }

async function showList() {
  const { batches } = await (await api('/api/batches')).json();
  if (batches.length === 1) { location.replace(withToken('/b/' + batches[0].id, {})); return; }
  $('title').textContent = 'nightshift: ' + batches.length + ' batch(es)';
  $('main').replaceChildren(table(['batch', 'loop', 'progress', 'oracle', 'cost', 'last event', 'state dir'], batches.map((b) => ({ cells: [
    el('a', { href: withToken('/b/' + b.id) }, b.batch || '?'), b.loop, b.progress ? b.progress.done + '/' + b.progress.total + ' done' : '-',
    b.oracle ? b.oracle.verdict : '-', usd(b.spent_usd), (b.last_event_at || '-').slice(0, 19).replace('T', ' '), el('code', {}, b.dir)] }))));
}

function drawGraph(tickets) {
  const NODE_W = 104, NODE_H = 22, COL = 128, ROW = 28, PAD = 10;
  const perCol = Math.max(12, Math.ceil(Math.sqrt(tickets.length) * 1.3));
  const layers = new Map();
  for (const t of tickets) { if (!layers.has(t.depth)) layers.set(t.depth, []); layers.get(t.depth).push(t); }
  const pos = new Map();
  let col = 0, rows = 0;
  for (const depth of [...layers.keys()].sort((a, b) => a - b)) {
    const layer = layers.get(depth);
    layer.forEach((t, i) => { pos.set(t.key, { x: PAD + (col + Math.floor(i / perCol)) * COL, y: PAD + (i % perCol) * ROW }); });
    col += Math.ceil(layer.length / perCol);
    rows = Math.max(rows, Math.min(layer.length, perCol));
  }
  const svg = el('svg:svg', { id: 'graph', width: PAD * 2 + col * COL, height: PAD * 2 + rows * ROW, role: 'img', 'aria-label': 'tickets by dependency, coloured by state' });
  for (const t of tickets) for (const b of t.blocked_by) {
    const from = pos.get(b), to = pos.get(t.key);
    if (!from || !to) continue;
    const x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2, x2 = to.x, y2 = to.y + NODE_H / 2, mid = (x1 + x2) / 2;
    svg.append(el('svg:path', { class: 'edge', d: 'M' + x1 + ',' + y1 + ' C' + mid + ',' + y1 + ' ' + mid + ',' + y2 + ' ' + x2 + ',' + y2 }));
  }
  for (const t of tickets) {
    const p = pos.get(t.key);
    const title = t.key + ': ' + t.state + ' · ' + t.passes + ' pass(es) · ' + usd(t.cost_usd) + (t.blocked_by.length ? ' · blocked by ' + t.blocked_by.join(', ') : '') + (t.oracle ? '\noracle: ' + t.oracle.reason : '') + (t.gated ? '\ngated: ' + t.gated : '');
    svg.append(el('svg:g', { class: 'node', 'data-key': t.key, 'data-state': t.state },
      el('svg:rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 4, fill: STATE_COLORS[t.state] || '#999' }),
      el('svg:text', { x: p.x + 6, y: p.y + 15 }, t.key + (t.passes > 1 ? ' ×' + t.passes : '')),
      el('svg:title', {}, title)));
  }
  return svg;
}

function budgetText(b) {
  const of = (l) => (l === null ? 'no cap' : usd(l));
  return ['batch ' + usd(b.batch.spent_usd) + ' of ' + of(b.batch.limit_usd), b.day.day + ' ' + usd(b.day.spent_usd) + ' of ' + of(b.day.limit_usd), 'per ticket ' + usd(b.ticket.max_spent_usd) + (b.ticket.ticket ? ' (' + b.ticket.ticket + ')' : '') + ' of ' + of(b.ticket.limit_usd)].join(' · ');
}

function describe(e) {
  const facts = Object.entries(e).filter(([k]) => !['ts', 'run', 'type', 'ticket', 'index'].includes(k)).map(([k, v]) => k + '=' + (typeof v === 'string' ? v.split('\n')[0].slice(0, 80) : JSON.stringify(v).slice(0, 80)));
  return time(e.ts) + '  ' + e.type + (e.ticket ? ' ' + e.ticket : '') + '  ' + facts.join(' ');
}

let detail;
function render(d) {
  detail = d;
  document.body.dataset.loop = d.loop;
  $('title').textContent = 'nightshift: ' + (d.batch || '?');
  $('sub').textContent = d.name + ' · loop ' + d.loop + (d.run ? ' · run ' + d.run.id : '') + ' · ' + d.event_count + ' events';
  const verdict = d.oracle ? d.oracle.verdict : 'never asked';
  const p = d.progress;
  const accepted = d.heals.filter((h) => h.tripwire === 'accepted').length;
  $('cards').replaceChildren(
    card("oracle's verdict", el('span', { class: 'verdict v-' + (d.oracle ? d.oracle.verdict : 'none'), id: 'verdict' }, verdict), d.oracle ? d.oracle.satisfied + '/' + d.oracle.total + ' satisfied' : ''),
    card('progress', p ? p.done + '/' + p.total : '-', p ? p.running + ' running · ' + p.ready + ' ready · ' + p.blocked + ' blocked · ' + p.gated + ' gated' : '', 'progress'),
    card('cost', usd(d.spent_usd), budgetText(d.budgets), 'cost'),
    card('heals', d.heals.length, accepted + ' accepted'),
    card('interventions', d.interventions.length, d.interventions.filter((i) => i.kind === 'work').length + ' work · ' + d.interventions.filter((i) => i.kind === 'harness').length + ' harness'));
  $('legend').replaceChildren(...Object.entries(STATE_COLORS).map(([s, c]) => el('span', {}, el('i', { style: 'background:' + c }), s + ' ' + d.tickets.filter((t) => t.state === s).length)));
  $('graph-box').replaceChildren(d.tickets.length ? drawGraph(d.tickets) : el('p', { class: 'muted' }, 'no tickets known yet'));
  $('running').replaceChildren(table(['ticket', 'pass', 'agent', 'elapsed', 'last event', 'at'], d.running.map((r) => ({ attrs: { 'data-ticket': r.ticket }, cells: [el('code', {}, r.ticket), r.pass, r.agent || '-', el('span', { class: 'elapsed', 'data-started': r.started }, dur(r.elapsed_ms)), r.last_event, time(r.last_event_at)] }))));
  $('heals').replaceChildren(table(['started', 'classification', 'tripwire', 'summary and reasons'], d.heals.map((h) => ({ cells: [time(h.started), h.classification || (h.ended ? '-' : 'running'), el('b', { class: 'tw-' + (h.tripwire || 'none') }, h.tripwire || '-'), [h.summary || h.reason, ...h.reasons].filter(Boolean).join(' · ')] }))));
  $('interventions').replaceChildren(table(['time', 'kind', 'request or touch', 'ticket', 'note'], d.interventions.map((i) => ({ cells: [(i.ts || '').slice(0, 16).replace('T', ' '), el('b', {}, i.kind), i.type, i.ticket || '-', i.note] }))));
}

function tick() {
  if (!detail || detail.loop !== 'running') return;
  for (const span of document.querySelectorAll('.elapsed')) span.textContent = dur(Date.now() - Date.parse(span.dataset.started));
}

async function showBatch(id) {
  const base = '/api/batches/' + id;
  let pending;
  const refresh = async () => {
    render(await (await api(base)).json());
    $('timeline').innerHTML = await (await api(base + '/timeline.svg')).text();
  };
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(showError), 150); };
  await refresh();
  const list = $('events');
  const { events } = await (await api(base + '/events', { since: Math.max(0, detail.event_count - 30) })).json();
  for (const e of events) list.prepend(el('li', {}, describe(e)));
  const source = new EventSource(withToken(base + '/stream', { since: detail.event_count }));
  source.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'live on'; });
  source.addEventListener('error', () => { $('live').textContent = 'reconnecting'; $('live').className = 'live off'; });
  source.addEventListener('loop-event', (message) => {
    const e = JSON.parse(message.data);
    list.prepend(el('li', {}, describe(e)));
    while (list.children.length > 200) list.lastChild.remove();
    soon();
  });
  setInterval(tick, 1000);
  setInterval(soon, 15000);
}
function showError(error) { $('main').prepend(el('p', { class: 'err' }, String(error && error.message || error))); }

const parts = location.pathname.split('/').filter(Boolean);
(parts[0] === 'b' ? showBatch(parts[1]) : showList()).then(() => { document.body.dataset.ready = '1'; }, showError);
`;

export function renderPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>nightshift dashboard</title><style>${CSS}</style></head><body>
<header><h1 id="title">nightshift</h1><span id="live" class="live">connecting</span></header>
<p class="muted" id="sub"></p>
<main id="main">
<div class="cards" id="cards"></div>
<h2>Tickets</h2><p class="legend" id="legend"></p><div class="graph" id="graph-box"></div>
<h2>Running workers</h2><div id="running"></div>
<h2>Timeline</h2><div id="timeline"></div>
<h2>Heals</h2><div id="heals"></div>
<h2>Interventions</h2><div id="interventions"></div>
<h2>Latest events</h2><ul class="events" id="events"></ul>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
