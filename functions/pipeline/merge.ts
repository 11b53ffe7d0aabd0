/**
 * Merge: fold staged lines into the daily object `events/prod/YYYYMMDD`.
 *
 * The daily object is rewritten with a write conditional on the version that was read (or on
 * its absence), so a concurrent writer makes this one re-read rather than overwrite. Staged
 * objects are removed only after the daily object holds their lines; a crash in between
 * leaves them for the next run, whose merge adds nothing new (a set union is idempotent).
 */
import { mergeDailyObject } from '../core/daily-object.js';
import { monthOf, parseCompactDay, type Day, type Month } from '../core/days.js';
import { listAll, PreconditionFailedError } from '../core/object-store.js';
import { dailyObjectKey } from '../core/site-paths.js';
import { STAGING_PREFIX, stagingPrefix } from '../core/bucket-layout.js';
import { type PipelineDeps } from './deps.js';
import { TransientError } from './errors.js';

/** Conditional writes lost in a row before the step gives up and lets the state machine retry. */
const MAX_WRITE_ATTEMPTS = 5;

/** Days that have staged lines waiting under a prefix, including leftovers of a crashed run. */
async function stagedDays(deps: PipelineDeps, prefix: string): Promise<Day[]> {
  const days = new Set<Day>();
  for (const info of await listAll(deps.bucket, prefix)) {
    const day = parseCompactDay(info.key.slice(STAGING_PREFIX.length).split('/')[0] ?? '');
    if (day) days.add(day);
    else deps.log.warn('ignoring a staging object outside any day', { key: info.key });
  }
  return [...days].sort();
}

export interface StagedOutput {
  /** Months with staged lines: the items the state machine merges, one invocation each. */
  readonly months: Month[];
  readonly days: number;
}

export async function listStagedMonths(deps: PipelineDeps): Promise<StagedOutput> {
  const days = await stagedDays(deps, STAGING_PREFIX);
  await deps.checkpoint('list-staged:after-list');
  return { months: [...new Set(days.map(monthOf))], days: days.length };
}

export interface MergeMonthOutput {
  readonly month: Month;
  readonly days: number;
  readonly added: number;
}

/** Merges every day of the month that has staged lines, one day at a time (bounded memory). */
export async function mergeMonth(deps: PipelineDeps, month: Month): Promise<MergeMonthOutput> {
  // Staging keys begin with the day (`staging/YYYYMMDD/…`), so a month is one prefix.
  const days = await stagedDays(deps, `${STAGING_PREFIX}${month}`);
  let added = 0;
  for (const day of days) added += (await mergeDay(deps, day)).added;
  return { month, days: days.length, added };
}

export interface MergeOutput {
  readonly day: Day;
  readonly staged: number;
  readonly added: number;
  readonly total: number;
}

export async function mergeDay(deps: PipelineDeps, day: Day): Promise<MergeOutput> {
  const staged = await listAll(deps.bucket, stagingPrefix(day));
  if (staged.length === 0) return { day, staged: 0, added: 0, total: 0 };
  const incoming: string[] = [];
  for (const info of staged) {
    const object = await deps.bucket.get(info.key);
    // Gone since the listing: another merge folded it already.
    if (object) incoming.push(...Buffer.from(object.body).toString('utf8').split('\n'));
  }

  const key = dailyObjectKey(day);
  let result: { added: number; total: number } | null = null;
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS && !result; attempt++) {
    // null means "no such object" and nothing else: any other failure throws, so an
    // unreadable day can never be mistaken for a new one and overwritten.
    const current = await deps.bucket.get(key);
    const merged = mergeDailyObject(current ? Buffer.from(current.body).toString('utf8') : null, incoming);
    if (current && merged.added === 0) {
      result = merged;
      break;
    }
    try {
      await deps.bucket.put(key, merged.text, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
      result = merged;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      deps.log.warn('daily object changed while merging; merging again', { key, attempt });
    }
  }
  if (!result) throw new TransientError(`${key} kept changing while it was being merged (${MAX_WRITE_ATTEMPTS} attempts)`);
  await deps.checkpoint('merge:after-write');
  await Promise.all(staged.map((info) => deps.bucket.delete(info.key)));
  await deps.checkpoint('merge:after-clean');
  deps.log.info('merged', { day, staged: staged.length, added: result.added, total: result.total });
  return { day, staged: staged.length, added: result.added, total: result.total };
}
