/** One month of the published tree: its changed days, its rollup and its summary. */
import type { SourceDay } from './build-plan.js';
import { PhaseClock, type MonthTimings } from './build-timings.js';
import { countsOfPublishedShard, readDailyObject, readDayShard, writeDayFiles } from './day-files.js';
import { buildDayShard, type Rejection } from './day-shard.js';
import type { Day, Month } from './days.js';
import type { Layout } from './layouts.js';
import type { ObjectStore } from './object-store.js';
import { ReusableBuffer } from './reusable-buffer.js';
import { itemBytes, RollupBytes } from './rollup-bytes.js';
import { dayShardPath, monthRollupPath, monthSummaryPath } from './site-paths.js';
import { emptyChanges, mergeChanges, writeIfChanged, type SiteChanges } from './site-writes.js';
import { MonthCounts, type DayCounts } from './summary.js';

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

export interface MonthResult {
  readonly changes: SiteChanges;
  readonly outcomes: DayOutcome[];
  readonly eventNames: string[];
  /** With the summary layout: the month summary as it was (null if there was none) and as written. */
  readonly summary: MonthSummaryChange | null;
  readonly timings: MonthTimings;
}

export interface MonthSummaryChange {
  readonly previous: string | null;
  readonly current: string;
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
  /**
   * Days whose published shard is kept whatever their daily object now holds (it shrank, and
   * rebuilding would lose published events); their counts come from the shard when the month
   * summary lacks them.
   */
  readonly keepDays?: ReadonlySet<Day>;
  /** Called after each day (progress reporting, fault injection); awaited before the next. */
  readonly onDay?: (outcome: DayOutcome) => void | Promise<void>;
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
): Promise<MonthResult> {
  // Buffers for the rollup and the daily objects, re-used from the previous month (one build at a time takes them).
  const buffers = idleBuffers ?? { rollup: new ReusableBuffer(), dailyObjects: new ReusableBuffer() };
  idleBuffers = null;
  try {
    return await buildMonthWith(buffers, site, source, month, days, options);
  } finally {
    idleBuffers = buffers;
  }
}

let idleBuffers: { rollup: ReusableBuffer; dailyObjects: ReusableBuffer } | null = null;

async function buildMonthWith(
  { rollup: buffer, dailyObjects }: { rollup: ReusableBuffer; dailyObjects: ReusableBuffer },
  site: ObjectStore,
  source: ObjectStore,
  month: Month,
  days: readonly SourceDay[],
  options: MonthOptions,
): Promise<MonthResult> {
  const clock = new PhaseClock();
  const changes = emptyChanges();
  const outcomes: DayOutcome[] = [];
  // Names of the events in the days written; without the summary's columns to read them from, gathered here.
  const eventNames = new Set<string>();
  const rollup = new RollupBytes(buffer, days.reduce((sum, d) => sum + d.size, 0));
  const summary = new MonthCounts(month);
  const withSummary = options.layouts.includes('summary');
  const reuseDays = options.reuseDays ?? new Set<Day>();
  const previousText = withSummary ? await clock.timeAsync('read', () => readText(site, monthSummaryPath(month))) : null;
  const previousSummary = reuseDays.size + (options.keepDays?.size ?? 0) > 0 && previousText !== null ? parseMonthSummary(previousText) : null;
  for (const { day } of days) {
    const written = options.writeDays.has(day);
    const kept = options.keepDays?.has(day) ?? false;
    const reused = !written && (kept || reuseDays.has(day)) ? await clock.timeAsync('read', () => reusableDay(site, day, previousSummary, withSummary, kept)) : null;
    if (reused) {
      rollup.add(reused.body);
      const counts = reused.counts;
      if (counts) clock.time('summary', () => summary.addCounts(day, counts));
      continue;
    }
    const { body, size: bytesRead } = await clock.timeAsync('read', () => readDailyObject(source, day, dailyObjects));
    // Built in place at the rollup's end: the day's file is written from there, then it joins the rollup.
    const shard = clock.time('scan', () => buildDayShard(body, rollup));
    let touchedPairs: string[] = [];
    if (written) {
      const result = await clock.timeAsync('write', () => writeDayFiles(site, day, shard, options.layouts));
      mergeChanges(changes, result.changes);
      touchedPairs = result.touchedPairs;
    }
    rollup.addShard(shard.bytes);
    if (withSummary) clock.time('summary', () => summary.addCounts(day, shard.counts));
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
    await options.onDay?.(outcome);
  }
  await clock.timeAsync('write', () => writeIfChanged(site, monthRollupPath(month), rollup.finish(), changes));
  const summaryText = withSummary ? clock.time('summary', () => summary.serialise()) : null;
  if (summaryText !== null) await clock.timeAsync('write', () => writeIfChanged(site, monthSummaryPath(month), summaryText, changes));
  // The month's names include those of re-used days, which earlier runs already listed.
  if (withSummary && options.writeDays.size > 0) for (const name of summary.eventColumns().keys()) eventNames.add(name);
  return {
    changes,
    outcomes,
    eventNames: [...eventNames],
    summary: summaryText === null ? null : { previous: previousText, current: summaryText },
    timings: clock.timings,
  };
}

async function readText(site: ObjectStore, key: string): Promise<string | null> {
  const object = await site.get(key);
  return object ? Buffer.from(object.body).toString('utf8') : null;
}

function parseMonthSummary(text: string): MonthCounts | null {
  try {
    return MonthCounts.parse(text);
  } catch {
    return null;
  }
}

/** A day's published shard body (its bytes between the brackets) and, when the summary needs them, its counts; null unless all are on the site. */
async function reusableDay(site: ObjectStore, day: Day, previousSummary: MonthCounts | null, needCounts: boolean, kept: boolean): Promise<{ body: Uint8Array; counts: DayCounts | null } | null> {
  let counts = needCounts ? (previousSummary?.countsOf(day) ?? null) : null;
  if (needCounts && counts === null && !kept) return null;
  const object = await site.get(dayShardPath(day));
  if (!object) return null;
  const body = itemBytes(object.body);
  if (body === null) return null;
  if (needCounts && counts === null) counts = countsOfPublishedShard(Buffer.from(object.body).toString('utf8'));
  return { body, counts };
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
