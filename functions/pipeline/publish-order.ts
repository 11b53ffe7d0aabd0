/**
 * The order the site's paths are published in. A publish too big for one run's GitHub budget
 * commits a prefix of this order and leaves the rest for the next run, so the branch must be
 * consistent after any prefix: a file that names others comes after the files it names.
 *
 *   1. leaf files: day shards, channel and event files, the charts page
 *   2. month rollups and month summaries (they concatenate or count the month's days)
 *   3. the event list and the summary index and series (they span the months)
 *   4. `updated_state.json` (it names every day built), then `last_updated.txt` (freshness)
 *   5. removals, once nothing names the removed files any more
 */
import {
  DATA_DIRECTORY,
  EVENT_LIST_FILE,
  isMonthRollupPath,
  LAST_UPDATED_FILE,
  STATE_FILE,
  SUMMARY_INDEX_PATH,
  SUMMARY_MONTH_PREFIX,
  SUMMARY_SERIES_PATHS,
} from '../core/site-paths.js';

const DATA = `${DATA_DIRECTORY}/`;
const SPANNING = new Set<string>([EVENT_LIST_FILE, SUMMARY_INDEX_PATH, ...Object.values(SUMMARY_SERIES_PATHS)]);

/** The tier of a repository-relative path that is written (not removed). */
export function publishTier(path: string): number {
  if (!path.startsWith(DATA)) return 1;
  const data = path.slice(DATA.length);
  if (isMonthRollupPath(data) || data.startsWith(SUMMARY_MONTH_PREFIX)) return 2;
  if (SPANNING.has(data)) return 3;
  if (data === STATE_FILE) return 4;
  if (data === LAST_UPDATED_FILE) return 5;
  return 1;
}

const REMOVALS_TIER = 6;

/** Written and removed paths in publishing order (by tier, then by path). */
export function publishingOrder(written: readonly string[], deleted: readonly string[]): { path: string; removed: boolean }[] {
  const items = [
    ...written.map((path) => ({ path, removed: false, tier: publishTier(path) })),
    ...deleted.map((path) => ({ path, removed: true, tier: REMOVALS_TIER })),
  ];
  items.sort((a, b) => a.tier - b.tier || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return items.map(({ path, removed }) => ({ path, removed }));
}
