/**
 * Building the published `data/` tree from daily objects, in steps that the CLI runs in one
 * process (or a worker pool) and the state machine runs as separate Lambdas:
 *
 *   planBuild → buildMonth (writes changed days, the month rollup and its summary)
 *             → rebuildPairs (optional layout) → finishSite (event list, series, state).
 *
 * Every write goes through {@link writeIfChanged}, so a file whose content did not change is
 * never rewritten and never published again.
 */
import { createHash } from 'node:crypto';
import { buildDayShard, shardArray, type DayShard, type Rejection } from './day-shard.js';
import { monthOf, parseCompactDay, type Day, type Month } from './days.js';
import { mergeEventList, parseEventList, serialiseEventList } from './event-list.js';
import { bodyByteLength, type Body, type ObjectInfo, type ObjectStore } from './object-store.js';
import { pyDumps, pyLoads, type PyValue } from './python-json.js';
import { ReusableBuffer, type ShardSpace } from './reusable-buffer.js';
import {
  channelDayPath,
  DAILY_OBJECT_PREFIX,
  dailyObjectKey,
  dayShardPath,
  eventChannelPath,
  eventDateDirectory,
  eventDayPath,
  EVENT_LIST_FILE,
  LAST_UPDATED_FILE,
  monthRollupPath,
  STATE_FILE,
} from './site-paths.js';
import { isUpToDate, lastUpdated, parseState, pythonUtcTimestamp, serialiseState, type BuildState } from './state.js';
import {
  buildSeries,
  MonthCounts,
  monthSummaryPath,
  SUMMARY_INDEX_PATH,
  SUMMARY_MONTH_PREFIX,
  SUMMARY_SERIES_PATHS,
  type DayCounts,
} from './summary.js';

