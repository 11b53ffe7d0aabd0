/** The files every run ends with: event list, summary series, state and `last_updated.txt`. */
import type { SourceDay } from './build-plan.js';
import { mergeEventList, parseEventList, serialiseEventList } from './event-list.js';
import type { Layout } from './layouts.js';
import type { ObjectStore } from './object-store.js';
import { EVENT_LIST_FILE, LAST_UPDATED_FILE, monthSummaryPath, STATE_FILE, SUMMARY_INDEX_PATH, SUMMARY_MONTH_PREFIX, SUMMARY_SERIES_PATHS } from './site-paths.js';
import { emptyChanges, writeIfChanged, type SiteChanges } from './site-writes.js';
import { lastUpdated, parseState, serialiseState, type BuildState } from './state.js';
import type { MonthSummaryChange } from './month-build.js';
import { buildSeries, MonthCounts, type SeriesTotals, type SummaryFiles } from './summary.js';
import { updateSeries } from './summary-update.js';


export interface FinishOptions {
  readonly layouts: readonly Layout[];
  /** Every day the run built, with its source listing (for the state). */
  readonly built: readonly SourceDay[];
  readonly eventNames: Iterable<string>;
  /** The state the run started from. */
  readonly state: BuildState;
  /**
   * The month summaries the run rewrote, as they were and as they are: with them the all-time
   * summary files are updated for those months instead of rebuilt from every month.
   */
  readonly monthSummaries?: readonly MonthSummaryChange[];
  /**
   * For a build from nothing: the first reading of the all-time files, done as the months were
   * built. Used when the site holds exactly those months' summaries (read again for the second);
   * otherwise the files are made from the summaries on the site.
   */
  readonly builtSeries?: SeriesTotals;
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
    const files =
      (options.monthSummaries && (await updatedSeries(site, options.monthSummaries, latest))) ??
      (options.builtSeries && (await builtSeries(site, options.builtSeries, latest))) ??
      (await buildSeries(() => readMonthSummaries(site), latest));
    await writeIfChanged(site, SUMMARY_INDEX_PATH, files.index, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.total, files.total, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.events, files.events, changes);
    await writeIfChanged(site, SUMMARY_SERIES_PATHS.channels, files.channels, changes);
  }
  if (latest !== null) await writeIfChanged(site, LAST_UPDATED_FILE, latest, changes);
  await writeIfChanged(site, STATE_FILE, serialiseState(state), changes);
  return { changes, state };
}

/**
 * The all-time files updated for the month summaries this run rewrote, from the files as they
 * are on the site; null when they cannot be (see {@link updateSeries}).
 */
async function updatedSeries(site: ObjectStore, months: readonly MonthSummaryChange[], latest: string | null): Promise<SummaryFiles | null> {
  const read = async (key: string) => {
    const object = await site.get(key);
    return object ? Buffer.from(object.body).toString('utf8') : null;
  };
  const [index, total, events, channels] = await Promise.all([SUMMARY_INDEX_PATH, SUMMARY_SERIES_PATHS.total, SUMMARY_SERIES_PATHS.events, SUMMARY_SERIES_PATHS.channels].map(read));
  if (index == null || total == null || events == null || channels == null) return null;
  try {
    const changes = months.map(({ previous, current }) => ({ previous: previous === null ? null : MonthCounts.parse(previous), current: MonthCounts.parse(current) }));
    return updateSeries({ index, total, events, channels }, changes, latest);
  } catch {
    return null;
  }
}

/** The all-time files from the months just built, when they are every month summary on the site; else null. */
async function builtSeries(site: ObjectStore, totals: SeriesTotals, latest: string | null): Promise<SummaryFiles | null> {
  const onSite = new Set<string>();
  for await (const info of site.list(SUMMARY_MONTH_PREFIX)) onSite.add(info.key);
  const added = [...totals.added].map(monthSummaryPath);
  if (onSite.size !== added.length || !added.every((key) => onSite.has(key))) return null;
  return totals.series(() => readMonthSummaries(site), latest);
}

/** Every month summary on the site, in month order, one at a time. */
async function* readMonthSummaries(site: ObjectStore): AsyncIterable<MonthCounts> {
  for await (const info of site.list(SUMMARY_MONTH_PREFIX)) {
    const object = await site.get(info.key);
    if (object) yield MonthCounts.parse(Buffer.from(object.body).toString('utf8'));
  }
}

export async function readState(site: ObjectStore): Promise<BuildState> {
  const object = await site.get(STATE_FILE);
  return object ? parseState(Buffer.from(object.body).toString('utf8')) : new Map();
}
