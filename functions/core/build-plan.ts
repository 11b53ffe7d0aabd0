/** Which daily objects a build reads and rebuilds: listed from the source, compared with the state. */
import { monthOf, parseCompactDay, type Day, type Month } from './days.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { DAILY_OBJECT_PREFIX, dayShardPath } from './site-paths.js';
import { isUpToDate, pythonUtcTimestamp, type BuildState } from './state.js';

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
