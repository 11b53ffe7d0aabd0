/// <reference lib="dom" />
/**
 * The charts page in a real browser, over a site built by the project's own core: the numbers it
 * shows must match counts made here, straight from the generated events.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildChartsFiles } from '../../functions/charts/page-files.js';
import { describeWith, findChromium } from '../support/requirements.js';
import { cssColour, luminance, screenshotColours, shareOf, type ColourShare } from './screenshot-colours.js';
import { buildFixtureSite, generateEvents, startStaticServer, writeFiles, type GeneratedEvent, type StaticServer } from './site-fixture.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const FIRST = '2024-11-01';
const LAST = '2025-03-31';
const MISSING = ['2025-01-15', '2025-02-03'];
const EMPTY = ['2025-02-10'];
const MODIFIED = new Date('2025-04-01T00:05:00Z');
const TOP = 15;

interface Expected {
  total: number;
  events: Array<{ name: string; count: number }>;
  channels: Array<{ name: string; count: number }>;
}

/** Counted from the generated events, without the pipeline or the page's own code. */
function expectedFor(days: ReadonlyMap<string, readonly GeneratedEvent[]>, from: string, to: string): Expected {
  const events = new Map<string, number>();
  const channels = new Map<string, number>();
  let total = 0;
  for (const [date, list] of days) {
    if (date < from || date > to) continue;
    for (const e of list) {
      total++;
      events.set(e.event, (events.get(e.event) ?? 0) + 1);
      channels.set(e.channel, (channels.get(e.channel) ?? 0) + 1);
    }
  }
  const ranked = (counts: Map<string, number>) =>
    [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([name, count]) => ({ name, count }));
  return { total, events: ranked(events), channels: ranked(channels) };
}

const en = (n: number) => n.toLocaleString('en-US');

interface Row {
  name: string | null;
  count: number;
  text: string | null | undefined;
}

async function tableRows(page: Page, key: 'events' | 'channels'): Promise<Row[]> {
  return page.locator(`[data-testid="${key}-row"]`).evaluateAll((rows) =>
    rows.map((row) => ({
      name: row.getAttribute('data-name'),
      count: Number(row.getAttribute('data-count')),
      text: row.querySelector('[data-testid="count"]')?.textContent,
    })),
  );
}

async function numberOf(page: Page, testId: string): Promise<{ value: number; text: string | null }> {
  const locator = page.locator(`[data-testid="${testId}"]`);
  return { value: Number(await locator.getAttribute('data-value')), text: await locator.textContent() };
}

/** Waits until the page shows `total` for the range; a page that never does fails, saying what it shows. */
async function waitForTotal(page: Page, total: number): Promise<void> {
  try {
    await page.waitForFunction((value) => document.querySelector('[data-testid="range-total"]')?.getAttribute('data-value') === value, String(total), { timeout: 15_000 });
  } catch (error) {
    const shown = await page.locator('[data-testid="range-total"]').getAttribute('data-value').catch(() => null);
    throw new Error(`the page never showed the range total ${total} (it shows ${shown}): ${(error as Error).message}`);
  }
}

/** Everything the page shows for a range, against the expected counts. */
async function expectRange(page: Page, expected: Expected, from: string, to: string): Promise<void> {
  await waitForTotal(page, expected.total);
  expect(await page.locator('[data-testid="range-from"]').inputValue()).toBe(from);
  expect(await page.locator('[data-testid="range-to"]').inputValue()).toBe(to);
  expect(await numberOf(page, 'range-total')).toEqual({ value: expected.total, text: en(expected.total) });

  for (const key of ['events', 'channels'] as const) {
    const all = expected[key];
    const rows = await tableRows(page, key);
    expect(rows).toEqual(all.slice(0, TOP).map(({ name, count }) => ({ name, count, text: en(count) })));
    const restCount = all.slice(TOP).reduce((sum, row) => sum + row.count, 0);
    const rest = page.locator(`[data-testid="${key}-rest"]`);
    if (restCount > 0) expect(Number(await rest.getAttribute('data-count'))).toBe(restCount);
    else expect(await rest.count()).toBe(0);
    expect(Number(await page.locator(`[data-testid="${key}-total"]`).getAttribute('data-count'))).toBe(expected.total);
  }
}

