/**
 * Detect changes, build days, finalize: the static generator as three steps, with the site
 * mirror (`site/` in the bucket) standing in for the published branch.
 */
import type { DayShard } from '../core/day-shard.js';
import { monthOf, type Day, type Month } from '../core/days.js';
import { listAll, type ObjectStore } from '../core/object-store.js';
import { withPrefix } from '../core/prefixed-store.js';
import {
  buildMonth,
  buildMonthSummary,
  emptyChanges,
  finishSite,
  listSourceDays,
  mergeChanges,
  planBuild,
  readState,
  readDayShard,
  rebuildPairs,
  UnknownDayError,
  writeDayFiles,
  writeIfChanged,
  type SiteChanges,
  type SourceDay,
} from '../core/site-build.js';
import { EVENT_LIST_FILE, STATE_FILE } from '../core/site-paths.js';
import { SUMMARY_MONTH_PREFIX } from '../core/summary.js';
import { SITE_DATA_PREFIX, SITE_PREFIX, runDayOutcomeKey } from './bucket-layout.js';
import { InvalidInputError, type PipelineDeps } from './deps.js';
import { addPending } from './pending.js';
import { readRunRecord, writeRunRecord, type RunMode } from './run.js';

/** The published `data/` tree as last built. */
export function siteData(deps: PipelineDeps): ObjectStore {
  return withPrefix(deps.bucket, SITE_DATA_PREFIX);
}

/** The whole published tree as last built (`data/`, `charts/`). */
export function siteRoot(deps: PipelineDeps): ObjectStore {
  return withPrefix(deps.bucket, SITE_PREFIX);
}

interface PlanRecord {
  mode: RunMode['mode'];
  changed: SourceDay[];
  /** Every day of each month that has a changed day. */
  months: Record<string, SourceDay[]>;
  /** Months that only need their summary (built before the summary layout existed). */
  summaryMonths: Record<string, SourceDay[]>;
  adopted: boolean;
}

export interface ChangesOutput {
  readonly days: Day[];
  readonly months: number;
  readonly adopted: boolean;
}

export async function detectChanges(deps: PipelineDeps, runId: string, mode: RunMode): Promise<ChangesOutput> {
  const site = siteData(deps);
  const adopted = await adoptPublishedState(deps, site);
  const state = await readState(site);
  const { days, ignored } = await listSourceDays(deps.bucket);
  if (ignored.length > 0) deps.log.warn('ignoring objects under events/prod/ that are not daily objects', { keys: ignored.slice(0, 20) });
  let plan;
  try {
    plan = planBuild(days, state, mode.mode === 'rerun' ? { only: mode.days } : { force: mode.mode === 'rebuild-all' });
  } catch (error) {
    if (error instanceof UnknownDayError) throw new InvalidInputError(`cannot re-run: ${error.message}`);
    throw error;
  }
  const summaryMonths = deps.config.layouts.includes('summary') ? await monthsWithoutSummary(site, days, plan.months) : new Map<Month, SourceDay[]>();
  const record: PlanRecord = {
    mode: mode.mode,
    changed: [...plan.changed],
    months: Object.fromEntries([...plan.months].map(([month, list]) => [month, [...list]])),
    summaryMonths: Object.fromEntries([...summaryMonths].slice(0, deps.config.summaryBackfillMonths)),
    adopted,
  };
  await writeRunRecord(deps, runId, 'plan.json', record);
  const output = { days: plan.changed.map((d) => d.day), months: plan.months.size, adopted };
  deps.log.info('changes detected', { days: output.days.length, months: output.months, summaryMonths: Object.keys(record.summaryMonths).length, adopted });
  return output;
}

/**
 * The first run against a branch the Python generator maintained takes over its
 * `updated_state.json` and event list, so it rebuilds only what changed since the generator
 * last ran instead of all of history.
 */
async function adoptPublishedState(deps: PipelineDeps, site: ObjectStore): Promise<boolean> {
  if (await site.head(STATE_FILE)) return false;
  const state = await deps.publisher.readFile(`data/${STATE_FILE}`);
  if (!state) return false;
  await site.put(STATE_FILE, state);
  const events = await deps.publisher.readFile(`data/${EVENT_LIST_FILE}`);
  if (events && !(await site.head(EVENT_LIST_FILE))) await site.put(EVENT_LIST_FILE, events);
  deps.log.info('adopted the published state of the branch', { target: deps.publisher.target });
  return true;
}

