/// <reference lib="dom.iterable" />
/**
 * The charts page: loads the summary files (and nothing else: the day shards and month rollups
 * are tens of MB), then renders every chart and table for the chosen date range. The range
 * lives in the URL's fragment, so a view can be bookmarked and shared.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import {
  dailyColumns,
  dataBounds,
  isoDate,
  matchingPreset,
  normaliseRange,
  parseDayMillis,
  parseIndex,
  parseSeries,
  parseSeriesByName,
  PRESETS,
  presetRange,
  rangeStats,
  rank,
  sameRange,
  totalsInRange,
  trailingAverageInRange,
  type DayRange,
  type NamedCount,
  type PresetId,
  type Series,
  type SeriesByName,
  type SummaryIndex,
} from '../aggregate.js';
import {
  formatAge,
  formatAverage,
  formatCount,
  formatDay,
  formatMoment,
  formatRange,
  formatShare,
  parseLastUpdated,
} from '../format.js';
import { AVERAGE_WINDOW, DailyChart, RankingChart, readTheme, type Theme } from './charts.js';

/** Relative to the page, so it works under `/usage/charts/` and under any server of the site root. */
const SUMMARY_URLS = {
  index: '../data/summary/index.json',
  total: '../data/summary/series/total.json',
  events: '../data/summary/series/events.json',
  channels: '../data/summary/series/channels.json',
} as const;

/** Rows in each ranking chart, and in its table until "Show all". */
const TOP = 15;
/** Older data than this gets a warning next to the freshness line. */
const STALE_AFTER_MS = 3 * 86_400_000;

interface Summary {
  readonly index: SummaryIndex;
  readonly total: Series;
  readonly events: SeriesByName;
  readonly channels: SeriesByName;
  readonly bounds: DayRange;
}

class LoadError extends Error {}

async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    // Revalidate every time: GitHub Pages caches for 10 minutes, and freshness is the point.
    response = await fetch(url, { cache: 'no-cache' });
  } catch {
    throw new LoadError(`${url} could not be fetched (network error)`);
  }
  if (!response.ok) throw new LoadError(`${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new LoadError(`${url} is not valid JSON`);
  }
}

async function loadSummary(): Promise<Summary | null> {
  const [indexJson, totalJson, eventsJson, channelsJson] = await Promise.all([
    fetchJson(SUMMARY_URLS.index),
    fetchJson(SUMMARY_URLS.total),
    fetchJson(SUMMARY_URLS.events),
    fetchJson(SUMMARY_URLS.channels),
  ]);
  const index = parseIndex(indexJson, SUMMARY_URLS.index);
  const bounds = dataBounds(index);
  if (bounds === null) return null;
  return {
    index,
    total: parseSeries(totalJson, SUMMARY_URLS.total),
    events: parseSeriesByName(eventsJson, SUMMARY_URLS.events),
    channels: parseSeriesByName(channelsJson, SUMMARY_URLS.channels),
    bounds,
  };
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** `#from=2025-03-01&to=2025-03-31`. */
function rangeFromHash(bounds: DayRange): DayRange | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const from = params.get('from');
  const to = params.get('to');
  if (from === null && to === null) return null;
  return normaliseRange(from === null ? null : parseDayMillis(from), to === null ? null : parseDayMillis(to), bounds);
}

function writeHash(range: DayRange, bounds: DayRange): void {
  const hash = sameRange(range, bounds) ? '' : `#from=${isoDate(range.from)}&to=${isoDate(range.to)}`;
  if (hash !== location.hash) history.replaceState(null, '', hash === '' ? location.pathname + location.search : hash);
}

/** A ranking section: bar chart of the top rows, table of the top rows (or all of them). */
class RankingView {
  private readonly chart: RankingChart;
  private rows: readonly NamedCount[] = [];
  private total = 0;
  private expanded = false;

  constructor(
    private readonly key: 'events' | 'channels',
    private readonly noun: { one: string; many: string },
  ) {
    this.chart = new RankingChart(byId(`${key}-chart`));
    byId(`${key}-toggle`).addEventListener('click', () => {
      this.expanded = !this.expanded;
      this.renderTable();
    });
  }

  /** `total` is every event in the range, including any under names the series leave out. */
  render(rows: readonly NamedCount[], total: number, theme: Theme, range: DayRange): void {
    this.rows = rows;
    this.total = total;
    const ranking = rank(rows, TOP, total);
    const chartBox = byId(`${this.key}-chart`);
    chartBox.setAttribute(
      'aria-label',
      rows.length === 0
        ? `No ${this.noun.many} in ${formatRange(range.from, range.to)}.`
        : `Bar chart of the ${ranking.top.length} busiest ${this.noun.many}, ${formatRange(range.from, range.to)}; the table lists the counts.`,
    );
    this.chart.render(ranking.top, theme, chartBox.clientWidth);
    byId(`${this.key}-empty`).hidden = rows.length > 0;
    this.renderTable();
  }