/** Pixels of the chart's canvas drawn in the bar colour: data, not just axes and grid. */
async function barPixels(page: Page, testId: string): Promise<number> {
  return page.locator(`[data-testid="${testId}"] canvas`).evaluate((canvas: HTMLCanvasElement) => {
    const hex = getComputedStyle(document.documentElement).getPropertyValue('--chart-bar').trim();
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) return 0;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i]! - r) <= 12 && Math.abs(data[i + 1]! - g) <= 12 && Math.abs(data[i + 2]! - b) <= 12;
      if (near && data[i + 3]! >= 32) count++;
    }
    return count;
  });
}

/** Every chart has data drawn on it; a failure names the chart and its pixel count. */
async function expectDrawn(page: Page): Promise<void> {
  for (const chart of ['daily-chart', 'events-chart', 'channels-chart']) {
    const pixels = await barPixels(page, chart);
    expect({ chart, pixels, drawn: pixels > 500 }).toEqual({ chart, pixels, drawn: true });
  }
}

async function openPage(context: BrowserContext, url: string, state: 'ready' | 'error' = 'ready'): Promise<Page> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && state === 'ready') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('main:not([data-state="loading"])', { timeout: 15000 });
  const actual = await page.locator('main').getAttribute('data-state');
  if (actual !== state) {
    const detail = await page.locator('[data-testid="error-detail"]').textContent();
    throw new Error(`the page is in state ${actual}, not ${state}: ${detail} ${problems.join('; ')}`);
  }
  expect(problems).toEqual([]);
  return page;
}

