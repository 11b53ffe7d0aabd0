/**
 * The all-time summary files updated for the months a run rewrote, instead of rebuilt from
 * every month summary: the work is in proportion to the months changed and the size of the
 * all-time files, not to the number of months times the number of names (a history of
 * 5,000 event names would otherwise be parsed whole on every run).
 *
 * The result is exactly what {@link buildSeries} gives from all the month summaries, or null
 * when the update cannot know it: previous files missing or not of the expected shape, a
 * changed month whose previous summary is not the one the files were made from (the index
 * records each month summary's fingerprint: a run that crashed between writing a month
 * summary and these files is caught here), an event entering the 100 busiest that had no
 * series of its own. The caller then rebuilds.
 */
import { epochMillis, type Day, type Month } from './days.js';
import { busiestFirst, columnTotal, MonthCounts, seriesJson, SERIES_EVENT_LIMIT, type SummaryFiles } from './summary.js';

/** A month summary the run rewrote: as it was (null if it did not exist) and as it is. */
export interface MonthChange {
  readonly previous: MonthCounts | null;
  readonly current: MonthCounts;
}

type Point = [time: number, count: number];

interface PreviousFiles {
  readonly months: Record<string, string>;
  readonly events: Map<string, number>;
  readonly channels: Map<string, number>;
  readonly seriesEvents: ReadonlySet<string>;
  readonly total: Point[];
  readonly eventSeries: Map<string, Point[]>;
  readonly channelSeries: Map<string, Point[]>;
}

export function updateSeries(previousTexts: SummaryFiles, changes: readonly MonthChange[], lastUpdated: string | null): SummaryFiles | null {
  const previous = readPreviousFiles(previousTexts);
  if (previous === null) return null;
  const eventsBefore = new Set(previous.events.keys());
  const ranges = changes.map(({ current }) => monthRange(current.month));
  const changed = (time: number) => ranges.some(([from, to]) => time >= from && time < to);
  for (const change of changes) {
    const recorded = Object.hasOwn(previous.months, change.current.month) ? previous.months[change.current.month] : null;
    if (recorded !== (change.previous?.fingerprint ?? null)) return null;
    previous.months[change.current.month] = change.current.fingerprint;
    if (change.previous) {
      addTotals(previous.events, change.previous.eventColumns(), -1);
      addTotals(previous.channels, change.previous.channelColumns(), -1);
    }
    addTotals(previous.events, change.current.eventColumns(), 1);
    addTotals(previous.channels, change.current.channelColumns(), 1);
  }
  const busiestEvents = busiestFirst(previous.events);
  const busiestChannels = busiestFirst(previous.channels);
  const seriesEvents = busiestEvents.slice(0, SERIES_EVENT_LIMIT).map(([name]) => name);
  // An event new to the busiest 100 needs its whole history, which only the month summaries
  // have, unless it had none before (then it is all in the changed months).
  if (seriesEvents.some((name) => !previous.seriesEvents.has(name) && eventsBefore.has(name))) return null;

  const total = previous.total.filter(([time]) => !changed(time));
  for (const { current } of changes) current.days.forEach((day, i) => total.push([epochMillis(day), current.totals[i] as number]));
  total.sort((a, b) => a[0] - b[0]);
  const days = total.map(([time]) => time);
  const eventPoints = updatedSeries(seriesEvents, previous.eventSeries, changed, changes, (month) => month.eventColumns());
  const channelPoints = updatedSeries(busiestChannels.map(([name]) => name), previous.channelSeries, changed, changes, (month) => month.channelColumns());
  return {
    index: JSON.stringify({
      firstDay: days.length > 0 ? dayOf(days[0] as number) : null,
      lastDay: days.length > 0 ? dayOf(days.at(-1) as number) : null,
      days: days.length,
      total: total.reduce((sum, [, count]) => sum + count, 0),
      lastUpdated,
      events: busiestEvents,
      channels: busiestChannels,
      seriesEvents,
      months: previous.months,
    }),
    total: pointsJson(total),
    events: seriesJson(eventPoints),
    channels: seriesJson(channelPoints),
  };
}

function updatedSeries(
  names: readonly string[],
  previous: ReadonlyMap<string, Point[]>,
  changed: (time: number) => boolean,
  changes: readonly MonthChange[],
  columnsOf: (month: MonthCounts) => ReadonlyMap<string, readonly number[]>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of names) {
    const points = (previous.get(name) ?? []).filter(([time]) => !changed(time));
    for (const { current } of changes) {
      const pairs = columnsOf(current).get(name) ?? [];
      for (let i = 0; i + 1 < pairs.length; i += 2) points.push([epochMillis(current.days[pairs[i] as number] as Day), pairs[i + 1] as number]);
    }
    points.sort((a, b) => a[0] - b[0]);
    out.set(name, [pointsJson(points).slice(1, -1)]);
  }
  return out;
}

function addTotals(totals: Map<string, number>, columns: ReadonlyMap<string, readonly number[]>, sign: 1 | -1): void {
  for (const [name, pairs] of columns) {
    const total = (totals.get(name) ?? 0) + sign * columnTotal(pairs);
    if (total === 0) totals.delete(name);
    else totals.set(name, total);
  }
}

/** Midnight UTC of the month's first day and of the next month's. */
function monthRange(month: Month): [number, number] {
  const year = Number(month.slice(0, 4));
  const index = Number(month.slice(4, 6)) - 1;
  return [Date.UTC(year, index, 1), Date.UTC(year, index + 1, 1)];
}

function dayOf(time: number): Day {
  return new Date(time).toISOString().slice(0, 10).replaceAll('-', '') as Day;
}

function pointsJson(points: readonly Point[]): string {
  return `[${points.map(([time, count]) => `[${time},${count}]`).join(',')}]`;
}

function readPreviousFiles(texts: SummaryFiles): PreviousFiles | null {
  try {
    const index = JSON.parse(texts.index) as { events?: unknown; channels?: unknown; seriesEvents?: unknown; months?: unknown };
    const events = namedCounts(index.events);
    const channels = namedCounts(index.channels);
    const total = points(JSON.parse(texts.total));
    const eventSeries = seriesByName(JSON.parse(texts.events));
    const channelSeries = seriesByName(JSON.parse(texts.channels));
    const { seriesEvents, months } = index;
    if (!events || !channels || !total || !eventSeries || !channelSeries || !Array.isArray(seriesEvents) || !seriesEvents.every((n) => typeof n === 'string')) return null;
    if (typeof months !== 'object' || months === null || Array.isArray(months) || !Object.values(months).every((f) => typeof f === 'string')) return null;
    return { months: { ...(months as Record<string, string>) }, events, channels, seriesEvents: new Set(seriesEvents as string[]), total, eventSeries, channelSeries };
  } catch {
    return null;
  }
}

function namedCounts(value: unknown): Map<string, number> | null {
  if (!Array.isArray(value)) return null;
  const out = new Map<string, number>();
  for (const pair of value) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Number.isSafeInteger(pair[1])) return null;
    out.set(pair[0], pair[1] as number);
  }
  return out;
}

function points(value: unknown): Point[] | null {
  if (!Array.isArray(value)) return null;
  return value.every((p) => Array.isArray(p) && p.length === 2 && Number.isSafeInteger(p[0]) && Number.isSafeInteger(p[1])) ? (value as Point[]) : null;
}

function seriesByName(value: unknown): Map<string, Point[]> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const out = new Map<string, Point[]>();
  for (const [name, series] of Object.entries(value)) {
    const parsed = points(series);
    if (parsed === null) return null;
    out.set(name, parsed);
  }
  return out;
}
