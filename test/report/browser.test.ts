import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadCoverage } from '../../src/report/coverage.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { seedReportDemo } from '../helpers/report-demo.ts';

// The report rendered in a real browser (Debian's chromium; test tools cannot download one here):
// every chart drew, nothing was logged as an error, and a screenshot lands in test-output/.

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = resolve('test-output/report');
const CHARTS = [
  'chart-years',
  'chart-horses',
  'chart-entities',
  'chart-backfill',
  'chart-l1',
  'chart-requests',
];

const db = useTestDatabase();
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }
  profile = await mkdtemp(join(tmpdir(), 'report-chromium-'));
  // A fresh profile per run: nothing cached from earlier runs can make a broken page look right.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
});

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function openReport(html: string, name: string) {
  await mkdir(OUTPUT, { recursive: true });
  const file = join(OUTPUT, `${name}.html`);
  await writeFile(file, html);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Anything but the file itself would be a network request the self-contained page must not make.
  page.on('request', (r) => {
    if (r.url() !== pathToFileURL(file).href) problems.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}

// Runs first, while this file's database is still empty (tests in a file run in order).
test('a report of an empty database opens without errors and says there is no data', async () => {
  const { page, problems } = await openReport(renderReportHtml(await loadCoverage(db.sql)), 'empty');
  expect(await page.locator('canvas').count()).toBe(0);
  expect(await page.locator('.no-data').count()).toBeGreaterThanOrEqual(5);
  expect(problems).toEqual([]);
  await page.close();
});

test('every chart of the demo report draws, with no console errors and no network', async () => {
  await seedReportDemo(db.sql);
  const { page, problems } = await openReport(renderReportHtml(await loadCoverage(db.sql)), 'demo');

  const charts = await page.evaluate(() =>
    [...document.querySelectorAll('canvas')].map((canvas) => {
      const chart = (window as unknown as { Chart: typeof import('chart.js').Chart }).Chart.getChart(canvas);
      const context = canvas.getContext('2d')!;
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      return {
        id: canvas.id,
        datasetLengths: chart?.data.datasets.map((d) => d.data.length) ?? [],
        width: canvas.width,
        paintedShare: painted / (pixels.length / 4),
      };
    }),
  );
  expect(charts.map((c) => c.id)).toEqual(CHARTS);
  for (const c of charts) {
    expect(c.datasetLengths.length, `${c.id} has a Chart instance with datasets`).toBeGreaterThan(0);
    expect(Math.min(...c.datasetLengths), `${c.id} datasets hold data`).toBeGreaterThan(0);
    expect(c.width, `${c.id} has a size`).toBeGreaterThan(100);
    expect(c.paintedShare, `${c.id} painted pixels`).toBeGreaterThan(0.02);
  }
  // The per-minute chart spans the overnight run: 22:00 to 06:00, one bar slot per minute.
  const minutes = await page.evaluate(
    () =>
      (window as unknown as { Chart: typeof import('chart.js').Chart }).Chart.getChart('chart-requests')!.data
        .labels!.length,
  );
  expect(minutes).toBe(481);
  await page.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
});