async function monthsWithoutSummary(site: ObjectStore, days: readonly SourceDay[], planned: ReadonlyMap<Month, readonly SourceDay[]>): Promise<Map<Month, SourceDay[]>> {
  const present = new Set((await listAll(site, SUMMARY_MONTH_PREFIX)).map((info) => info.key));
  const months = new Map<Month, SourceDay[]>();
  for (const d of days) {
    const month = monthOf(d.day);
    if (planned.has(month) || present.has(`${SUMMARY_MONTH_PREFIX}${month.slice(0, 4)}/${month.slice(4)}.json`)) continue;
    let list = months.get(month);
    if (!list) months.set(month, (list = []));
    list.push(d);
  }
  return months;
}

interface DayOutcomeRecord {
  day: Day;
  events: number;
  lines: number;
  rejected: number;
  rejections: Array<{ line: number; reason: string; text: string }>;
  eventNames: string[];
  touchedPairs: string[];
  changes: SiteChanges;
}

/** Rejected lines kept in the run record; the count is always exact. */
const REJECTIONS_RECORDED = 100;

export interface BuildDayOutput {
  readonly day: Day;
  readonly events: number;
  readonly rejected: number;
}

export async function buildDay(deps: PipelineDeps, runId: string, day: Day): Promise<BuildDayOutput> {
  const { shard } = await readDayShard(deps.bucket, day);
  const { changes, touchedPairs } = await writeDayFiles(siteData(deps), day, shard, deps.config.layouts);
  const outcome: DayOutcomeRecord = {
    day,
    events: shard.entries.length,
    lines: shard.lines,
    rejected: shard.rejections.length,
    rejections: shard.rejections.slice(0, REJECTIONS_RECORDED).map((r) => ({ ...r })),
    eventNames: eventNamesOf(shard),
    touchedPairs,
    changes,
  };
  for (const r of shard.rejections.slice(0, REJECTIONS_RECORDED)) {
    deps.log.warn('rejected a line of a daily object', { file: `events/prod/${day}`, line: r.line, reason: r.reason });
  }
  await deps.bucket.put(runDayOutcomeKey(runId, day), JSON.stringify(outcome));
  return { day, events: outcome.events, rejected: outcome.rejected };
}

function eventNamesOf(shard: DayShard): string[] {
  return [...new Set(shard.entries.map((e) => e.event))];
}

export interface FinalizeOutput {
  /** Site files changed by this run (data and charts). */
  readonly changed: number;
  /** Paths waiting to be published, including any left by an earlier failed publish. */
  readonly pending: number;
  readonly rejected: number;
}

export async function finalize(deps: PipelineDeps, runId: string): Promise<FinalizeOutput> {
  const plan = await readRunRecord<PlanRecord>(deps, runId, 'plan.json');
  if (!plan) throw new InvalidInputError(`run ${runId} has no plan: detect-changes did not run`);
  const site = siteData(deps);
  const changes = emptyChanges();
  const eventNames = new Set<string>();
  const touchedPairs = new Set<string>();
  let rejected = 0;
  for (const { day } of plan.changed) {
    const record = await deps.bucket.get(runDayOutcomeKey(runId, day));
    if (!record) throw new InvalidInputError(`run ${runId}: day ${day} was not built`);
    const outcome = JSON.parse(Buffer.from(record.body).toString('utf8')) as DayOutcomeRecord;
    mergeChanges(changes, outcome.changes);
    outcome.eventNames.forEach((name) => eventNames.add(name));
    outcome.touchedPairs.forEach((pair) => touchedPairs.add(pair));
    rejected += outcome.rejected;
  }
  const built = new Set(plan.changed.map((d) => d.day));
  for (const [month, days] of Object.entries(plan.months)) {
    const reuseDays = new Set(days.map((d) => d.day).filter((day) => !built.has(day)));
    const result = await buildMonth(site, deps.bucket, month as Month, days, { layouts: deps.config.layouts, writeDays: new Set(), reuseDays });
    mergeChanges(changes, result.changes);
  }
  for (const [month, days] of Object.entries(plan.summaryMonths)) {
    mergeChanges(changes, await buildMonthSummary(site, deps.bucket, month as Month, days));
  }
  if (deps.config.layouts.includes('event')) mergeChanges(changes, await rebuildPairs(site, touchedPairs));
  const state = await readState(site);
  mergeChanges(changes, (await finishSite(site, { layouts: deps.config.layouts, built: plan.changed, eventNames, state })).changes);

  const published = { written: changes.written.map((p) => `data/${p}`), deleted: changes.deleted.map((p) => `data/${p}`) };
  if (deps.chartsFiles) {
    const root = siteRoot(deps);
    const charts = emptyChanges();
    for (const [path, content] of await deps.chartsFiles()) await writeIfChanged(root, path, content, charts);
    published.written.push(...charts.written);
  }
  const pending = await addPending(deps, published);
  await deps.checkpoint('finalize:after-site');
  const output = { changed: published.written.length + published.deleted.length, pending: pending.written.length + pending.deleted.length, rejected };
  deps.log.info('site finalized', output);
  return output;
}