// Skipped, with a notice in the summary, where there is no Chromium; CI (USAGE_REQUIRE_ALL=1) fails instead.
describeWith(['chromium'], 'charts page', () => {
  let work: string;
  let root: string;
  let screenshots: string;
  let server: StaticServer;
  let browser: Browser | undefined;
  let context: BrowserContext;
  const days = generateEvents({ first: FIRST, last: LAST, missing: MISSING, empty: EMPTY });

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'charts-site-'));
    screenshots = await fs.mkdtemp(path.join(os.tmpdir(), 'charts-page-'));
    root = path.join(work, 'site');
    await buildFixtureSite(days, path.join(work, 'source'), root, MODIFIED);
    await writeFiles(root, await buildChartsFiles());
    server = await startStaticServer(root);
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    // West of UTC, so a page that showed days in local time would be off by one.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'America/Los_Angeles' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('shows the whole range by default, with the right numbers', async () => {
    const page = await openPage(context, `${server.origin}/charts/`);
    const expected = expectedFor(days, FIRST, LAST);
    expect(expected.events.length).toBeGreaterThan(TOP);
    await expectRange(page, expected, FIRST, LAST);

    expect(await numberOf(page, 'range-days')).toEqual({ value: 151, text: '151' });
    expect(await page.locator('#range-days-note').textContent()).toBe('2 without data');
    expect(await numberOf(page, 'all-time-total')).toEqual({ value: expected.total, text: en(expected.total) });
    const busiest = [...days].filter(([, list]) => list.length > 0).sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0]!;
    expect((await numberOf(page, 'range-busiest')).value).toBe(busiest[1].length);

    const updated = page.locator('[data-testid="last-updated"]');
    expect(await updated.getAttribute('data-raw')).toBe('2025-04-01 00:05:00+00:00');
    expect(await updated.getAttribute('datetime')).toBe('2025-04-01T00:05:00.000Z');
    expect(await updated.textContent()).toContain('Apr 1, 2025');
    expect(await page.locator('[data-preset="all"]').getAttribute('aria-pressed')).toBe('true');

    await expectDrawn(page);
    const shot = path.join(screenshots, 'charts-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`charts page screenshot: ${shot} (USAGE_KEEP_TEST_TMP=1 keeps it after the run)`);

    // "Show all" lists every name that has a series of its own. The summary may give series to
    // the busiest names only: the rarer ones are then counted together in the rest row.
    await page.locator('#events-toggle').click();
    const all = await tableRows(page, 'events');
    const withSeries = Object.keys(JSON.parse(await fs.readFile(path.join(root, 'data', 'summary', 'series', 'events.json'), 'utf8')));
    expect(all.length).toBe(withSeries.length);
    expect(all).toEqual(expected.events.slice(0, all.length).map(({ name, count }) => ({ name, count, text: en(count) })));
    const rarer = expected.events.slice(all.length).reduce((sum, row) => sum + row.count, 0);
    const restRow = page.locator('[data-testid="events-rest"]');
    if (rarer === 0) expect(await restRow.count()).toBe(0);
    else expect(Number(await restRow.getAttribute('data-count'))).toBe(rarer);
    expect(await page.locator('#events-toggle').getAttribute('aria-expanded')).toBe('true');
    await page.locator('#channels-toggle').click();
    expect(await tableRows(page, 'channels')).toEqual(expected.channels.map(({ name, count }) => ({ name, count, text: en(count) })));
    expect(await page.locator('[data-testid="channels-rest"]').count()).toBe(0);
    await page.locator('#events-toggle').click();
    expect(await tableRows(page, 'events')).toHaveLength(TOP);

    await page.close();
  });

  it('updates every number when the range changes', async () => {
    const page = await openPage(context, `${server.origin}/charts/`);

    await page.locator('[data-testid="range-from"]').fill('2025-02-01');
    await page.locator('[data-testid="range-to"]').fill('2025-02-28');
    await expectRange(page, expectedFor(days, '2025-02-01', '2025-02-28'), '2025-02-01', '2025-02-28');
    expect(new URL(page.url()).hash).toBe('#from=2025-02-01&to=2025-02-28');
    expect(await page.locator('[aria-pressed="true"]').count()).toBe(0);
    // February has the missing 3rd and the empty 10th: the chart draws bars, with a gap.
    expect(await numberOf(page, 'range-days')).toEqual({ value: 28, text: '28' });
    expect(await page.locator('#range-days-note').textContent()).toBe('1 without data');
    expect(await barPixels(page, 'daily-chart')).toBeGreaterThan(500);

    await page.locator('[data-preset="30d"]').click();
    await expectRange(page, expectedFor(days, '2025-03-02', '2025-03-31'), '2025-03-02', '2025-03-31');
    expect(await page.locator('[data-preset="30d"]').getAttribute('aria-pressed')).toBe('true');

    await page.locator('[data-preset="7d"]').click();
    await expectRange(page, expectedFor(days, '2025-03-25', '2025-03-31'), '2025-03-25', '2025-03-31');

    // Ends that cross: the edited one wins.
    await page.locator('[data-testid="range-from"]').fill('2025-03-31');
    await page.locator('[data-testid="range-to"]').fill('2025-03-20');
    await expectRange(page, expectedFor(days, '2025-03-20', '2025-03-20'), '2025-03-20', '2025-03-20');

    await page.locator('[data-preset="all"]').click();
    await expectRange(page, expectedFor(days, FIRST, LAST), FIRST, LAST);
    expect(new URL(page.url()).hash).toBe('');
    await page.close();
  });

  it('opens on the range in the link', async () => {
    const page = await openPage(context, `${server.origin}/charts/#from=2025-01-10&to=2025-01-20`);
    await expectRange(page, expectedFor(days, '2025-01-10', '2025-01-20'), '2025-01-10', '2025-01-20');
    expect(await page.locator('#range-days-note').textContent()).toBe('1 without data');
    await page.close();
  });

  it('shows an empty range as empty', async () => {
    // The 10th has a daily object without events; the 3rd has none at all.
    const page = await openPage(context, `${server.origin}/charts/#from=2025-02-10&to=2025-02-10`);
    await expectRange(page, { total: 0, events: [], channels: [] }, '2025-02-10', '2025-02-10');
    expect(await page.locator('#events-empty').isVisible()).toBe(true);
    expect(await page.locator('[data-testid="events-chart"] canvas').count()).toBe(0);
    expect(await barPixels(page, 'daily-chart')).toBeLessThan(50);
    await page.goto(`${server.origin}/charts/#from=2025-02-03&to=2025-02-03`);
    await page.reload();
    await page.waitForSelector('main[data-state="ready"]');
    expect(await numberOf(page, 'range-average')).toEqual({ value: 0, text: '–' });
    expect(await page.locator('#range-busiest-note').textContent()).toBe('no data');
    await page.close();
  });

  it('reads only the summary files', async () => {
    server.requests.length = 0;
    const page = await openPage(context, `${server.origin}/charts/`);
    await page.locator('[data-preset="30d"]').click();
    await page.locator('#daily-details summary').click();
    await page.close();
    const summary = ['/data/summary/index.json', '/data/summary/series/total.json', '/data/summary/series/events.json', '/data/summary/series/channels.json'];
    for (const file of summary) expect(server.requests).toContain(file);
    const elsewhere = server.requests.filter((p) => !p.startsWith('/charts/') && !p.startsWith('/data/summary/'));
    expect(elsewhere).toEqual([]);
  });

  it('says clearly when the data cannot be loaded', async () => {
    server.failing.add('/data/summary/series/events.json');
    try {
      const page = await openPage(context, `${server.origin}/charts/`, 'error');
      expect(await page.locator('[data-testid="error"]').isVisible()).toBe(true);
      expect(await page.locator('[data-testid="error"]').textContent()).toContain('could not be loaded');
      expect(await page.locator('[data-testid="error-detail"]').textContent()).toBe('../data/summary/series/events.json answered HTTP 503');
      expect(await page.locator('[data-testid="daily-chart"]').isVisible()).toBe(false);
      await page.close();
    } finally {
      server.failing.clear();
    }
  });

  it('looks right in dark mode too: dark backgrounds and its own bar colour, where light mode is light', async () => {
    const looks: Partial<Record<'light' | 'dark', { colours: ColourShare[]; bg: string; surface: string; bar: string }>> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      const themed = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC', colorScheme });
      try {
        const page = await openPage(themed, `${server.origin}/charts/#from=2025-03-01&to=2025-03-31`);
        await expectRange(page, expectedFor(days, '2025-03-01', '2025-03-31'), '2025-03-01', '2025-03-31');
        await expectDrawn(page);
        const shot = path.join(screenshots, `charts-page-${colorScheme}.png`);
        const png = await page.screenshot({ path: shot, fullPage: true });
        console.log(`charts page screenshot (${colorScheme}): ${shot} (USAGE_KEEP_TEST_TMP=1 keeps it after the run)`);
        const [bg, surface, bar] = await Promise.all(['--bg', '--surface', '--chart-bar'].map((name) => cssColour(page, name)));
        looks[colorScheme] = { colours: await screenshotColours(themed, png), bg: bg!, surface: surface!, bar: bar! };
      } finally {
        await themed.close();
      }
    }
    const { light, dark } = looks as Required<typeof looks>;
    // The page's backgrounds are most of what each screenshot shows...
    for (const look of [light, dark]) {
      expect(look.colours.slice(0, 2).map((entry) => entry.colour).sort()).toEqual([look.bg, look.surface].sort());
      expect(shareOf(look.colours, look.bg) + shareOf(look.colours, look.surface)).toBeGreaterThan(0.5);
    }
    // ...dark in dark mode, light in light mode.
    expect([luminance(dark.bg), luminance(dark.surface)].every((value) => value < 0.1)).toBe(true);
    expect([luminance(light.bg), luminance(light.surface)].every((value) => value > 0.8)).toBe(true);
    // Each shows its own theme's bars, and none of the other theme's.
    expect(dark.bar).not.toBe(light.bar);
    expect(shareOf(dark.colours, dark.bar)).toBeGreaterThan(0);
    expect(shareOf(dark.colours, light.bar)).toBe(0);
    expect(shareOf(light.colours, light.bar)).toBeGreaterThan(0);
    expect(shareOf(light.colours, dark.bar)).toBe(0);
  });
});
