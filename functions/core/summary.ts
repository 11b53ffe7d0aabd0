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
import { createHash } from 'node:crypto';
import { epochMillis, type Day, type Month } from './days.js';
import { compareCodePoints, sortByCodePoint } from './python-json.js';

export interface DayCounts {
  readonly total: number;
  readonly events: ReadonlyMap<string, number>;
  readonly channels: ReadonlyMap<string, number>;
}

/** Events with an all-time series of their own; the rest are in the month files and the index. */
export const SERIES_EVENT_LIMIT = 100;

interface MonthFile {
  month: string;
  days: string[];
  total: number[];
  events: Record<string, number[]>;
  channels: Record<string, number[]>;
}

/** Name → flat `[dayIndex, count, dayIndex, count, …]`, day indexes ascending. */
type Columns = Map<string, number[]>;

/**
 * A month's counts, kept in the column form they are written in: counting a day touches each
 * name once per event, with no per-day tables to build and fold afterwards.
 */
export class MonthCounts {
  readonly days: Day[] = [];
  readonly totals: number[] = [];
  private byDay: Map<Day, DayCounts> | null = null;

  constructor(
    readonly month: Month,
    private readonly events: Columns = new Map(),
    private readonly channels: Columns = new Map(),
  ) {}

  /** Adds a day's counts; days are added in order. */
  addCounts(day: Day, counts: DayCounts): void {
    const index = this.startDay(day, counts.total);
    for (const [name, count] of counts.events) append(this.events, name, index, count);
    for (const [name, count] of counts.channels) append(this.channels, name, index, count);
  }

  /** One day's counts (for re-using an unchanged day). */
  countsOf(day: Day): DayCounts | undefined {
    if (!this.byDay) {
      const events = this.days.map(() => new Map<string, number>());
      const channels = this.days.map(() => new Map<string, number>());
      spread(this.events, events);
      spread(this.channels, channels);
      this.byDay = new Map(this.days.map((d, i) => [d, { total: this.totals[i] as number, events: events[i] as Map<string, number>, channels: channels[i] as Map<string, number> }]));
    }
    return this.byDay.get(day);
  }

  eventColumns(): ReadonlyMap<string, readonly number[]> {
    return this.events;
  }

  channelColumns(): ReadonlyMap<string, readonly number[]> {
    return this.channels;
  }

  serialise(): string {
    const file: MonthFile = { month: this.month, days: this.days, total: this.totals, events: sortedRecord(this.events), channels: sortedRecord(this.channels) };
    return JSON.stringify(file);
  }

  /**
   * What identifies the summary's text (a hash of the file it was read from, or of what it
   * writes): the index records it for every month, so that an update knows what it updates.
   */
  get fingerprint(): string {
    return (this.sourceFingerprint ??= fingerprintOf(this.sourceText ?? this.serialise()));
  }

  private sourceFingerprint: string | undefined;
  /** The text it was read from, until a day is added: hashed only when the fingerprint is asked for. */
  private sourceText: string | undefined;

  static parse(text: string): MonthCounts {
    const file = JSON.parse(text) as MonthFile;
    if (!Array.isArray(file?.days) || !Array.isArray(file.total) || file.days.length !== file.total.length) {
      throw new Error('month summary needs "days" and "total" arrays of one length');
    }
    const counts = new MonthCounts(file.month as Month, new Map(Object.entries(file.events ?? {})), new Map(Object.entries(file.channels ?? {})));
    counts.days.push(...(file.days as Day[]));
    counts.totals.push(...file.total);
    counts.sourceText = text;
    return counts;
  }

  private startDay(day: Day, total: number): number {
    this.byDay = null;
    this.sourceFingerprint = undefined;
    this.sourceText = undefined;
    this.totals.push(total);
    return this.days.push(day) - 1;
  }
}

function fingerprintOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function append(columns: Columns, name: string, index: number, count: number): void {
  const pairs = columns.get(name);
  if (pairs) pairs.push(index, count);
  else columns.set(name, [index, count]);
}

