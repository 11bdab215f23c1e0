// The dashboard in a real headless Chromium (playwright-core driving the system's /usr/bin/chromium),
// served by the real serve process: a running batch's page shows its graph and workers, and updates
// without a reload when a pass ends (the event arrives over server-sent events). No request leaves
// the server, nothing errs in the console.
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { expect, test } from 'vitest';
import { DASHBOARD_RUN, writeDashboardStateDir } from '../../helpers/dashboard-state.ts';
import { startServe } from '../../helpers/serve.ts';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
const skip = process.env.NIGHTSHIFT_SKIP_BROWSER === '1';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test.skipIf(skip)('a running batch\'s page updates without reload when a pass ends', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Install it (Debian: \`apt-get install -y chromium\`), point NIGHTSHIFT_CHROMIUM at another binary, or set NIGHTSHIFT_SKIP_BROWSER=1 to skip this check.`);
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'nightshift-dash-')), 'state');
  writeDashboardStateDir(dir, { tickets: 40, running: 3, pid: process.pid });
  const served = await startServe(['--state', dir]);
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nightshift-chromium-')), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(served.url)) problems.push(`request: ${request.url()}`);
    });
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(served.url);
    // one batch: the list sends the page to it
    await page.waitForSelector('body[data-ready="1"]');
    await page.waitForSelector('#live.on');
    expect(await page.locator('#graph g.node').count()).toBe(40);
    expect(await page.locator('#running tr[data-ticket]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ticket')))).toEqual(['ENG-38', 'ENG-39', 'ENG-40']);
    expect(await page.locator('#graph g[data-key="ENG-40"]').getAttribute('data-state')).toBe('running');
    expect(await page.locator('svg.timeline g.pass').count()).toBeGreaterThan(40);
    expect(await page.locator('.tw-rejected').count()).toBe(1);
    const loadsBefore = loads;

    // the loop ends ENG-40's pass: landed, done
    const ts = new Date().toISOString();
    appendFileSync(join(dir, 'events.jsonl'), [
      { ts, run: DASHBOARD_RUN, type: 'ticket-done', ticket: 'ENG-40', pass: 1 },
      { ts, run: DASHBOARD_RUN, type: 'pass-end', ticket: 'ENG-40', pass: 1, outcome: 'landed', reason: 'landed', cost_usd: 0.3 },
    ].map((e) => `${JSON.stringify(e)}\n`).join(''));
    await page.waitForSelector('#graph g[data-key="ENG-40"][data-state="done"]');
    await page.waitForFunction("document.querySelectorAll('#running tr[data-ticket]').length === 2");
    await expect(page.locator('#events li').first().textContent()).resolves.toMatch(/pass-end ENG-40 {2}pass=1 outcome=landed/);
    expect(loads).toBe(loadsBefore);

    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: false });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.NIGHTSHIFT_DASHBOARD_SHOT) copyFileSync(shot, process.env.NIGHTSHIFT_DASHBOARD_SHOT);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
    await served.stop();
  }
});