  resize(theme: Theme): void {
    this.chart.resize(byId(`${this.key}-chart`).clientWidth, theme);
  }

  private renderTable(): void {
    const ranking = rank(this.rows, this.expanded ? this.rows.length : TOP, this.total);
    const body = byId<HTMLTableSectionElement>(`${this.key}-rows`);
    const rows = ranking.top.map((row, i) => {
      const tr = element('tr', { 'data-testid': `${this.key}-row`, 'data-name': row.name, 'data-count': String(row.count) });
      tr.append(
        element('td', { class: 'rank' }, String(i + 1)),
        element('th', { scope: 'row', class: 'name' }, row.name === '' ? '(empty)' : row.name),
        element('td', { class: 'num', 'data-testid': 'count' }, formatCount(row.count)),
        element('td', { class: 'num share' }, formatShare(row.count, ranking.total)),
      );
      return tr;
    });
    if (ranking.rest.count > 0) {
      const tr = element('tr', { class: 'rest', 'data-testid': `${this.key}-rest`, 'data-count': String(ranking.rest.count) });
      const noun = ranking.rest.names === 1 ? this.noun.one : this.noun.many;
      const { names, untracked } = ranking.rest;
      // Untracked events are under rarer names that have no series of their own: count them, unnamed.
      const label =
        untracked === 0 ? `${formatCount(names)} other ${noun}` : names === 0 ? `Rarer ${this.noun.many}` : `${formatCount(names)} other ${noun} and rarer ones`;
      const labelCell = element('th', { scope: 'row', class: 'name' }, label);
      if (untracked > 0) labelCell.title = 'Names outside the all-time busiest have no series of their own: their events are counted here together.';
      tr.append(
        element('td', { class: 'rank' }),
        labelCell,
        element('td', { class: 'num' }, formatCount(ranking.rest.count)),
        element('td', { class: 'num share' }, formatShare(ranking.rest.count, ranking.total)),
      );
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    const foot = byId(`${this.key}-total`);
    foot.textContent = formatCount(ranking.total);
    foot.dataset.count = String(ranking.total);
    const toggle = byId<HTMLButtonElement>(`${this.key}-toggle`);
    toggle.hidden = this.rows.length <= TOP;
    toggle.setAttribute('aria-expanded', String(this.expanded));
    toggle.textContent = this.expanded ? `Show top ${TOP}` : `Show all ${formatCount(this.rows.length)}`;
  }
}

class Page {
  private readonly daily = new DailyChart(byId('daily-chart'));
  private readonly events = new RankingView('events', { one: 'event', many: 'events' });
  private readonly channels = new RankingView('channels', { one: 'channel', many: 'channels' });
  private readonly from = byId<HTMLInputElement>('from');
  private readonly to = byId<HTMLInputElement>('to');
  private theme = readTheme();
  private range: DayRange;
  private columns = dailyColumns([], { from: 0, to: -1 });