function spread(columns: Columns, into: Array<Map<string, number>>): void {
  for (const [name, pairs] of columns) {
    for (let i = 0; i + 1 < pairs.length; i += 2) into[pairs[i] as number]?.set(name, pairs[i + 1] as number);
  }
}

/**
 * Names in code-point order, so the files are stable from run to run, in a record without a
 * prototype: `__proto__` or `constructor` is a name like any other.
 */
function sortedRecord(columns: Columns): Record<string, number[]> {
  const out: Record<string, number[]> = Object.create(null);
  for (const name of sortByCodePoint([...columns.keys()])) out[name] = columns.get(name) as number[];
  return out;
}

export interface SummaryFiles {
  readonly index: string;
  readonly total: string;
  readonly events: string;
  readonly channels: string;
}

/** Month summaries that can be read more than once, each time in month order. */
export type MonthReader = () => AsyncIterable<MonthCounts> | Iterable<MonthCounts>;

/**
 * The all-time files, from the month summaries, read twice and one at a time (totals first,
 * then the series of the names that get one), so that a long history is never held, and
 * written out directly (no array per point).
 */
export async function buildSeries(readMonths: MonthReader, lastUpdated: string | null): Promise<SummaryFiles> {
  const totals = new SeriesTotals();
  for await (const month of readMonths()) totals.add(month);
  return totals.series(readMonths, lastUpdated);
}

/** Events of each month whose points the first reading keeps: the series' events are nearly always among them. */
const KEPT_EVENTS = 4 * SERIES_EVENT_LIMIT;

interface MonthSeries {
  readonly fingerprint: string;
  readonly days: readonly Day[];
  /** The month's daily totals as `[time,count]` pairs. */
  readonly points: string;
  readonly total: number;
  /** `[time,count]` pairs of every channel and of the month's {@link KEPT_EVENTS} busiest events. */
  readonly channelChunks: ReadonlyMap<string, string>;
  readonly eventChunks: ReadonlyMap<string, string>;
  /** Whether every event of the month has its pairs in {@link eventChunks}. */
  readonly everyEvent: boolean;
}

/**
 * The first reading of {@link buildSeries}: what each month adds to the totals, in whatever
 * order the months come (a build adds each month as its thread finishes it), kept per month
 * as small as it gets: its totals folded in, its daily points as text, and the points of the
 * names most likely to get a series, so that the second reading is needed only when a series'
 * event was not among a month's busiest.
 */
export class SeriesTotals {
  private readonly eventTotals = new Map<string, number>();
  private readonly channelTotals = new Map<string, number>();
  private readonly months = new Map<Month, MonthSeries>();

  add(month: MonthCounts): void {
    if (this.months.has(month.month)) throw new Error(`month ${month.month} added twice`);
    addTotals(this.eventTotals, month.eventColumns());
    addTotals(this.channelTotals, month.channelColumns());
    const times = month.days.map((day) => String(epochMillis(day)));
    let total = 0;
    const points = times.map((time, i) => {
      const count = month.totals[i] as number;
      total += count;
      return `[${time},${count}]`;
    });
    const events = month.eventColumns();
    const kept = events.size <= KEPT_EVENTS ? [...events] : [...events].map(([name, pairs]) => ({ name, pairs, total: columnTotal(pairs) })).sort((a, b) => b.total - a.total).slice(0, KEPT_EVENTS).map(({ name, pairs }) => [name, pairs] as const);
    this.months.set(month.month, {
      fingerprint: month.fingerprint,
      days: month.days,
      points: points.join(','),
      total,
      channelChunks: new Map([...month.channelColumns()].map(([name, pairs]) => [name, monthChunk(pairs, times)])),
      eventChunks: new Map(kept.map(([name, pairs]) => [name, monthChunk(pairs, times)])),
      everyEvent: kept.length === events.size,
    });
  }

  /** The months added so far. */
  get added(): ReadonlySet<Month> {
    return new Set(this.months.keys());
  }

