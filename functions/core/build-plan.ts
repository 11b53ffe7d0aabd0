/** Which daily objects a build reads and rebuilds: listed from the source, compared with the state. */
import { monthOf, parseCompactDay, type Day, type Month } from './days.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { DAILY_OBJECT_PREFIX, dayShardPath } from './site-paths.js';
import { isUpToDate, pythonUtcTimestamp, type BuildState } from './state.js';
import { CoreError } from './errors.js';

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
  /** Months with a changed day, in order, with all of their days (refused ones included). */
  readonly months: ReadonlyMap<Month, readonly SourceDay[]>;
  /** Days left as published because their daily object shrank (never with `only`). */
  readonly refused: readonly RefusedDay[];
}

/** A day whose daily object is smaller than the one its published files were built from. */
export interface RefusedDay {
  readonly day: Day;
  readonly key: string;
  readonly publishedSize: number;
  readonly size: number;
  readonly reason: string;
}

export class UnknownDayError extends CoreError {
  static override readonly userFacing = true;
  constructor(readonly days: readonly Day[]) {
    super(`no daily object for ${days.join(', ')}`);
  }
}

export function planBuild(days: readonly SourceDay[], state: BuildState, options: PlanOptions = {}): BuildPlan {
  let changed: SourceDay[];
  let refused: RefusedDay[] = [];
  if (options.only) {
    const wanted = new Set(options.only);
    changed = days.filter((d) => wanted.has(d.day));
    const missing = [...wanted].filter((day) => !changed.some((d) => d.day === day));
    if (missing.length > 0) throw new UnknownDayError(missing);
  } else {
    refused = shrunkenDays(days, state);
    const kept = new Set(refused.map((d) => d.key));
    changed = days.filter(
      (d) =>
        !kept.has(d.key) &&
        (options.force ||
          !isUpToDate(state, d.key, d) ||
          (options.existingShards !== undefined && !options.existingShards.has(dayShardPath(d.day)))),
    );
  }
  return { days, changed, months: monthsOf(days, changed), refused };
}

/**
 * Daily objects only grow (merging is a set union), so one smaller than the size its published
 * files were built from has lost events: rebuilding it would wipe published data. Only an
 * explicit re-run of the day (`only`) accepts it.
 */
function shrunkenDays(days: readonly SourceDay[], state: BuildState): RefusedDay[] {
  const refused: RefusedDay[] = [];
  for (const d of days) {
    const published = state.get(d.key);
    if (!published || d.size >= published.size) continue;
    refused.push({
      day: d.day,
      key: d.key,
      publishedSize: published.size,
      size: d.size,
      reason: `${d.key} is ${d.size} bytes but its published files were built from ${published.size} bytes: events would be lost`,
    });
  }
  return refused;
}

/** The months with a changed day, each with all of its days, in the order the days come. */
export function monthsOf(days: readonly SourceDay[], changed: readonly SourceDay[]): Map<Month, SourceDay[]> {
  const touched = new Set(changed.map((d) => monthOf(d.day)));
  return groupByMonth(days, (month) => touched.has(month));
}

/** The days of the months `wanted` accepts, by month. */
export function groupByMonth(days: readonly SourceDay[], wanted: (month: Month) => boolean): Map<Month, SourceDay[]> {
  const months = new Map<Month, SourceDay[]>();
  for (const d of days) {
    const month = monthOf(d.day);
    if (!wanted(month)) continue;
    let list = months.get(month);
    if (!list) months.set(month, (list = []));
    list.push(d);
  }
  return months;
}
