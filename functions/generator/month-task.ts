/** One month of a local build, as a self-contained task a worker thread can run. */
import { FsObjectStore } from '../adapters/fs-object-store.js';
import type { Day, Month } from '../core/days.js';
import { type SourceDay } from '../core/build-plan.js';
import type { MonthTimings } from '../core/build-timings.js';
import { type Layout } from '../core/layouts.js';
import { buildMonth, type DayOutcome, type MonthSummaryChange } from '../core/month-build.js';
import { type SiteChanges } from '../core/site-writes.js';

export interface MonthTask {
  readonly sourceRoot: string;
  readonly siteRoot: string;
  readonly month: Month;
  readonly days: readonly SourceDay[];
  readonly writeDays: readonly Day[];
  /** Days kept as published: their daily object shrank (see planBuild). */
  readonly keepDays?: readonly Day[];
  readonly layouts: readonly Layout[];
}

/** A day's outcome without its name lists, which the month gathers once. */
export type DayReport = Omit<DayOutcome, 'touchedPairs'>;

/** Kept small: a worker hands it back by structured clone. */
export interface MonthTaskResult {
  readonly month: Month;
  readonly changes: SiteChanges;
  readonly days: DayReport[];
  readonly eventNames: string[];
  readonly touchedPairs: string[];
  /** The month summary before and after, with the summary layout. */
  readonly summary: MonthSummaryChange | null;
  readonly timings: MonthTimings;
}

export async function runMonthTask(task: MonthTask, onDay?: (outcome: DayOutcome) => void): Promise<MonthTaskResult> {
  const { changes, outcomes, eventNames, summary, timings } = await buildMonth(
    new FsObjectStore(task.siteRoot),
    new FsObjectStore(task.sourceRoot),
    task.month,
    task.days,
    {
      layouts: task.layouts,
      writeDays: new Set(task.writeDays),
      // Days that did not change keep their published shard and counts.
      reuseDays: new Set(task.days.map((d) => d.day).filter((day) => !task.writeDays.includes(day))),
      ...(task.keepDays ? { keepDays: new Set(task.keepDays) } : {}),
      ...(onDay ? { onDay } : {}),
    },
  );
  const touchedPairs = new Set<string>();
  const days = outcomes.map(({ touchedPairs: pairs, ...day }) => {
    for (const pair of pairs) touchedPairs.add(pair);
    return day;
  });
  return { month: task.month, changes, days, eventNames, touchedPairs: [...touchedPairs], summary, timings };
}

export default runMonthTask;
