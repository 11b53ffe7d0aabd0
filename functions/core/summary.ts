/**
 * The summary layout: small files a chart can load instead of the raw shards.
 *
 * - `summary/date/YYYY/MM.json`, per month, column-oriented so a long tail of rare names stays
 *   cheap: `{"month": "202503", "days": ["20250301", …], "total": [n, …],
 *   "events": {"name": [dayIndex, count, dayIndex, count, …]}, "channels": {…}}`
 *   (only the days on which a name occurs, as flat index/count pairs).
 * - `summary/series/total.json`: `[[epochMillis, count], …]`, one pair per day.
 * - `summary/series/channels.json`: `{"channel": [[epochMillis, count], …]}`.
 * - `summary/series/events.json`: the same for the {@link SERIES_EVENT_LIMIT} busiest events.
 * - `summary/index.json`: range, totals, and every name with its all-time count, busiest first.
 *
 * These are new files, not read by the old UI, so they are compact JSON rather than Python's.
 */
import { epochMillis, type Day, type Month } from './days.js';
import type { ShardEntry } from './normalise.js';
import { compareCodePoints, sortByCodePoint } from './python-json.js';

export interface DayCounts {
  readonly total: number;
  readonly events: ReadonlyMap<string, number>;
  readonly channels: ReadonlyMap<string, number>;
}

export type MonthSummary = Map<Day, DayCounts>;

export const SUMMARY_INDEX_PATH = 'summary/index.json';
export const SUMMARY_SERIES_PATHS = {
  total: 'summary/series/total.json',
  events: 'summary/series/events.json',
  channels: 'summary/series/channels.json',
} as const;
export const SUMMARY_MONTH_PREFIX = 'summary/date/';
/** Events with an all-time series of their own; the rest are in the month files and the index. */
export const SERIES_EVENT_LIMIT = 100;

export function monthSummaryPath(month: Month): string {
  return `${SUMMARY_MONTH_PREFIX}${month.slice(0, 4)}/${month.slice(4, 6)}.json`;
}

export function countDay(entries: readonly ShardEntry[]): DayCounts {
  // One lookup per name and entry: counts live in mutable cells until the day is done.
  const events = new Map<string, { n: number }>();
  const channels = new Map<string, { n: number }>();
  for (const { event, channel } of entries) {
    const e = events.get(event);
    if (e) e.n++;
    else events.set(event, { n: 1 });
    const c = channels.get(channel);
    if (c) c.n++;
    else channels.set(channel, { n: 1 });
  }
  return { total: entries.length, events: settle(events), channels: settle(channels) };
}

function settle(cells: Map<string, { n: number }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [name, cell] of cells) counts.set(name, cell.n);
  return counts;
}

interface MonthFile {
  month: string;
  days: string[];
  total: number[];
  events: Record<string, number[]>;
  channels: Record<string, number[]>;
}

function columns(days: readonly Day[], summary: MonthSummary, field: 'events' | 'channels'): Record<string, number[]> {
  const byName = new Map<string, number[]>();
  days.forEach((day, index) => {
    for (const [name, count] of (summary.get(day) as DayCounts)[field]) {
      let pairs = byName.get(name);
      if (!pairs) byName.set(name, (pairs = []));
      pairs.push(index, count);
    }
  });
  const out: Record<string, number[]> = {};
  for (const name of sortByCodePoint([...byName.keys()])) out[name] = byName.get(name) as number[];
  return out;
}

export function serialiseMonthSummary(month: Month, summary: MonthSummary): string {
  const days = [...summary.keys()].sort();
  const file: MonthFile = {
    month,
    days,
    total: days.map((day) => (summary.get(day) as DayCounts).total),
    events: columns(days, summary, 'events'),
    channels: columns(days, summary, 'channels'),
  };
  return JSON.stringify(file);
}

export function parseMonthSummary(text: string): MonthSummary {
  const file = JSON.parse(text) as MonthFile;
  if (!Array.isArray(file?.days) || !Array.isArray(file.total)) throw new Error('month summary needs "days" and "total" arrays');
  const events = file.days.map(() => new Map<string, number>());
  const channels = file.days.map(() => new Map<string, number>());
  const spread = (record: Record<string, number[]> | undefined, into: Map<string, number>[]) => {
    for (const [name, pairs] of Object.entries(record ?? {})) {
      for (let i = 0; i + 1 < pairs.length; i += 2) into[pairs[i] as number]?.set(name, pairs[i + 1] as number);
    }
  };
  spread(file.events, events);
  spread(file.channels, channels);
  const summary: MonthSummary = new Map();
  file.days.forEach((day, i) => {
    summary.set(day as Day, { total: file.total[i] as number, events: events[i] as Map<string, number>, channels: channels[i] as Map<string, number> });
  });
  return summary;
}

export type Series = Array<[number, number]>;

export interface SummaryFiles {
  readonly index: string;
  readonly total: string;
  readonly events: string;
  readonly channels: string;
}

/** The all-time files, from every month summary. */
export function buildSeries(months: Iterable<MonthSummary>, lastUpdated: string | null): SummaryFiles {
  const all = new Map<Day, DayCounts>();
  for (const month of months) for (const [day, counts] of month) all.set(day, counts);
  const days = [...all.keys()].sort();
  const eventTotals = new Map<string, number>();
  const channelTotals = new Map<string, number>();
  for (const counts of all.values()) {
    addTotals(eventTotals, counts.events);
    addTotals(channelTotals, counts.channels);
  }
  const busiestEvents = busiestFirst(eventTotals);
  const busiestChannels = busiestFirst(channelTotals);
  // Series only for the names that get one: the long tail of rare events never builds arrays.
  const seriesEvents = busiestEvents.slice(0, SERIES_EVENT_LIMIT).map(([name]) => name);
  const events = new Map<string, Series>(seriesEvents.map((name) => [name, []]));
  const channels = new Map<string, Series>(busiestChannels.map(([name]) => [name, []]));
  const total: Series = [];
  for (const day of days) {
    const counts = all.get(day) as DayCounts;
    const t = epochMillis(day);
    total.push([t, counts.total]);
    addPoints(events, counts.events, t);
    addPoints(channels, counts.channels, t);
  }
  return {
    index: JSON.stringify({
      firstDay: days[0] ?? null,
      lastDay: days.at(-1) ?? null,
      days: days.length,
      total: total.reduce((sum, [, count]) => sum + count, 0),
      lastUpdated,
      events: busiestEvents,
      channels: busiestChannels,
      seriesEvents,
    }),
    total: JSON.stringify(total),
    events: JSON.stringify(Object.fromEntries(events)),
    channels: JSON.stringify(Object.fromEntries(channels)),
  };
}

function addTotals(totals: Map<string, number>, counts: ReadonlyMap<string, number>): void {
  for (const [name, count] of counts) totals.set(name, (totals.get(name) ?? 0) + count);
}

/** Adds today's point to each series that exists; names without a series are skipped. */
function addPoints(series: Map<string, Series>, counts: ReadonlyMap<string, number>, t: number): void {
  for (const [name, points] of series) {
    const count = counts.get(name);
    if (count !== undefined) points.push([t, count]);
  }
}

/** `[name, total]` pairs, busiest first, ties by name, so the output is stable. */
function busiestFirst(totals: Map<string, number>): Array<[string, number]> {
  return [...totals].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
}