  constructor(private readonly data: Summary) {
    const { bounds } = data;
    this.range = rangeFromHash(bounds) ?? bounds;
    for (const input of [this.from, this.to]) {
      input.min = isoDate(bounds.from);
      input.max = isoDate(bounds.to);
    }
    this.from.addEventListener('change', () => this.onTyped('from'));
    this.to.addEventListener('change', () => this.onTyped('to'));
    const presets = byId('presets');
    for (const preset of PRESETS) {
      const button = element('button', { type: 'button', 'data-preset': preset.id, 'aria-pressed': 'false' }, preset.label);
      button.addEventListener('click', () => this.setRange(presetRange(preset.id, bounds)));
      presets.append(button);
    }
    window.addEventListener('hashchange', () => this.setRange(rangeFromHash(bounds) ?? bounds));
    // Charts take their width from their boxes; relayout when a box changes size.
    let lastWidth = 0;
    new ResizeObserver(() => {
      const width = byId('daily-chart').clientWidth;
      if (width === lastWidth) return;
      lastWidth = width;
      this.daily.resize(width);
      this.events.resize(this.theme);
      this.channels.resize(this.theme);
    }).observe(byId('main'));
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.theme = readTheme();
      this.render();
    });
    // The daily table can run to thousands of rows: fill it only while it is open.
    byId('daily-details').addEventListener('toggle', () => this.renderDailyTable());
    this.renderFreshness();
  }

  private renderDailyTable(): void {
    const details = byId<HTMLDetailsElement>('daily-details');
    const body = byId('daily-rows');
    if (!details.open) {
      body.replaceChildren();
      return;
    }
    const { times, counts } = this.columns;
    const rows = times.map((time, i) => {
      const count = counts[i];
      const tr = element('tr');
      tr.append(element('th', { scope: 'row' }, formatDay(time)), element('td', { class: 'num' }, count == null ? 'no data' : formatCount(count)));
      return tr;
    });
    // Newest first: the recent days are what people look for.
    body.replaceChildren(...rows.reverse());
  }

  private onTyped(edited: 'from' | 'to'): void {
    const range = normaliseRange(parseDayMillis(this.from.value), parseDayMillis(this.to.value), this.data.bounds, edited);
    this.setRange(range);
  }

  setRange(range: DayRange): void {
    this.range = range;
    writeHash(range, this.data.bounds);
    this.render();
  }

  render(): void {
    const { range, data } = this;
    this.from.value = isoDate(range.from);
    this.to.value = isoDate(range.to);
    const preset: PresetId | null = matchingPreset(range, data.bounds);
    for (const button of byId('presets').querySelectorAll<HTMLButtonElement>('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
    }

    const stats = rangeStats(data.total, range);
    setNumber('range-total', stats.total, formatCount(stats.total));
    byId('range-total-note').textContent = formatRange(range.from, range.to);
    setNumber('range-days', stats.days, formatCount(stats.days));
    const withoutData = stats.days - stats.daysWithData;
    byId('range-days-note').textContent = withoutData === 0 ? 'all with data' : `${formatCount(withoutData)} without data`;
    setNumber('range-average', stats.averagePerDay ?? 0, stats.averagePerDay === null ? '–' : formatAverage(stats.averagePerDay));
    if (stats.busiest) {
      setNumber('range-busiest', stats.busiest.count, formatCount(stats.busiest.count));
      byId('range-busiest-note').textContent = formatDay(stats.busiest.time);
    } else {
      setNumber('range-busiest', 0, '–');
      byId('range-busiest-note').textContent = 'no data';
    }
    byId('range-label').textContent = formatRange(range.from, range.to);

    const columns = dailyColumns(data.total, range);
    const dailyBox = byId('daily-chart');
    dailyBox.setAttribute(
      'aria-label',
      `Events per day, ${formatRange(range.from, range.to)}: ${formatCount(stats.total)} in all` +
        (stats.busiest ? `, most on ${formatDay(stats.busiest.time)} (${formatCount(stats.busiest.count)}).` : '.'),
    );
    this.daily.render(columns, trailingAverageInRange(data.total, range, AVERAGE_WINDOW), this.theme, dailyBox.clientWidth);
    this.columns = columns;
    this.renderDailyTable();

    this.events.render(totalsInRange(data.events, range), stats.total, this.theme, range);
    this.channels.render(totalsInRange(data.channels, range), stats.total, this.theme, range);
  }

  private renderFreshness(): void {
    const { index } = this.data;
    setNumber('all-time-total', index.total, formatCount(index.total));
    byId('all-time-total-note').textContent = `since ${formatDay(this.data.bounds.from)}`;
    const updated = byId<HTMLTimeElement>('last-updated');
    const time = index.lastUpdated === null ? null : parseLastUpdated(index.lastUpdated);
    if (time === null) {
      updated.textContent = index.lastUpdated ?? 'unknown';
      return;
    }
    updated.dateTime = new Date(time).toISOString();
    updated.dataset.raw = index.lastUpdated ?? '';
    updated.textContent = formatMoment(time);
    updated.title = index.lastUpdated ?? '';
    const age = Date.now() - time;
    byId('freshness-age').textContent = `(${formatAge(time, Date.now())})`;
    byId('freshness').classList.toggle('stale', age > STALE_AFTER_MS);
  }
}

function setNumber(id: string, value: number, text: string): void {
  const node = byId(id);
  node.textContent = text;
  node.dataset.value = String(value);
}

function showError(message: string): void {
  const main = byId('main');
  main.dataset.state = 'error';
  main.removeAttribute('aria-busy');
  byId('status').textContent = '';
  const error = byId('error');
  error.hidden = false;
  byId('error-detail').textContent = message;
}

async function start(): Promise<void> {
  const main = byId('main');
  let data: Summary | null;
  try {
    data = await loadSummary();
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  if (data === null) {
    main.dataset.state = 'empty';
    main.removeAttribute('aria-busy');
    byId('status').textContent = 'No usage data has been published yet.';
    return;
  }
  const page = new Page(data);
  main.dataset.state = 'ready';
  main.removeAttribute('aria-busy');
  byId('status').textContent = '';
  page.render();
}

start().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
