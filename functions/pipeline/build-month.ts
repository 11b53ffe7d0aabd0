/**
 * Build: one month per invocation. The month's changed days get their shards, and the month
 * its rollup and summary, in the bucket's site mirror; what the finalize step needs from the
 * month (event names, rejected lines, touched pairs) goes into a run record.
 */
import { monthOf, type Day, type Month } from '../core/days.js';
import { dayFilePaths, readDayShard } from '../core/day-files.js';
import { roundedTimings } from '../core/build-timings.js';
import { buildMonth, buildMonthSummary, type MonthSummaryChange } from '../core/month-build.js';
import { type SiteChanges } from '../core/site-writes.js';
import { branchDataPath, dayShardPath } from '../core/site-paths.js';
import { runKey } from '../core/bucket-layout.js';
import { type PipelineDeps } from './deps.js';
import { InvalidInputError } from './errors.js';
import { addPending } from './pending.js';
import { readPlan, type PlanRecord } from './plan.js';
import { siteData } from './site-mirror.js';

export interface MonthOutcomeRecord {
  readonly month: Month;
  /** Events in the days this run rebuilt. */
  readonly events: number;
  readonly rejected: number;
  readonly rejections: Array<{ day: Day; line: number; reason: string; text: string }>;
  readonly eventNames: string[];
  readonly touchedPairs: string[];
  readonly changes: SiteChanges;
  /**
   * The month summary as it was and as it is, for finalize to update the all-time summary
   * files for this month alone; absent when not known (a summary-only month).
   */
  readonly summary?: MonthSummaryChange | null;
}

/** Rejected lines kept in the run record; the count is always exact. */
const REJECTIONS_RECORDED = 100;

export function monthOutcomeKey(runId: string, month: Month): string {
  return runKey(runId, `months/${month}.json`);
}

export interface BuildMonthOutput {
  readonly month: Month;
  readonly days: number;
  readonly events: number;
  readonly rejected: number;
}

export async function buildMonthOfRun(deps: PipelineDeps, runId: string, month: Month): Promise<BuildMonthOutput> {
  const plan = await readPlan(deps, runId);
  const site = siteData(deps);
  const days = plan.months[month];
  const summaryDays = plan.summaryMonths[month];
  let outcome: MonthOutcomeRecord;
  let built = 0;
  if (days) {
    const writeDays = new Set(plan.changed.filter((d) => monthOf(d.day) === month).map((d) => d.day));
    built = writeDays.size;
    await announceDayFiles(deps, writeDays);
    const result = await buildMonth(site, deps.bucket, month, days, {
      layouts: deps.config.layouts,
      writeDays,
      reuseDays: new Set(days.map((d) => d.day).filter((day) => !writeDays.has(day))),
      // A day refused for shrinking stays as published, in the rollup and the summary too.
      keepDays: new Set(plan.refused.map((d) => d.day)),
      onDay: () => deps.checkpoint('build:after-day'),
    });
    const written = result.outcomes.filter((o) => writeDays.has(o.day));
    // Where the month's time went (seconds per phase), for tuning the function's memory and timeout.
    deps.log.info('month built', { month, days: days.length, written: written.length, timings: roundedTimings(result.timings) });
    const rejections = written.flatMap((o) => o.rejections.map((r) => ({ day: o.day, line: r.line, reason: r.reason, text: r.text })));
    for (const r of rejections.slice(0, REJECTIONS_RECORDED)) {
      deps.log.warn('rejected a line of a daily object', { file: `events/prod/${r.day}`, line: r.line, reason: r.reason });
    }
    outcome = {
      month,
      events: written.reduce((sum, o) => sum + o.events, 0),
      rejected: rejections.length,
      rejections: rejections.slice(0, REJECTIONS_RECORDED),
      eventNames: result.eventNames,
      touchedPairs: [...new Set(written.flatMap((o) => o.touchedPairs))],
      changes: result.changes,
      summary: result.summary,
    };
  } else if (summaryDays) {
    const changes = await buildMonthSummary(site, deps.bucket, month, summaryDays);
    outcome = { month, events: 0, rejected: 0, rejections: [], eventNames: [], touchedPairs: [], changes };
  } else {
    throw new InvalidInputError(`run ${runId}: month ${month} is not in the plan`);
  }
  await deps.checkpoint('build:after-month');
  await deps.bucket.put(monthOutcomeKey(runId, month), JSON.stringify(outcome));
  return { month, days: built, events: outcome.events, rejected: outcome.rejected };
}

/**
 * The per-channel and per-event files of the days about to be rewritten, announced before
 * they are written (see plan.ts). Only those layouts need this: the date layout's paths are
 * known from the plan alone.
 */
async function announceDayFiles(deps: PipelineDeps, days: ReadonlySet<Day>): Promise<void> {
  const layouts = deps.config.layouts;
  if (!layouts.includes('channel') && !layouts.includes('event')) return;
  const site = siteData(deps);
  const paths: string[] = [];
  for (const day of days) {
    const { shard } = await readDayShard(deps.bucket, day);
    const previous = await site.get(dayShardPath(day));
    paths.push(...dayFilePaths(day, shard, previous ? Buffer.from(previous.body).toString('utf8') : null, layouts));
  }
  await addPending(deps, { written: paths.map(branchDataPath), deleted: [] });
}

/** The outcome of every month the plan built; a month without one was not built. */
export async function readMonthOutcomes(deps: PipelineDeps, runId: string, plan: PlanRecord): Promise<MonthOutcomeRecord[]> {
  const months = [...new Set([...Object.keys(plan.months), ...Object.keys(plan.summaryMonths)])].sort() as Month[];
  const outcomes: MonthOutcomeRecord[] = [];
  for (const month of months) {
    const record = await deps.bucket.get(monthOutcomeKey(runId, month));
    if (!record) throw new InvalidInputError(`run ${runId}: month ${month} was not built`);
    outcomes.push(JSON.parse(Buffer.from(record.body).toString('utf8')) as MonthOutcomeRecord);
  }
  return outcomes;
}
