/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): the charts render
 * (non-empty canvases), no console errors, no network request, samples expand, it fits a phone
 * without sideways scrolling of the page, it prints, and screenshots land in test-output/.
 * Without a browser the test says loudly that it is skipped and why.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { buildReport } from '../../src/report/build.js';
import { renderHtml } from '../../src/report/html.js';
import { createTestDatabase } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';
import { injectBatches, seedCustomers, WAVE_PLAN } from './fixture.js';

const CANDIDATES = [
  process.env.TIDEMARK_CHROMIUM,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter(Boolean) as string[];
const executablePath = CANDIDATES.find((p) => existsSync(p));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

if (!executablePath) {
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!! SKIPPED: the HTML report's browser test — no chromium found (looked at ${CANDIDATES.join(', ')}).\n!! Install Debian's chromium (apt-get install -y chromium) or set TIDEMARK_CHROMIUM to a Chromium binary.\n${bar}\n`,
  );
}

let html = '';
let file = '';
let browser: Browser | undefined;

beforeAll(async () => {
  process.env.TIDEMARK_ACTOR = 'release-bot';
  const url = await createTestDatabase('report_html');
  await seedCustomers(url);
  const dir = tempDir();
  const planFile = writePlan(dir, WAVE_PLAN, 'wave.plan.ts');
  expect((await runFile(planFile, { databaseUrl: url, approvals: ['ship-it'] })).exitCode).toBe(0);
  // 400 batches: more than the 300 points a chart holds, so the series is bucketed.
  await injectBatches(url, 'report-wave', 'fill-display-name', 400);
  html = renderHtml(await buildReport({ databaseUrl: url, plan: await loadPlan(planFile) }));
  mkdirSync(OUT, { recursive: true });
  file = `${OUT}report.html`;
  writeFileSync(file, html);
  if (executablePath) browser = await chromium.launch({ executablePath, args: ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
});

describe('HTML report', () => {
  it('is one small self-contained file that forbids the network', () => {
    expect(html.length).toBeLessThan(200_000);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?https?:/i);
    expect(html).toContain('var uPlot=');
  });

  it.skipIf(!executablePath)(
    `renders its charts in ${executablePath ?? 'chromium (not found: skipped, see the warning above)'} without errors or requests`,
    async () => {
      const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForFunction(() => document.documentElement.getAttribute('data-charts') !== null);
      expect(await page.getAttribute('html', 'data-charts')).toBe('2');
      const canvases = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLCanvasElement>('.chart canvas')].map((c) => {
          const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let painted = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
          return { w: c.width, h: c.height, painted };
        }),
      );
      expect(canvases.length).toBe(2);
      for (const c of canvases) {
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(100);
        expect(c.painted).toBeGreaterThan(500);
      }
      // A proof sample expands.
      const sample = page.locator('details.sample').first();
      await sample.locator('summary').click();
      expect(await sample.locator('table').isVisible()).toBe(true);
      await page.screenshot({ path: `${OUT}report-desktop.png`, fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    },
  );

  it.skipIf(!executablePath)('fits a phone and prints', async () => {
    const page = await browser!.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${OUT}report-phone.png`, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: `${OUT}report.pdf`, format: 'A4' });
    expect(statSync(`${OUT}report.pdf`).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
