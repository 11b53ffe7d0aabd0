/**
 * Detect changes: which days and months this run rebuilds, recorded in the bucket for the
 * build and finalize steps, and announced to the publish step before anything is written.
 *
 * Announcing first is what makes a crash at any instant harmless: every path a run may
 * change goes into the pending-publish list before its copy in the site mirror changes, and
 * the publish step compares each pending path with the branch by git blob id. A build that
 * crashed half-way, or was retried after doing part of its work, leaves its paths pending;
 * whatever the mirror then holds that the branch does not gets published.
 */
import type { Month } from '../core/days.js';
import { listAll, type ObjectStore } from '../core/object-store.js';
import { groupByMonth, listSourceDays, planBuild, UnknownDayError, type RefusedDay, type SourceDay } from '../core/build-plan.js';
import { readState } from '../core/site-finish.js';
import { branchDataPath, dayShardPath, EVENT_LIST_FILE, LAST_UPDATED_FILE, monthRollupPath, monthSummaryPath, STATE_FILE, SUMMARY_INDEX_PATH, SUMMARY_MONTH_PREFIX, SUMMARY_SERIES_PATHS } from '../core/site-paths.js';
import { type PipelineDeps } from './deps.js';
import { InvalidInputError } from './errors.js';
import { addPending } from './pending.js';
import { type RunMode } from './run.js';
import { readRunRecord, writeRunRecord } from './run-records.js';
import { siteData } from './site-mirror.js';

export interface PlanRecord {
  readonly mode: RunMode['kind'];
  readonly changed: SourceDay[];
  /** Every day of each month that has a changed day. */
  readonly months: Record<string, SourceDay[]>;
  /** Months that only need their summary (built before the summary layout existed). */
  readonly summaryMonths: Record<string, SourceDay[]>;
  /** Days left as published because their daily object shrank (see `refuseShrunkenDays`). */
  readonly refused: RefusedDay[];
  readonly adopted: boolean;
}

export interface ChangesOutput {
  /** Months to build: the items of the state machine's build Map. */
  readonly months: Month[];
  /** Days rebuilt. */
  readonly days: number;
  readonly refused: number;
  readonly adopted: boolean;
}

export const PLAN_RECORD = 'plan.json';

export async function readPlan(deps: PipelineDeps, runId: string): Promise<PlanRecord> {
  const plan = await readRunRecord<PlanRecord>(deps, runId, PLAN_RECORD);
  if (!plan) throw new InvalidInputError(`run ${runId} has no plan: detect-changes did not run`);
  return plan;
}

export async function detectChanges(deps: PipelineDeps, runId: string, mode: RunMode): Promise<ChangesOutput> {
  const site = siteData(deps);
  const adopted = await adoptPublishedState(deps, site);
  const state = await readState(site);
  const { days, ignored } = await listSourceDays(deps.bucket);
  if (ignored.length > 0) deps.log.warn('ignoring objects under events/prod/ that are not daily objects', { keys: ignored.slice(0, 20) });
  let plan;
  try {
    plan = planBuild(days, state, mode.kind === 'rerun' ? { only: mode.days } : { force: mode.kind === 'rebuild-all' });
  } catch (error) {
    if (error instanceof UnknownDayError) throw new InvalidInputError(`cannot re-run: ${error.message}`);
    throw error;
  }
  const refused = [...plan.refused];
  for (const day of refused) deps.log.error('refusing to rebuild a day whose daily object shrank; re-run the day to accept it', { ...day });
  const summaryMonths = deps.config.layouts.includes('summary') ? await monthsWithoutSummary(site, days, plan.months) : new Map<Month, SourceDay[]>();
  const record: PlanRecord = {
    mode: mode.kind,
    changed: [...plan.changed],
    months: Object.fromEntries([...plan.months].map(([month, list]) => [month, [...list]])),
    summaryMonths: Object.fromEntries([...summaryMonths].slice(0, deps.config.summaryBackfillMonths)),
    refused,
    adopted,
  };
  await writeRunRecord(deps, runId, PLAN_RECORD, record);
  await deps.checkpoint('detect-changes:after-plan');
  await addPending(deps, { written: plannedPaths(deps, record), deleted: [] });
  await deps.checkpoint('detect-changes:after-pending');
  const output: ChangesOutput = {
    months: [...new Set([...Object.keys(record.months), ...Object.keys(record.summaryMonths)])].sort() as Month[],
    days: record.changed.length,
    refused: refused.length,
    adopted,
  };
  deps.log.info('changes detected', { days: output.days, months: output.months.length, summaryMonths: Object.keys(record.summaryMonths).length, refused: refused.length, adopted });
  return output;
}

/** Every branch path the plan may change, known before anything is built. */
export function plannedPaths(deps: PipelineDeps, plan: PlanRecord): string[] {
  const withSummary = deps.config.layouts.includes('summary');
  const months = Object.keys(plan.months) as Month[];
  const summaryMonths = Object.keys(plan.summaryMonths) as Month[];
  if (plan.changed.length === 0 && summaryMonths.length === 0) return [];
  const paths = [
    ...plan.changed.map((d) => dayShardPath(d.day)),
    ...months.map(monthRollupPath),
    ...(withSummary ? [...months, ...summaryMonths].map(monthSummaryPath) : []),
    EVENT_LIST_FILE,
    STATE_FILE,
    LAST_UPDATED_FILE,
    ...(withSummary ? [SUMMARY_INDEX_PATH, ...Object.values(SUMMARY_SERIES_PATHS)] : []),
  ];
  return [...new Set(paths)].map(branchDataPath);
}

/**
 * The first run against a branch the Python generator maintained takes over its
 * `updated_state.json` and event list, so it rebuilds only what changed since the generator
 * last ran instead of all of history.
 */
async function adoptPublishedState(deps: PipelineDeps, site: ObjectStore): Promise<boolean> {
  if (await site.head(STATE_FILE)) return false;
  const state = await deps.publisher.readFile(branchDataPath(STATE_FILE));
  if (!state) return false;
  await site.put(STATE_FILE, state);
  const events = await deps.publisher.readFile(branchDataPath(EVENT_LIST_FILE));
  if (events && !(await site.head(EVENT_LIST_FILE))) await site.put(EVENT_LIST_FILE, events);
  deps.log.info('adopted the published state of the branch', { target: deps.publisher.target });
  return true;
}

async function monthsWithoutSummary(site: ObjectStore, days: readonly SourceDay[], planned: ReadonlyMap<Month, readonly SourceDay[]>): Promise<Map<Month, SourceDay[]>> {
  const present = new Set((await listAll(site, SUMMARY_MONTH_PREFIX)).map((info) => info.key));
  return groupByMonth(days, (month) => !planned.has(month) && !present.has(monthSummaryPath(month)));
}
