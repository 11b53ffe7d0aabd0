/**
 * The summary layout: per-day counts by event and channel (`data/summary/date/YYYY/MM.json`),
 * and all-time time series as `[epochMillis, count]` pairs (`data/summary/series/*.json`), so a
 * chart of the whole history loads a few small files instead of every month rollup.
 */
import { epochMillis, type Day, type Month } from './days.js';
import type { ShardEntry } from './normalise.js';
import { fromJs, pyDumps, pyLoads, sortByCodePoint, type PyValue } from './python-json.js';

export interface DayCounts {
  readonly total: number;
  readonly events: Readonly<Record<string, number>>;
  readonly channels: Readonly<Record<string, number>>;
}

export type MonthSummary = Map<Day, DayCounts>;

export const SUMMARY_INDEX_PATH = 'summary/index.json';
export const SUMMARY_SERIES_PATHS = {
  total: 'summary/series/total.json',
  events: 'summary/series/events.json',
  channels: 'summary/series/channels.json',
} as const;
export const SUMMARY_MONTH_PREFIX = 'summary/date/';

export function monthSummaryPath(month: Month): string {
  return `${SUMMARY_MONTH_PREFIX}${month.slice(0, 4)}/${month.slice(4, 6)}.json`;
}

/** Counts, with names in code-point order so the files are stable from run to run. */
export function countDay(entries: readonly ShardEntry[]): DayCounts {
  const events = new Map<string, number>();
  const channels = new Map<string, number>();
  for (const { event, channel } of entries) {
    events.set(event, (events.get(event) ?? 0) + 1);
    channels.set(channel, (channels.get(channel) ?? 0) + 1);
  }
  return { total: entries.length, events: sortedRecord(events), channels: sortedRecord(channels) };
}

function sortedRecord(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const name of sortByCodePoint([...counts.keys()])) out[name] = counts.get(name) as number;
  return out;
}

function countsValue(counts: Readonly<Record<string, number>>): PyValue {
  // A Map keeps names like "123" in place; a plain object would move them first.
  return new Map(Object.keys(counts).map((name) => [name, fromJs(counts[name])]));
}

export function serialiseMonthSummary(summary: MonthSummary): string {
  const days = [...summary.keys()].sort();
  const value = new Map<string, PyValue>(
    days.map((day) => {
      const counts = summary.get(day) as DayCounts;
      return [
        day,
        new Map<string, PyValue>([
          ['total', fromJs(counts.total)],
          ['events', countsValue(counts.events)],
          ['channels', countsValue(counts.channels)],
        ]),
      ];
    }),
  );
  return pyDumps(value);
}

export function parseMonthSummary(text: string): MonthSummary {
  const value = pyLoads(text);
  if (!(value instanceof Map)) throw new Error('month summary is not a JSON object');
  const summary: MonthSummary = new Map();
  for (const [day, counts] of value) {
    if (!(counts instanceof Map)) throw new Error(`month summary entry ${day} is not an object`);
    summary.set(day as Day, {
      total: Number((counts.get('total') as { text: string }).text),
      events: recordOf(counts.get('events')),
      channels: recordOf(counts.get('channels')),
    });
  }
  return summary;
}

function recordOf(value: PyValue | undefined): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  if (value instanceof Map) for (const [name, count] of value) out[name] = Number((count as { text: string }).text);
  return out;
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
  const total: Series = [];
  const events = new Map<string, Series>();
  const channels = new Map<string, Series>();
  const eventTotals = new Map<string, number>();
  const channelTotals = new Map<string, number>();
  const days: Day[] = [];
  const all = new Map<Day, DayCounts>();
  for (const month of months) for (const [day, counts] of month) all.set(day, counts);
  for (const day of [...all.keys()].sort()) {
    const counts = all.get(day) as DayCounts;
    const t = epochMillis(day);
    days.push(day);
    total.push([t, counts.total]);
    addPoints(events, eventTotals, counts.events, t);
    addPoints(channels, channelTotals, counts.channels, t);
  }
  const seriesMap = (series: Map<string, Series>) =>
    new Map(sortByCodePoint([...series.keys()]).map((name) => [name, fromJs(series.get(name))]));
  const totalsMap = (totals: Map<string, number>) =>
    new Map(
      [...totals.keys()]
        .sort((a, b) => (totals.get(b) as number) - (totals.get(a) as number) || (a < b ? -1 : a > b ? 1 : 0))
        .map((name) => [name, fromJs(totals.get(name))]),
    );
  const index = new Map<string, PyValue>([
    ['firstDay', days[0] ?? null],
    ['lastDay', days[days.length - 1] ?? null],
    ['days', fromJs(days.length)],
    ['total', fromJs(total.reduce((sum, [, count]) => sum + count, 0))],
    ['lastUpdated', lastUpdated],
    ['events', totalsMap(eventTotals)],
    ['channels', totalsMap(channelTotals)],
  ]);
  return {
    index: pyDumps(index),
    total: pyDumps(fromJs(total)),
    events: pyDumps(seriesMap(events)),
    channels: pyDumps(seriesMap(channels)),
  };
}

function addPoints(series: Map<string, Series>, totals: Map<string, number>, counts: Readonly<Record<string, number>>, t: number) {
  for (const name of Object.keys(counts)) {
    const count = counts[name] as number;
    let points = series.get(name);
    if (!points) series.set(name, (points = []));
    points.push([t, count]);
    totals.set(name, (totals.get(name) ?? 0) + count);
  }
}
