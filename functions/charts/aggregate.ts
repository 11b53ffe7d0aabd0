/**
 * What the charts page computes from the summary files, as plain functions so they run (and are
 * tested) without a browser. Times are the summary's own: midnight UTC in epoch milliseconds.
 */
import { ChartsError } from './errors.js';

export const DAY_MS = 86_400_000;

export type Point = readonly [time: number, count: number];
export type Series = readonly Point[];
export type SeriesByName = Readonly<Record<string, Series>>;

export interface SummaryIndex {
  readonly firstDay: string | null;
  readonly lastDay: string | null;
  /** Days with data. */
  readonly days: number;
  readonly total: number;
  readonly lastUpdated: string | null;
  /** All-time totals, busiest first. */
  readonly events: readonly NamedCount[];
  readonly channels: readonly NamedCount[];
}

/** Both ends inclusive, each a midnight UTC. */
export interface DayRange {
  readonly from: number;
  readonly to: number;
}

export interface NamedCount {
  readonly name: string;
  readonly count: number;
}

// ---- Days ---------------------------------------------------------------------------------------

const COMPACT_DAY = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `20250301` or `2025-03-01` → midnight UTC, or null when it is not a real date. */
export function parseDayMillis(text: string): number | null {
  const match = COMPACT_DAY.exec(text) ?? ISO_DAY.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  // Date.UTC rolls 2025-02-30 over into March; a real date survives the round trip.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return time;
}

/** Midnight UTC → `2025-03-01`, the value an `<input type="date">` takes. */
export function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Days in an inclusive range. */
export function dayCount(range: DayRange): number {
  return range.to < range.from ? 0 : Math.round((range.to - range.from) / DAY_MS) + 1;
}

// ---- Ranges -------------------------------------------------------------------------------------

export const PRESETS = [
  { id: '7d', label: '7 days', days: 7 },
  { id: '30d', label: '30 days', days: 30 },
  { id: '90d', label: '90 days', days: 90 },
  { id: '1y', label: 'Last year', days: 365 },
  { id: 'all', label: 'All', days: null },
] as const;
export type PresetId = (typeof PRESETS)[number]['id'];

/**
 * A quick range, counted back from the last day with data rather than from today: a pipeline
 * that stopped a week ago should still show a month of data for "30 days".
 */
export function presetRange(id: PresetId, bounds: DayRange): DayRange {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset || preset.days === null) return bounds;
  return { from: Math.max(bounds.from, bounds.to - (preset.days - 1) * DAY_MS), to: bounds.to };
}

/** The preset a range corresponds to, to mark its button as pressed. */
export function matchingPreset(range: DayRange, bounds: DayRange): PresetId | null {
  // "All" first: with little data, "Last year" gives the same range and "All" is the truer label.
  const ids = [...PRESETS].reverse().map((p) => p.id);
  return ids.find((id) => sameRange(presetRange(id, bounds), range)) ?? null;
}

export function sameRange(a: DayRange, b: DayRange): boolean {
  return a.from === b.from && a.to === b.to;
}

/**
 * A range from two typed ends, kept within the data. When the ends cross, the one just edited
 * wins and the other follows it, as date-range pickers usually behave.
 */
export function normaliseRange(from: number | null, to: number | null, bounds: DayRange, edited: 'from' | 'to' = 'from'): DayRange {
  const clamp = (t: number) => Math.min(bounds.to, Math.max(bounds.from, t));
  let start = clamp(from ?? bounds.from);
  let end = clamp(to ?? bounds.to);
  if (start > end) {
    if (edited === 'from') end = start;
    else start = end;
  }
  return { from: start, to: end };
}

/** The range the data covers, from the index. */
export function dataBounds(index: SummaryIndex): DayRange | null {
  const from = index.firstDay === null ? null : parseDayMillis(index.firstDay);
  const to = index.lastDay === null ? null : parseDayMillis(index.lastDay);
  return from === null || to === null || to < from ? null : { from, to };
}

// ---- Aggregation --------------------------------------------------------------------------------

