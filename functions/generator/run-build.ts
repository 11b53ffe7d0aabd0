/**
 * `usage-pipeline build`: an incremental build of a local `data/` directory from a local copy
 * of the bucket, months spread over a worker pool when there is enough work to pay for it.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '../adapters/fs-object-store.js';
import type { Day } from '../core/days.js';
import { parseEventList } from '../core/event-list.js';
import { listSourceDays, planBuild, type RefusedDay, type SourceDay } from '../core/build-plan.js';
import { addMonthTimings, emptyMonthTimings, roundedTimings, roundSeconds, type MonthTimings } from '../core/build-timings.js';
import { rebuildPairs } from '../core/day-files.js';
import { type Layout } from '../core/layouts.js';
import { finishSite, readState } from '../core/site-finish.js';
import { MonthCounts, SeriesTotals } from '../core/summary.js';
import { emptyChanges, mergeChanges, type SiteChanges } from '../core/site-writes.js';
import { EVENT_LIST_FILE, DAILY_OBJECT_PREFIX, STATE_FILE } from '../core/site-paths.js';
import { startMonthPool, type MonthPool } from './month-pool.js';
import { outDirectoryProblem } from './out-directory.js';
import { runMonthTask, type DayReport, type MonthTask, type MonthTaskResult } from './month-task.js';
import { UsagePipelineError } from '../core/errors.js';
import { ownPeakResidentKb } from '../support/resident-memory.js';

export interface BuildOptions {
  readonly input: string;
  readonly out: string;
  readonly layouts: readonly Layout[];
  readonly days?: readonly Day[];
  readonly force?: boolean;
  /** Worker threads; 0 builds in this thread. Default: one per core when there is enough work. */
  readonly threads?: number;
  readonly onProgress?: (progress: { daysDone: number; daysTotal: number }) => void;
  /** Called once the plan is known, before anything is written. */
  readonly onPlan?: (plan: { daysScanned: number; daysToRebuild: number; daysToRead: number }) => void;
}

export interface RejectedLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface BuildSummary {
  readonly daysScanned: number;
  readonly daysRebuilt: number;
  readonly monthsRebuilt: number;
  readonly events: number;
  readonly bytesRead: number;
  readonly filesWritten: number;
  readonly filesDeleted: number;
  readonly bytesWritten: number;
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly rejected: number;
  readonly rejections: readonly RejectedLine[];
  readonly ignoredKeys: readonly string[];
  readonly written: readonly string[];
  readonly deleted: readonly string[];
  readonly threads: number;
  /** Peak resident memory of the whole process, worker threads included. */
  readonly peakRssMb: number;
  /** Days left as published because their daily object shrank; `--days` accepts them. */
  readonly refused: readonly RefusedDay[];
  readonly timings: BuildTimings;
}

/** Where the build's time went, in seconds. */
export interface BuildTimings {
  /** From the process's start to the build's: for the command, Node's start-up and loading the modules. */
  readonly startup: number;
  /** Listing the daily objects, reading the state, planning. */
  readonly plan: number;
  /** Building the months (wall time, however many threads). */
  readonly months: number;
  /** The event list, the all-time files and the state. */
  readonly finish: number;
  /** The months' work by phase, as thread time summed over the threads. */
  readonly monthPhases: MonthTimings;
}

/** A problem with what the user gave us; the CLI prints it as one line. */
export class BuildInputError extends UsagePipelineError {
  static override readonly userFacing = true;
}

/** Below this many days to read, starting worker threads costs more than it saves. */
const POOL_THRESHOLD_DAYS = 60;

export async function runBuild(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  await checkDirectory(path.resolve(options.input), 'input');
  const outProblem = await outDirectoryProblem(options.out, path.resolve(options.input), DAILY_OBJECT_PREFIX);
  if (outProblem) throw new BuildInputError(outProblem);
  try {
    return await buildInto(options, started);
  } finally {
    // --out is a published tree: the store's temp files and locks must not stay in it.
    await new FsObjectStore(options.out).removeInternalFiles();
  }
}

async function buildInto(options: BuildOptions, started: number): Promise<BuildSummary> {
  const inputRoot = path.resolve(options.input);
  const outRoot = path.resolve(options.out);

  const source = new FsObjectStore(inputRoot);
  const site = new FsObjectStore(outRoot);
  const { days, ignored } = await listSourceDays(source).catch((error: Error) => {
    throw new BuildInputError(error.message);
  });
  // A large build from nothing (no state yet, or --force) will want worker threads: they boot
  // while the rest is read and checked.
  const fromNothing = options.force || !(await site.head(STATE_FILE));
  const early = options.threads !== 0 && fromNothing && days.length >= POOL_THRESHOLD_DAYS ? startMonthPool(options.threads ?? os.availableParallelism()) : null;
  try {
    return await buildWith(options, started, source, site, { days, ignored, fromNothing }, early);
  } finally {
    await early?.destroy();
  }
}