export const LAYOUTS = ['date', 'channel', 'event', 'summary'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const DEFAULT_LAYOUTS: readonly Layout[] = ['date', 'summary'];

export function parseLayouts(text: string): Layout[] {
  const names = text.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(LAYOUTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown layout ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${LAYOUTS.join(', ')})`);
  if (!names.includes('date')) throw new Error('the "date" layout is always built (the web UI reads it); add it to the list');
  return [...new Set(names)] as Layout[];
}

/** A daily object as the source lists it. */
export interface SourceDay {
  readonly day: Day;
  readonly key: string;
  readonly size: number;
  /** LastModified in the state's form. */
  readonly ts: string;
}

export function sourceDaysFromListing(listing: Iterable<ObjectInfo>): { days: SourceDay[]; ignored: string[] } {
  const days: SourceDay[] = [];
  const ignored: string[] = [];
  for (const info of listing) {
    const day = parseCompactDay(info.key.slice(DAILY_OBJECT_PREFIX.length));
    if (!info.key.startsWith(DAILY_OBJECT_PREFIX) || day === null) ignored.push(info.key);
    else days.push({ day, key: info.key, size: info.size, ts: pythonUtcTimestamp(info.lastModified) });
  }
  days.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return { days, ignored };
}

export async function listSourceDays(source: ObjectStore): Promise<{ days: SourceDay[]; ignored: string[] }> {
  const listing: ObjectInfo[] = [];
  for await (const info of source.list(DAILY_OBJECT_PREFIX)) listing.push(info);
  return sourceDaysFromListing(listing);
}

export interface PlanOptions {
  /** Rebuild every day. */
  readonly force?: boolean;
  /** Rebuild exactly these days (they must exist), whatever the state says. */
  readonly only?: readonly Day[];
  /** Site paths of day shards that exist; a day whose shard is missing is rebuilt. */
  readonly existingShards?: ReadonlySet<string>;
}

export interface BuildPlan {
  readonly days: readonly SourceDay[];
  readonly changed: readonly SourceDay[];
  /** Months with a changed day, in order, with all of their days. */
  readonly months: ReadonlyMap<Month, readonly SourceDay[]>;
}

export class UnknownDayError extends Error {
  constructor(readonly days: readonly Day[]) {
    super(`no daily object for ${days.join(', ')}`);
    this.name = 'UnknownDayError';
  }
}

export function planBuild(days: readonly SourceDay[], state: BuildState, options: PlanOptions = {}): BuildPlan {
  let changed: SourceDay[];
  if (options.only) {
    const wanted = new Set(options.only);
    changed = days.filter((d) => wanted.has(d.day));
    const missing = [...wanted].filter((day) => !changed.some((d) => d.day === day));
    if (missing.length > 0) throw new UnknownDayError(missing);
  } else {
    changed = days.filter(
      (d) =>
        options.force ||
        !isUpToDate(state, d.key, d) ||
        (options.existingShards !== undefined && !options.existingShards.has(dayShardPath(d.day))),
    );
  }
  const touched = new Set(changed.map((d) => monthOf(d.day)));
  const months = new Map<Month, SourceDay[]>();
  for (const d of days) {
    const month = monthOf(d.day);
    if (!touched.has(month)) continue;
    let list = months.get(month);
    if (!list) months.set(month, (list = []));
    list.push(d);
  }
  return { days, changed, months };
}

/** What a step wrote, as site paths (relative to `data/`). */
export interface SiteChanges {
  written: string[];
  deleted: string[];
  bytesWritten: number;
}

export function emptyChanges(): SiteChanges {
  return { written: [], deleted: [], bytesWritten: 0 };
}

export function mergeChanges(into: SiteChanges, from: SiteChanges): SiteChanges {
  into.written.push(...from.written);
  into.deleted.push(...from.deleted);
  into.bytesWritten += from.bytesWritten;
  return into;
}

function md5(body: Body): string {
  const hash = createHash('md5');
  if (typeof body === 'string' || body instanceof Uint8Array) hash.update(body);
  else for (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

function sameBytes(stored: Uint8Array, body: Body): boolean {
  const expected = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : Buffer.from(body.join(''));
  return Buffer.compare(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), Buffer.from(expected)) === 0;
}

/** Writes only when the stored object differs, comparing sizes, then ETags (S3) or bytes (local). */
export async function writeIfChanged(store: ObjectStore, key: string, body: Body, changes: SiteChanges, path = key): Promise<boolean> {
  // Encoded once: the size check, the comparison and the write all use these bytes.
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const size = bodyByteLength(bytes);
  const current = await store.head(key);
  if (current && current.size === size) {
    if (current.etag === `"${md5(bytes)}"`) return false;
    const stored = await store.get(key);
    if (stored && sameBytes(stored.body, bytes)) return false;
  }
  await store.put(key, bytes);
  changes.written.push(path);
  changes.bytesWritten += size;
  return true;
}

export async function deleteIfPresent(store: ObjectStore, key: string, changes: SiteChanges): Promise<void> {
  if (!(await store.head(key))) return;
  await store.delete(key);
  changes.deleted.push(key);
}

/** Everything a day contributes to the build besides its own files. */
export interface DayOutcome {
  readonly day: Day;
  readonly events: number;
  readonly lines: number;
  readonly bytesRead: number;
  readonly rejections: readonly Rejection[];
  /** Event/channel pairs ({@link pairKey}) whose all-time file needs rebuilding. */
  readonly touchedPairs: readonly string[];
}

/** An event/channel pair as one string that any two names, NUL characters included, give unambiguously. */
export function pairKey(event: string, channel: string): string {
  return JSON.stringify([event, channel]);
}

function parsePairKey(key: string): [event: string, channel: string] {
  try {
    const pair: unknown = JSON.parse(key);
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') return [pair[0], pair[1]];
  } catch {
    // not JSON: the older form below
  }
  // Run records written before pairs were JSON: `event\u0000channel`.
  const nul = key.indexOf('\u0000');
  return [key.slice(0, nul), key.slice(nul + 1)];
}

export class MissingDailyObjectError extends Error {
  constructor(readonly key: string, location: string) {
    super(`daily object ${key} is missing from ${location}`);
    this.name = 'MissingDailyObjectError';
  }
}

/** With a `space`, the shard's bytes are valid until its next use (see {@link buildDayShard}). */
export async function readDayShard(source: ObjectStore, day: Day, space?: ShardSpace): Promise<{ shard: DayShard; bytesRead: number }> {
  const key = dailyObjectKey(day);
  const object = await source.get(key);
  if (!object) throw new MissingDailyObjectError(key, source.location);
  return { shard: buildDayShard(object.body, space), bytesRead: object.size };
}

function groupEntries<K extends 'channel' | 'event'>(shard: DayShard, field: K): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const entry of shard.entries) {
    let list = groups.get(entry[field]);
    if (!list) groups.set(entry[field], (list = []));
    list.push(entry.json);
  }
  return groups;
}

/** The channel and event names of a published shard, read back without trusting its shape. */
function namesInPublishedShard(json: string): { channels: Set<string>; events: Set<string>; pairs: Set<string> } {
  const channels = new Set<string>();
  const events = new Set<string>();
  const pairs = new Set<string>();
  let items: PublishedItem[];
  try {
    items = publishedItems(json);
  } catch {
    items = [];
  }
  for (const { channel, event } of items) {
    if (channel !== undefined) channels.add(channel);
    if (event !== undefined) events.add(event);
    if (channel !== undefined && event !== undefined) pairs.add(pairKey(event, channel));
  }
  return { channels, events, pairs };
}

/**
 * Writes a day's own files: its date shard and, with those layouts, its per-channel and
 * per-event shards, removing per-channel and per-event files the day no longer has.
 */
export async function writeDayFiles(site: ObjectStore, day: Day, shard: DayShard, layouts: readonly Layout[]): Promise<{ changes: SiteChanges; touchedPairs: string[] }> {
  const changes = emptyChanges();
  const byChannel = layouts.includes('channel');
  const byEvent = layouts.includes('event');
  const touchedPairs = new Set<string>();
  if (byChannel || byEvent) {
    const previous = await site.get(dayShardPath(day));
    const old = previous ? namesInPublishedShard(Buffer.from(previous.body).toString('utf8')) : null;
    const channels = groupEntries(shard, 'channel');
    const events = groupEntries(shard, 'event');
    if (byChannel) {
      for (const [channel, items] of channels) await writeIfChanged(site, channelDayPath(channel, day), shardArray(items), changes);
      for (const channel of old?.channels ?? []) if (!channels.has(channel)) await deleteIfPresent(site, channelDayPath(channel, day), changes);
    }
    if (byEvent) {
      for (const [event, items] of events) await writeIfChanged(site, eventDayPath(event, day), shardArray(items), changes);
      for (const event of old?.events ?? []) if (!events.has(event)) await deleteIfPresent(site, eventDayPath(event, day), changes);
      for (const entry of shard.entries) touchedPairs.add(pairKey(entry.event, entry.channel));
      for (const pair of old?.pairs ?? []) touchedPairs.add(pair);
    }
  }
  // The date shard goes last: it is what tells the next run which names the day had.
  await writeIfChanged(site, dayShardPath(day), shard.bytes, changes);
  return { changes, touchedPairs: [...touchedPairs] };
}

export interface MonthOptions {
  readonly layouts: readonly Layout[];
  /** Days whose own files are written; the other days are only read for the rollup. */
  readonly writeDays: ReadonlySet<Day>;
  /**
   * Days whose shard and counts already on the site can be taken as they are (they were
   * built from the same daily object) instead of being rebuilt; a day whose files are missing
   * is rebuilt from its daily object anyway.
   */
  readonly reuseDays?: ReadonlySet<Day>;
  /** Called after each day, for progress reporting. */
  readonly onDay?: (outcome: DayOutcome) => void;
}

/**
 * One month: rebuilds the days in `writeDays` from their daily objects and writes their
 * files, then the month rollup and, with the summary layout, the month's counts. The rollup
 * needs only the month's daily objects, never a copy of the whole published history.
 */
export async function buildMonth(
  site: ObjectStore,
  source: ObjectStore,
  month: Month,
  days: readonly SourceDay[],
  options: MonthOptions,
): Promise<{ changes: SiteChanges; outcomes: DayOutcome[]; eventNames: string[] }> {
  // Buffers for the days and the rollup, re-used from the previous month (one build at a time takes them).
  const buffer = idleRollupBuffer ?? new ReusableBuffer();
  idleRollupBuffer = null;
  try {
    return await buildMonthWith(buffer, site, source, month, days, options);
  } finally {
    idleRollupBuffer = buffer;
  }
}

let idleRollupBuffer: ReusableBuffer | null = null;

async function buildMonthWith(
  buffer: ReusableBuffer,
  site: ObjectStore,
  source: ObjectStore,
  month: Month,
  days: readonly SourceDay[],
  options: MonthOptions,
): Promise<{ changes: SiteChanges; outcomes: DayOutcome[]; eventNames: string[] }> {
  const changes = emptyChanges();
  const outcomes: DayOutcome[] = [];
  // Names of the events in the days written; without the summary's columns to read them from, gathered here.
  const eventNames = new Set<string>();
  const rollup = new RollupBytes(buffer, days.reduce((sum, d) => sum + d.size, 0));
  const summary = new MonthCounts(month);
  const withSummary = options.layouts.includes('summary');
  const reuseDays = options.reuseDays ?? new Set<Day>();
  const previousSummary = reuseDays.size > 0 && withSummary ? await readMonthSummary(site, month) : null;
  for (const { day } of days) {
    const written = options.writeDays.has(day);
    const reused = !written && reuseDays.has(day) ? await reusableDay(site, day, previousSummary, withSummary) : null;
    if (reused) {
      rollup.add(reused.body);
      if (reused.counts) summary.addCounts(day, reused.counts);
      continue;
    }
    // Built in place at the rollup's end: the day's file is written from there, then it joins the rollup.
    const { shard, bytesRead } = await readDayShard(source, day, rollup);
    let touchedPairs: string[] = [];
    if (written) {
      const result = await writeDayFiles(site, day, shard, options.layouts);
      mergeChanges(changes, result.changes);
      touchedPairs = result.touchedPairs;
    }
    rollup.addShard(shard.bytes);
    if (withSummary) summary.addCounts(day, shard.counts);
    else if (written) for (const name of shard.counts.events.keys()) eventNames.add(name);
    const outcome: DayOutcome = {
      day,
      events: shard.counts.total,
      lines: shard.lines,
      bytesRead,
      rejections: written ? shard.rejections : [],
      touchedPairs,
    };
    outcomes.push(outcome);
    options.onDay?.(outcome);
  }
  await writeIfChanged(site, monthRollupPath(month), rollup.finish(), changes);
  if (withSummary) await writeIfChanged(site, monthSummaryPath(month), summary.serialise(), changes);
  // The month's names include those of re-used days, which earlier runs already listed.
  if (withSummary && options.writeDays.size > 0) for (const name of summary.eventColumns().keys()) eventNames.add(name);
  return { changes, outcomes, eventNames: [...eventNames] };
}

async function readMonthSummary(site: ObjectStore, month: Month): Promise<MonthCounts | null> {
  const object = await site.get(monthSummaryPath(month));
  if (!object) return null;
  try {
    return MonthCounts.parse(Buffer.from(object.body).toString('utf8'));
  } catch {
    return null;
  }
}

/** A day's published shard body (its bytes between the brackets) and, when the summary needs them, its counts; null unless all are on the site. */
async function reusableDay(site: ObjectStore, day: Day, previousSummary: MonthCounts | null, needCounts: boolean): Promise<{ body: Uint8Array; counts: DayCounts | null } | null> {
  const counts = needCounts ? (previousSummary?.countsOf(day) ?? null) : null;
  if (needCounts && counts === null) return null;
  const object = await site.get(dayShardPath(day));
  if (!object) return null;
  const bytes = object.body;
  if (bytes.length < 2 || bytes[0] !== OPEN_BRACKET || bytes[bytes.length - 1] !== CLOSE_BRACKET) return null;
  return { body: bytes.subarray(1, -1), counts };
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;

/**
 * `json.dumps(day1 + day2 + …)` as bytes, from the days' published bodies, never decoded or
 * encoded. A day built from its daily object is built in place, right at the rollup's end
 * (its own file is written from there, then it becomes part of the rollup: no copy); other
 * days' bodies are copied in. A month's bytes are held (the largest real month is about
 * 20 MB), its parsed events never are.
 */
class RollupBytes implements ShardSpace {
  private buffer: Buffer;
  /** Bytes of the rollup so far: `[` and the bodies, without the closing `]`. */
  private length = 0;

  constructor(
    private readonly space: ReusableBuffer,
    expectedSize: number,
  ) {
    // The shards are the daily objects plus one byte a line: a little room saves a copy.
    this.buffer = space.take(Math.ceil(expectedSize * 1.05) + 1024);
  }

  /**
   * Room for a day's shard (`[…]`) where it goes: for the first day at the start (its `[` is
   * the rollup's), after that one byte past the end, where `, ` then takes the place of `[`.
   */
  take(size: number): Buffer {
    const start = this.start();
    this.ensure(start + size);
    return this.buffer.subarray(start, start + size);
  }

  /** Adds a day's shard, built in place by {@link take} or not. */
  addShard(shard: Uint8Array): void {
    const start = this.start();
    const inPlace = shard.buffer === this.buffer.buffer && shard.byteOffset === this.buffer.byteOffset + start;
    if (!inPlace) {
      this.add(shard.subarray(1, -1));
      return;
    }
    if (shard.length <= 2) return;
    if (this.length > 0) {
      this.buffer[this.length] = COMMA;
      this.buffer[this.length + 1] = SPACE;
    }
    // Everything but the closing bracket, which the next day's separator overwrites.
    this.length = start + shard.length - 1;
  }

  /** Adds a day's body (its items, without the brackets). */
  add(body: Uint8Array): void {
    if (body.length === 0) return;
    this.ensure(this.length + 2 + body.length);
    if (this.length === 0) this.buffer[this.length++] = OPEN_BRACKET;
    else {
      this.buffer[this.length++] = COMMA;
      this.buffer[this.length++] = SPACE;
    }
    this.buffer.set(body, this.length);
    this.length += body.length;
  }

  finish(): Buffer {
    this.ensure(this.length + 2);
    if (this.length === 0) this.buffer[this.length++] = OPEN_BRACKET;
    this.buffer[this.length++] = CLOSE_BRACKET;
    return this.buffer.subarray(0, this.length);
  }

  private start(): number {
    return this.length === 0 ? 0 : this.length + 1;
  }

  private ensure(size: number): void {
    if (size > this.buffer.length) this.buffer = this.space.grow(this.buffer, this.length, size);
  }
}

/**
 * Only the summary of a month, from its daily objects: for months built before the summary
 * layout existed (e.g. by the Python generator), without rewriting their published files.
 */
export async function buildMonthSummary(site: ObjectStore, source: ObjectStore, month: Month, days: readonly SourceDay[]): Promise<SiteChanges> {
  const changes = emptyChanges();
  const summary = new MonthCounts(month);
  for (const { day } of days) summary.addCounts(day, (await readDayShard(source, day)).shard.counts);
  await writeIfChanged(site, monthSummaryPath(month), summary.serialise(), changes);
  return changes;
}

/**
 * The all-time `events/{event}/channels/{channel}.json` files of the given pairs, from the
 * per-event day shards, in day order.
 */
export async function rebuildPairs(site: ObjectStore, pairs: Iterable<string>): Promise<SiteChanges> {
  const changes = emptyChanges();
  const channelsByEvent = new Map<string, Set<string>>();
  for (const pair of pairs) {
    const [event, channel] = parsePairKey(pair);
    let set = channelsByEvent.get(event);
    if (!set) channelsByEvent.set(event, (set = new Set()));
    set.add(channel);
  }
  for (const [event, channels] of channelsByEvent) {
    const items = new Map<string, string[]>([...channels].map((c) => [c, []]));
    for await (const info of site.list(eventDateDirectory(event))) {
      const object = await site.get(info.key);
      if (!object) continue;
      for (const { item, channel } of publishedItems(Buffer.from(object.body).toString('utf8'))) {
        if (channel !== undefined) items.get(channel)?.push(pyDumps(item));
      }
    }
    for (const [channel, list] of items) {
      const path = eventChannelPath(event, channel);
      if (list.length === 0) await deleteIfPresent(site, path, changes);
      else await writeIfChanged(site, path, shardArray(list), changes);
    }
  }
  return changes;
}

interface PublishedItem {
  readonly item: PyValue;
  readonly channel?: string;
  readonly event?: string;
}

/** The items of a published array, with the names the layouts group them by (none if not an array). */
function publishedItems(json: string): PublishedItem[] {
  const value = pyLoads(json);
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const channel = item instanceof Map ? item.get('channel') : undefined;
    const event = item instanceof Map ? item.get('event') : undefined;
    return { item, ...(typeof channel === 'string' ? { channel } : {}), ...(typeof event === 'string' ? { event } : {}) };
  });
}

export interface FinishOptions {
  readonly layouts: readonly Layout[];
  /** Every day the run built, with its source listing (for the state). */
  readonly built: readonly SourceDay[];
  readonly eventNames: Iterable<string>;
  /** The state the run started from. */
  readonly state: BuildState;
}

/**
 * The files every run ends with: event list, summary series, state and `last_updated.txt`.
 * The state goes last, so a crash before it makes the next run redo this one.
 */
export async function finishSite(site: ObjectStore, options: FinishOptions): Promise<{ changes: SiteChanges; state: BuildState }> {
  const changes = emptyChanges();
  const previousList = await site.get(EVENT_LIST_FILE);
  const previousNames = previousList ? parseEventList(Buffer.from(previousList.body).toString('utf8')) : [];
  await writeIfChanged(site, EVENT_LIST_FILE, serialiseEventList(mergeEventList(previousNames, options.eventNames)), changes);

  const state: BuildState = new Map(options.state);
  for (const { key, size, ts } of options.built) state.set(key, { size, ts });
  const latest = lastUpdated(state);

  if (options.layouts.includes('summary')) {
    const months: MonthCounts[] = [];
    for await (const info of site.list(SUMMARY_MONTH_PREFIX)) {
      const object = await site.get(info.key);
      if (object) months.push(MonthCounts.parse(Buffer.from(object.body).toString('utf8')));
    }
    const files = buildSeries(months, latest);
    await writeIfChanged(site, SUMMARY_INDEX_PATH, files.index, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.total, files.total, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.events, files.events, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.channels, files.channels, changes);
  }
  if (latest !== null) await writeIfChanged(site, LAST_UPDATED_FILE, latest, changes);
  await writeIfChanged(site, STATE_FILE, serialiseState(state), changes);
  return { changes, state };
}

export async function readState(site: ObjectStore): Promise<BuildState> {
  const object = await site.get(STATE_FILE);
  return object ? parseState(Buffer.from(object.body).toString('utf8')) : new Map();
}