/** Index of the first point at or after `time` (series ascending). */
export function lowerBound(series: Series, time: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((series[mid] as Point)[0] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The points inside the range, without copying the series. */
function pointsInRange(series: Series, range: DayRange): { start: number; end: number } {
  return { start: lowerBound(series, range.from), end: lowerBound(series, range.to + DAY_MS) };
}

export function sumInRange(series: Series, range: DayRange): number {
  const { start, end } = pointsInRange(series, range);
  let sum = 0;
  for (let i = start; i < end; i++) sum += (series[i] as Point)[1];
  return sum;
}

/** Order of every ranking on the page: count descending, then name in code-point order. */
export function compareNamedCounts(a: NamedCount, b: NamedCount): number {
  return b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Each name's total in the range, largest first; names with nothing in the range are left out. */
export function totalsInRange(byName: SeriesByName, range: DayRange): NamedCount[] {
  const rows: NamedCount[] = [];
  for (const name of Object.keys(byName)) {
    const count = sumInRange(byName[name] as Series, range);
    if (count > 0) rows.push({ name, count });
  }
  return rows.sort(compareNamedCounts);
}

export interface Ranking {
  readonly top: readonly NamedCount[];
  readonly rest: {
    /** Named rows past the top. */
    readonly names: number;
    /** Their events, plus the untracked ones. */
    readonly count: number;
    /** Events in the total that no row accounts for (names without a series of their own). */
    readonly untracked: number;
  };
  readonly total: number;
}

/**
 * The top rows and what the others add up to. `total` is the range's total when it is known
 * independently: the series files may give only the busiest names a series, and the total
 * series still counts every event, so the remainder is exact even without the rare names.
 */
export function rank(rows: readonly NamedCount[], limit: number, total?: number): Ranking {
  const sorted = [...rows].sort(compareNamedCounts);
  const top = sorted.slice(0, Math.max(0, limit));
  const others = sorted.slice(top.length);
  const sum = (list: readonly NamedCount[]) => list.reduce((n, row) => n + row.count, 0);
  const named = sum(sorted);
  const untracked = total === undefined ? 0 : Math.max(0, total - named);
  return { top, rest: { names: others.length, count: sum(others) + untracked, untracked }, total: named + untracked };
}

export interface DailyColumns {
  /** Every day of the range, midnight UTC. */
  readonly times: number[];
  /** The day's count; null where there is no daily object, so the chart shows a gap, not a zero. */
  readonly counts: Array<number | null>;
}

/** One column per calendar day of the range, for a chart's aligned x/y arrays. */
export function dailyColumns(total: Series, range: DayRange): DailyColumns {
  const times: number[] = [];
  const counts: Array<number | null> = [];
  const { start, end } = pointsInRange(total, range);
  let i = start;
  for (let t = range.from; t <= range.to; t += DAY_MS) {
    times.push(t);
    // Points may be off midnight if the files were ever built differently; match by day.
    while (i < end && (total[i] as Point)[0] < t) i++;
    const point = total[i];
    counts.push(i < end && point !== undefined && point[0] < t + DAY_MS ? point[1] : null);
  }
  return { times, counts };
}

/**
 * Mean over the trailing `window` days, counting only days with data, so a missing daily object
 * does not drag the average down. Null until a day with data is in the window.
 */
export function trailingAverage(values: ReadonlyArray<number | null>, window: number): Array<number | null> {
  const out: Array<number | null> = [];
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const added = values[i];
    if (added != null) {
      sum += added;
      n++;
    }
    const dropped = i >= window ? values[i - window] : null;
    if (dropped != null) {
      sum -= dropped;
      n--;
    }
    out.push(n > 0 ? sum / n : null);
  }
  return out;
}

/**
 * The trailing average for each day of the range, looking back before the range's start so the
 * first days of a range average over a full window too.
 */
export function trailingAverageInRange(total: Series, range: DayRange, window: number): Array<number | null> {
  const lookback = Math.max(0, window - 1);
  const { counts } = dailyColumns(total, { from: range.from - lookback * DAY_MS, to: range.to });
  return trailingAverage(counts, window).slice(lookback);
}

export interface RangeStats {
  readonly total: number;
  /** Calendar days in the range. */
  readonly days: number;
  /** Days in the range that have a daily object. */
  readonly daysWithData: number;
  /** Per day with data; null when there is none. */
  readonly averagePerDay: number | null;
  /** The day with the most events (the first, on a tie). */
  readonly busiest: { readonly time: number; readonly count: number } | null;
}

export function rangeStats(total: Series, range: DayRange): RangeStats {
  const { start, end } = pointsInRange(total, range);
  let sum = 0;
  let busiest: { time: number; count: number } | null = null;
  for (let i = start; i < end; i++) {
    const [time, count] = total[i] as Point;
    sum += count;
    if (busiest === null || count > busiest.count) busiest = { time, count };
  }
  const daysWithData = end - start;
  return {
    total: sum,
    days: dayCount(range),
    daysWithData,
    averagePerDay: daysWithData > 0 ? sum / daysWithData : null,
    busiest,
  };
}

// ---- Reading the files --------------------------------------------------------------------------

/** A summary file that does not have the expected shape. */
export class SummaryFormatError extends ChartsError {
  static override readonly userFacing = true;
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Totals by name, as `{"name": count}` or as `[["name", count], …]` (an array keeps names
 * such as channel "655" in order, which a JSON object would move first), busiest first.
 */
function namedCounts(value: unknown, file: string, field: string): NamedCount[] {
  const rows: NamedCount[] = [];
  if (Array.isArray(value)) {
    for (const pair of value) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || !isCount(pair[1])) {
        throw new SummaryFormatError(file, `"${field}" holds ${JSON.stringify(pair)}, not a [name, count] pair`);
      }
      rows.push({ name: pair[0], count: pair[1] });
    }
  } else if (isRecord(value)) {
    for (const [name, count] of Object.entries(value)) {
      if (!isCount(count)) throw new SummaryFormatError(file, `"${field}.${name}" is not a count`);
      rows.push({ name, count });
    }
  } else {
    throw new SummaryFormatError(file, `"${field}" is neither an object nor an array`);
  }
  return rows.sort(compareNamedCounts);
}

export function parseIndex(value: unknown, file = 'index.json'): SummaryIndex {
  if (!isRecord(value)) throw new SummaryFormatError(file, 'not a JSON object');
  const day = (field: string): string | null => {
    const v = value[field];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'string' || parseDayMillis(v) === null) throw new SummaryFormatError(file, `"${field}" is not a YYYYMMDD day`);
    return v;
  };
  const count = (field: string): number => {
    const v = value[field];
    if (!isCount(v)) throw new SummaryFormatError(file, `"${field}" is not a count`);
    return v;
  };
  const lastUpdated = value.lastUpdated;
  if (lastUpdated !== null && lastUpdated !== undefined && typeof lastUpdated !== 'string') {
    throw new SummaryFormatError(file, '"lastUpdated" is not a string');
  }
  return {
    firstDay: day('firstDay'),
    lastDay: day('lastDay'),
    days: count('days'),
    total: count('total'),
    lastUpdated: lastUpdated ?? null,
    events: namedCounts(value.events, file, 'events'),
    channels: namedCounts(value.channels, file, 'channels'),
  };
}

export function parseSeries(value: unknown, file = 'total.json'): Series {
  if (!Array.isArray(value)) throw new SummaryFormatError(file, 'not a JSON array');
  let previous = -Infinity;
  for (const point of value) {
    if (!Array.isArray(point) || point.length !== 2 || !Number.isFinite(point[0]) || !isCount(point[1])) {
      throw new SummaryFormatError(file, `${JSON.stringify(point)} is not a [time, count] pair`);
    }
    // Every range lookup is a binary search: an unsorted series would give wrong totals silently.
    if (point[0] <= previous) throw new SummaryFormatError(file, 'points are not in ascending time order');
    previous = point[0];
  }
  return value as Series;
}

export function parseSeriesByName(value: unknown, file: string): SeriesByName {
  if (!isRecord(value)) throw new SummaryFormatError(file, 'not a JSON object');
  const out: Record<string, Series> = Object.create(null);
  for (const [name, series] of Object.entries(value)) out[name] = parseSeries(series, `${file} "${name}"`);
  return out;
}