async function buildWith(
  options: BuildOptions,
  started: number,
  source: FsObjectStore,
  site: FsObjectStore,
  { days, ignored, fromNothing }: { days: SourceDay[]; ignored: string[]; fromNothing: boolean },
  early: MonthPool | null,
): Promise<BuildSummary> {
  const inputRoot = source.location;
  const outRoot = site.location;
  if (days.length === 0) {
    const prefixDir = path.join(inputRoot, DAILY_OBJECT_PREFIX);
    const exists = await fs.stat(prefixDir).then(() => true, () => false);
    throw new BuildInputError(exists ? `no daily objects (YYYYMMDD files) in ${prefixDir}` : `${prefixDir} does not exist: --input must be a copy of the bucket, holding events/prod/YYYYMMDD`);
  }

  // Everything that can refuse the run is checked before the first write.
  const state = await readState(site).catch((error: Error) => {
    throw new BuildInputError(`${path.join(outRoot, 'updated_state.json')}: ${error.message}`);
  });
  const eventList = await site.get(EVENT_LIST_FILE);
  if (eventList) {
    try {
      parseEventList(Buffer.from(eventList.body).toString('utf8'));
    } catch (error) {
      throw new BuildInputError(`${path.join(outRoot, EVENT_LIST_FILE)}: ${(error as Error).message}`);
    }
  }
  const existingShards = await existingDayShards(outRoot);
  let plan;
  try {
    plan = planBuild(days, state, {
      force: options.force ?? false,
      ...(options.days ? { only: options.days } : {}),
      existingShards,
    });
  } catch (error) {
    throw new BuildInputError((error as Error).message);
  }
  const monthDays = [...plan.months.values()].flat();
  for (const day of monthDays) {
    await fs.access(path.join(inputRoot, day.key), fsConstants.R_OK).catch((error: NodeJS.ErrnoException) => {
      throw new BuildInputError(`cannot read ${path.join(inputRoot, day.key)}: ${error.code ?? error.message}`);
    });
  }
  options.onPlan?.({ daysScanned: days.length, daysToRebuild: plan.changed.length, daysToRead: monthDays.length });

  const writeDays = plan.changed.map((d) => d.day);
  const tasks: MonthTask[] = [...plan.months].map(([month, list]) => ({
    sourceRoot: inputRoot,
    siteRoot: outRoot,
    month,
    days: list,
    writeDays: writeDays.filter((day) => day.startsWith(month)),
    keepDays: plan.refused.map((d) => d.day).filter((day) => day.startsWith(month)),
    layouts: options.layouts,
  }));
  const threads = options.threads ?? (monthDays.length >= POOL_THRESHOLD_DAYS ? Math.min(os.availableParallelism(), tasks.length) : 0);
  let daysDone = 0;
  const progress = (count: number) => {
    daysDone += count;
    options.onProgress?.({ daysDone, daysTotal: monthDays.length });
  };
  // After a build from nothing the all-time files are made from every month: their first
  // reading is done here, month by month, while the threads build the others.
  const seriesTotals = fromNothing && options.layouts.includes('summary') ? new SeriesTotals() : null;
  // Its text is then dropped: a long history's month summaries are not all held at once.
  const monthDone = (result: MonthTaskResult): MonthTaskResult => {
    if (!seriesTotals || !result.summary) return result;
    seriesTotals.add(MonthCounts.parse(result.summary.current));
    return { ...result, summary: null };
  };
  let results: MonthTaskResult[];
  const monthsStarted = performance.now();
  if (threads === 0) results = await runInline(tasks, progress, monthDone);
  else {
    const pool = early?.threads === threads ? early : startMonthPool(threads);
    try {
      results = await pool.run(tasks, (task, result) => {
        progress(task.days.length);
        return monthDone(result);
      });
    } finally {
      // The threads' memory goes before the all-time files are made.
      await pool.destroy();
    }
  }

  const finishStarted = performance.now();
  const changes = emptyChanges();
  const reports: DayReport[] = [];
  const monthPhases = emptyMonthTimings();
  const eventNames = new Set<string>();
  const touchedPairs = new Set<string>();
  for (const result of results) {
    mergeChanges(changes, result.changes);
    reports.push(...result.days);
    result.eventNames.forEach((name) => eventNames.add(name));
    result.touchedPairs.forEach((pair) => touchedPairs.add(pair));
    addMonthTimings(monthPhases, result.timings);
  }
  if (options.layouts.includes('event')) mergeChanges(changes, await rebuildPairs(site, touchedPairs));
  // After a build from nothing there is nothing to update: the all-time files are made from every month.
  const monthSummaries = fromNothing ? undefined : results.flatMap((result) => (result.summary ? [result.summary] : []));
  const finished = await finishSite(site, {
    layouts: options.layouts,
    built: plan.changed,
    eventNames,
    state,
    ...(monthSummaries ? { monthSummaries } : {}),
    ...(seriesTotals ? { builtSeries: seriesTotals } : {}),
  });
  mergeChanges(changes, finished.changes);
  const finishEnded = performance.now();
  const timings: BuildTimings = {
    // performance.now() counts from the process's start.
    startup: roundSeconds(started / 1000),
    plan: roundSeconds((monthsStarted - started) / 1000),
    months: roundSeconds((finishStarted - monthsStarted) / 1000),
    finish: roundSeconds((finishEnded - finishStarted) / 1000),
    monthPhases: roundedTimings(monthPhases),
  };
  const peakRssKb = await ownPeakResidentKb();
  return { ...summarise(plan.days, plan.changed, tasks.length, reports, changes, ignored, threads, started, peakRssKb), refused: plan.refused, timings };
}

