/**
 * Is the published data fresh, is anything stuck? The same check runs as
 * `usage-pipeline status` and as the scheduled monitor Lambda; only the sources differ.
 */
import type { LockView } from '../pipeline/lock.js';
import type { MetricPoint } from '../core/metrics.js';
import { RUNTIME_DEFAULTS } from '../config/environment.js';

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

export interface LastRun {
  readonly runId: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: string;
  /** What is wrong with the run's own record (corrupt, unreadable), naming it. */
  readonly problem?: string;
}

/** Where each fact comes from; a source that cannot say is left out. */
export interface StatusSources {
  /** `data/last_updated.txt` as published, or null when there is none. */
  lastUpdated(): Promise<string | null>;
  queueDepth?(): Promise<QueueDepth>;
  deadLetterDepth?(): Promise<QueueDepth>;
  lastRun(): Promise<LastRun | null>;
  /** The run lock, if one is held. */
  lock?(now: Date): Promise<LockView | null>;
  /** Paths built but not yet on the branch. */
  publishBacklog?(): Promise<number>;
}

export interface PipelineStatus {
  readonly checkedAt: string;
  readonly lastUpdated: string | null;
  readonly dataAgeSeconds: number | null;
  readonly maxAgeSeconds: number;
  readonly stale: boolean;
  readonly queue: QueueDepth | null;
  readonly deadLetters: QueueDepth | null;
  readonly lastRun: LastRun | null;
  readonly lock: LockView | null;
  /** Paths built but not yet published (a publish its budget stopped finishes over the next runs). */
  readonly publishBacklog: number | null;
  /** Everything that needs attention, in words; empty when all is well. */
  readonly problems: readonly string[];
}

/** `2021-11-23 23:24:24+00:00` or `…24.123456+00:00` (Python's `str(datetime)`) → a Date. */
export function parsePythonTimestamp(text: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [, date, time, fraction = '', offset] = match;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const parsed = new Date(`${date}T${time}.${millis}${offset}`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

export async function checkStatus(sources: StatusSources, options: { now?: Date; maxAgeSeconds?: number } = {}): Promise<PipelineStatus> {
  const now = options.now ?? new Date();
  const maxAgeSeconds = options.maxAgeSeconds ?? RUNTIME_DEFAULTS.maxDataAgeSeconds;
  const [lastUpdated, queue, deadLetters, lastRun, lock, publishBacklog] = await Promise.all([
    sources.lastUpdated(),
    sources.queueDepth?.() ?? Promise.resolve(null),
    sources.deadLetterDepth?.() ?? Promise.resolve(null),
    sources.lastRun(),
    sources.lock?.(now) ?? Promise.resolve(null),
    sources.publishBacklog?.() ?? Promise.resolve(null),
  ]);
  const problems: string[] = [];
  const updated = lastUpdated === null ? null : parsePythonTimestamp(lastUpdated);
  const dataAgeSeconds = updated ? Math.max(0, Math.round((now.getTime() - updated.getTime()) / 1000)) : null;
  if (lastUpdated === null) problems.push('no data/last_updated.txt has been published');
  else if (!updated) problems.push(`data/last_updated.txt holds ${JSON.stringify(lastUpdated.slice(0, 60))}, not a timestamp`);
  else if ((dataAgeSeconds as number) > maxAgeSeconds) problems.push(`the data is ${describeAge(dataAgeSeconds as number)} old (more than ${describeAge(maxAgeSeconds)})`);
  if (deadLetters && deadLetters.visible + deadLetters.inFlight > 0) problems.push(`${deadLetters.visible + deadLetters.inFlight} message(s) in the dead-letter queue`);
  if (lastRun && ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(lastRun.status)) {
    problems.push(`the last run (${lastRun.runId}) ${lastRun.status.toLowerCase().replace('_', ' ')}${lastRun.error ? `: ${lastRun.error}` : ''}`);
  }
  if (lastRun?.problem) problems.push(lastRun.problem);
  if (lock?.stale) problems.push(`a stale lock of run ${lock.runId}${lock.holder ? ` (${lock.holder})` : ''} since ${lock.since}: ${lock.stale}; the next run takes it over`);
  return {
    checkedAt: now.toISOString(),
    lastUpdated,
    dataAgeSeconds,
    maxAgeSeconds,
    stale: dataAgeSeconds === null || dataAgeSeconds > maxAgeSeconds,
    queue,
    deadLetters,
    lastRun,
    lock,
    publishBacklog,
    problems,
  };
}

export function describeAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/**
 * The monitor's metrics. Data age is left out when unknown, so the alarm (which treats
 * missing data as breaching) fires rather than seeing a reassuring zero.
 */
export function statusMetrics(status: PipelineStatus): MetricPoint[] {
  const points: MetricPoint[] = [];
  if (status.dataAgeSeconds !== null) points.push({ name: 'DataAgeSeconds', unit: 'Seconds', value: status.dataAgeSeconds });
  if (status.queue) points.push({ name: 'QueueDepth', unit: 'Count', value: status.queue.visible + status.queue.inFlight });
  if (status.deadLetters) points.push({ name: 'DeadLetterDepth', unit: 'Count', value: status.deadLetters.visible + status.deadLetters.inFlight });
  if (status.publishBacklog !== null) points.push({ name: 'PublishBacklog', unit: 'Count', value: status.publishBacklog });
  if (status.lastRun) points.push({ name: 'LastRunFailed', unit: 'Count', value: ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status.lastRun.status) ? 1 : 0 });
  return points;
}