  /** The files; `readMonths` gives the same months again (in month order) when a series needs points the first reading did not keep. */
  async series(readMonths: MonthReader, lastUpdated: string | null): Promise<SummaryFiles> {
    const inOrder = [...this.months].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const months: Record<string, string> = Object.create(null);
    let total = 0;
    let days = 0;
    for (const [name, month] of inOrder) {
      months[name] = month.fingerprint;
      total += month.total;
      days += month.days.length;
    }
    const withDays = inOrder.filter(([, month]) => month.days.length > 0);
    const firstDay = withDays[0]?.[1].days[0] ?? null;
    const lastDay = withDays.at(-1)?.[1].days.at(-1) ?? null;
    const busiestEvents = busiestFirst(this.eventTotals);
    const busiestChannels = busiestFirst(this.channelTotals);
    // Series only for the names that get one: the long tail of rare events never builds arrays.
    const seriesEvents = busiestEvents.slice(0, SERIES_EVENT_LIMIT).map(([name]) => name);
    const eventPoints = new Map(seriesEvents.map((name) => [name, [] as string[]]));
    const channelPoints = new Map(busiestChannels.map(([name]) => [name, [] as string[]]));
    const kept = inOrder.every(([, month]) => month.everyEvent || seriesEvents.every((name) => month.eventChunks.has(name)));
    if (kept) {
      for (const [, month] of inOrder) {
        addChunks(eventPoints, month.eventChunks);
        addChunks(channelPoints, month.channelChunks);
      }
    } else {
      for await (const month of readMonths()) {
        const times = month.days.map((day) => String(epochMillis(day)));
        addPoints(eventPoints, month.eventColumns(), times);
        addPoints(channelPoints, month.channelColumns(), times);
      }
    }
    return {
      index: JSON.stringify({ firstDay, lastDay, days, total, lastUpdated, events: busiestEvents, channels: busiestChannels, seriesEvents, months }),
      total: `[${withDays.map(([, month]) => month.points).join(',')}]`,
      events: seriesJson(eventPoints),
      channels: seriesJson(channelPoints),
    };
  }
}

/** A name's `[time,count]` pairs in a month, from its `[dayIndex, count, …]` column and each day's time as text. */
function monthChunk(pairs: readonly number[], times: readonly string[]): string {
  const points: string[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) points.push(`[${times[pairs[i] as number] as string},${pairs[i + 1] as number}]`);
  return points.join(',');
}

function addChunks(into: Map<string, string[]>, chunks: ReadonlyMap<string, string>): void {
  for (const [name, list] of into) {
    const chunk = chunks.get(name);
    if (chunk !== undefined) list.push(chunk);
  }
}

/** A month's points for the names that have a series, as one chunk of `[time,count]` pairs per name. */
function addPoints(into: Map<string, string[]>, columns: ReadonlyMap<string, readonly number[]>, times: readonly string[]): void {
  for (const [name, chunks] of into) {
    const pairs = columns.get(name);
    if (pairs) chunks.push(monthChunk(pairs, times));
  }
}

/**
 * `JSON.stringify({"name": [[epochMillis, count], …], …})` from the names' chunks of points,
 * keys in the order such an object keeps them (names that are array indexes first, as
 * JavaScript orders them, then the others as given).
 */
export function seriesJson(chunksByName: ReadonlyMap<string, readonly string[]>): string {
  const keyOrder = Object.keys(Object.fromEntries([...chunksByName.keys()].map((name) => [name, 0])));
  return `{${keyOrder.map((name) => `${JSON.stringify(name)}:[${(chunksByName.get(name) as string[]).join(',')}]`).join(',')}}`;
}

function addTotals(totals: Map<string, number>, columns: ReadonlyMap<string, readonly number[]>): void {
  for (const [name, pairs] of columns) totals.set(name, (totals.get(name) ?? 0) + columnTotal(pairs));
}

/** The count of a name in a month: the sum of its `[dayIndex, count, …]` pairs' counts. */
export function columnTotal(pairs: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < pairs.length; i += 2) sum += pairs[i] as number;
  return sum;
}

/** `[name, total]` pairs, busiest first, ties by name, so the output is stable. */
export function busiestFirst(totals: Map<string, number>): Array<[string, number]> {
  return [...totals].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
}