async function runInline(tasks: readonly MonthTask[], progress: (count: number) => void, monthDone: (result: MonthTaskResult) => MonthTaskResult): Promise<MonthTaskResult[]> {
  const results: MonthTaskResult[] = [];
  for (const task of tasks) results.push(monthDone(await runMonthTask(task, () => progress(1))));
  return results;
}

function summarise(
  days: readonly SourceDay[],
  changed: readonly SourceDay[],
  months: number,
  outcomes: readonly DayReport[],
  changes: SiteChanges,
  ignoredKeys: readonly string[],
  threads: number,
  started: number,
  peakRssKb: number,
): Omit<BuildSummary, 'refused' | 'timings'> {
  const seconds = (performance.now() - started) / 1000;
  const rebuilt = new Set(changed.map((d) => d.day));
  const rebuiltOutcomes = outcomes.filter((o) => rebuilt.has(o.day));
  const bytesRead = outcomes.reduce((sum, o) => sum + o.bytesRead, 0);
  const rejections = rebuiltOutcomes.flatMap((o) =>
    o.rejections.map((r) => ({ file: `${DAILY_OBJECT_PREFIX}${o.day}`, line: r.line, reason: r.reason, text: r.text })),
  );
  return {
    daysScanned: days.length,
    daysRebuilt: changed.length,
    monthsRebuilt: months,
    events: rebuiltOutcomes.reduce((sum, o) => sum + o.events, 0),
    bytesRead,
    filesWritten: changes.written.length,
    filesDeleted: changes.deleted.length,
    bytesWritten: changes.bytesWritten,
    seconds,
    mbPerSecond: seconds > 0 ? bytesRead / 1e6 / seconds : 0,
    rejected: rejections.length,
    rejections,
    ignoredKeys,
    written: changes.written,
    deleted: changes.deleted,
    threads,
    peakRssMb: Math.round(peakRssKb / 1024),
  };
}

/**
 * Site paths (`date/YYYY/MM/YYYYMMDD.json`) of the files in a local data directory's month
 * directories: three levels of directory reads, no stat of each of the history's shards.
 */
async function existingDayShards(outRoot: string): Promise<Set<string>> {
  const shards = new Set<string>();
  const entries = async (directory: string) => fs.readdir(directory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  const root = path.join(outRoot, 'date');
  for (const year of await entries(root)) {
    for (const month of await entries(path.join(root, year.name))) {
      for (const file of await entries(path.join(root, year.name, month.name))) {
        if (file.isFile() || file.isSymbolicLink()) shards.add(`date/${year.name}/${month.name}/${file.name}`);
      }
    }
  }
  return shards;
}

async function checkDirectory(directory: string, what: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BuildInputError(code === 'ENOENT' ? `${what} directory ${directory} does not exist` : `cannot read ${what} directory ${directory}: ${code}`);
  }
  if (!stat.isDirectory()) throw new BuildInputError(`${what} ${directory} is not a directory`);
  await fs.access(directory, fsConstants.R_OK | fsConstants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw new BuildInputError(`cannot read ${what} directory ${directory}: ${error.code}`);
  });
}
