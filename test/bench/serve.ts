// `npm run bench -- --serve [--json] [--tickets 200] [--loads 5]`: the dashboard of a generated batch
// (a running 200-ticket state dir), served by the real serve process and loaded in headless Chromium.
// `dashboard_load_ms`: from navigation until the page has drawn every ticket of the graph (median of
// the loads after the first, plus the first); `serve_rss_mb`: the serve process's peak RSS (VmHWM)
// after the loads, started by the command line (`nightshift serve`: one process, which replaces itself
// by the stripped image of the dashboard's modules, loop/process/stripped-image.ts).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { writeDashboardStateDir } from '../helpers/dashboard-state.ts';
import { startServe } from '../helpers/serve.ts';
import type { Served } from '../helpers/serve.ts';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function peakRssMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peak: Number((kb('VmHWM') / 1024).toFixed(1)), now: Number((kb('VmRSS') / 1024).toFixed(1)) };
}

async function measure(served: Served, tickets: number, loads: number): Promise<{ first: number; median: number; rss: { peak: number; now: number } }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nightshift-chromium-')), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
  const times: number[] = [];
  try {
    for (let i = 0; i < loads; i++) {
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForFunction(`document.querySelectorAll('#graph g.node').length === ${tickets}`);
      times.push(performance.now() - started);
      await page.close();
    }
  } finally {
    await context.close();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  const median = rest[Math.floor(rest.length / 2)] ?? times[0] ?? NaN;
  return { first: Math.round(times[0] ?? NaN), median: Math.round(median), rss: peakRssMb(served.pid) };
}

export async function runServeBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'boolean', default: false }, tickets: { type: 'string', default: '200' }, loads: { type: 'string', default: '5' } } });
  const tickets = Number(values.tickets);
  const loads = Math.max(2, Number(values.loads));
  const dir = join(mkdtempSync(join(tmpdir(), 'nightshift-bench-serve-')), 'state');
  const { events } = writeDashboardStateDir(dir, { tickets, running: 4, pid: process.pid });
  const served = await startServe(['--state', dir], { ...process.env, NODE_COMPILE_CACHE: '' }, 'cli');
  const plain = await measure(served, tickets, loads).finally(() => served.stop());
  const report = {
    tickets, events, loads,
    dashboard_load_ms: plain.median, dashboard_first_load_ms: plain.first,
    serve_rss_mb: plain.rss.peak, serve_rss_mb_after_loads: plain.rss.now,
  };
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${Object.entries(report).map(([k, v]) => `${k.padEnd(32)} ${String(v)}`).join('\n')}\n`);
  return 0;
}
