// The HTML report in a real headless Chromium (playwright-core driving the system's /usr/bin/chromium):
// it renders offline, the timeline is visible with one bar per worker pass, and nothing errs.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { writeRecordedStateDir } from './report-events.fixture.ts';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
const skip = process.env.NIGHTSHIFT_SKIP_BROWSER === '1';

test.skipIf(skip)('the HTML report renders in headless Chromium: timeline visible, no console errors, no request', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Install it (Debian: \`apt-get install -y chromium\`), point NIGHTSHIFT_CHROMIUM at another binary, or set NIGHTSHIFT_SKIP_BROWSER=1 to skip this check.`);
  }
  const dir = writeRecordedStateDir();
  const out = join(dir, 'report.html');
  const result = await runCli(['report', '--html', '--out', out, dir]);
  expect(result).toMatchObject({ exitCode: 0, stdout: `HTML report written to ${out}` });
  const html = readFileSync(out, 'utf8');
  expect(html).not.toMatch(/<script|https?:\/\/|src=|<link/i);

  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nightshift-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== pathToFileURL(out).href) problems.push(`request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
    const timeline = page.locator('svg.timeline');
    await expect(timeline.isVisible()).resolves.toBe(true);
    const box = await timeline.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    expect(box?.height).toBeGreaterThan(60);
    // one bar per worker pass, coloured by outcome, each with its hover text
    const outcomes = await page.locator('svg.timeline g.pass').evaluateAll((bars) => bars.map((b) => b.getAttribute('data-outcome')));
    expect(outcomes.sort()).toEqual(['landed', 'landed', 'landed', 'replay-failed', 'review-rejected', 'verify-failed']);
    await expect(page.locator('svg.timeline g.pass title').first().textContent()).resolves.toMatch(/^ENG-1 pass 1: verify-failed\n01:03:00 - /);
    await expect(page.locator('#verdict').textContent()).resolves.toBe('not-done');
    const headings = await page.locator('h2').allTextContents();
    expect(headings).toEqual(['Timeline of worker passes', 'Tickets', 'Worker passes', 'Discovered tickets', 'Heals', 'Confirmation and final audit', 'Interventions']);
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
