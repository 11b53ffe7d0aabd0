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
export { groupByMonth, planBuild, listSourceDays, sourceDaysFromListing, UnknownDayError, type BuildPlan, type PlanOptions, type RefusedDay, type SourceDay } from './build-plan.js';
export { dayFilePaths, MissingDailyObjectError, pairKey, parsePairKey, readDayShard, rebuildPairs, writeDayFiles } from './day-files.js';
export { DEFAULT_LAYOUTS, LAYOUTS, parseLayouts, type Layout } from './layouts.js';
export { buildMonth, buildMonthSummary, type DayOutcome, type MonthOptions, type MonthResult, type MonthSummaryChange } from './month-build.js';
export { finishSite, readState, type FinishOptions } from './site-finish.js';
export { deleteIfPresent, emptyChanges, mergeChanges, writeIfChanged, type SiteChanges } from './site-writes.js';
