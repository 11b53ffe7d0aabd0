/** The end of a run: its report, or the record of how it failed; both release the lock. */
import type { DropReason } from '../core/classify.js';
import { drainedTotals, type DrainTotals } from './drain.js';
import type { PipelineDeps } from './deps.js';
import { runMetrics } from './metrics.js';
import { releaseLock } from './lock.js';
import { type RunMode } from './run.js';
import { writeRunRecord } from './run-records.js';

export interface RunReport {
  readonly runId: string;
  readonly mode: RunMode['kind'];
  readonly received: number;
  readonly kept: number;
  readonly dropped: Record<DropReason, number>;
  readonly malformed: number;
  readonly daysMerged: number;
  readonly daysBuilt: number;
  /** Days left as published because their daily object shrank; re-run a day to accept it. */
  readonly daysRefused: number;
  readonly rejectedLines: number;
  readonly filesPublished: number;
  readonly commit: string | null;
  /** Paths built but not yet on the branch (a publish its budget stopped); the next runs publish them. */
  readonly publishBacklog: number;
  /** Which limit stopped the publish early, in words, or null. */
  readonly publishStoppedBy: string | null;
  readonly finishedAt: string;
}

export interface FinishInput {
  readonly runId: string;
  /** When the run began (ISO 8601), for its duration. */
  readonly startedAt?: string;
  readonly mode: RunMode;
  readonly drain: DrainTotals;
  readonly daysMerged: number;
  readonly daysBuilt: number;
  readonly finalized: { readonly rejected: number; readonly refused?: number };
  readonly published: {
    readonly commit: string | null;
    readonly filesPublished: number;
    readonly publishBacklog?: number;
    readonly stoppedBy?: { readonly message: string } | null;
  };
}

export async function finishRun(deps: PipelineDeps, input: FinishInput): Promise<RunReport> {
  const report: RunReport = {
    runId: input.runId,
    mode: input.mode.kind,
    received: input.drain.received,
    kept: input.drain.kept,
    dropped: input.drain.dropped,
    malformed: input.drain.malformed,
    daysMerged: input.daysMerged,
    daysBuilt: input.daysBuilt,
    daysRefused: input.finalized.refused ?? 0,
    rejectedLines: input.finalized.rejected,
    filesPublished: input.published.filesPublished,
    commit: input.published.commit,
    publishBacklog: input.published.publishBacklog ?? 0,
    publishStoppedBy: input.published.stoppedBy?.message ?? null,
    finishedAt: deps.clock().toISOString(),
  };
  await writeRunRecord(deps, input.runId, 'report.json', report);
  await deps.checkpoint('finish-run:after-report');
  await releaseLock(deps, input.runId);
  const started = input.startedAt ? Date.parse(input.startedAt) : NaN;
  const durationSeconds = Number.isFinite(started) ? Math.max(0, (deps.clock().getTime() - started) / 1000) : 0;
  deps.metrics?.publish(runMetrics(report, durationSeconds));
  deps.log.info('run finished', { ...report, durationSeconds });
  return report;
}

export interface FailureInput {
  readonly runId: string;
  readonly error: { readonly Error?: string; readonly Cause?: unknown };
}

export async function recordFailure(deps: PipelineDeps, input: FailureInput): Promise<{ recorded: true }> {
  const cause = typeof input.error.Cause === 'string' ? parseCause(input.error.Cause) : input.error.Cause;
  const drained = await drainedTotals(deps, input.runId);
  await writeRunRecord(deps, input.runId, 'failure.json', {
    runId: input.runId,
    error: input.error.Error ?? 'unknown',
    cause,
    failedAt: deps.clock().toISOString(),
    ...(drained ? { drained } : {}),
  });
  await deps.checkpoint('record-failure:after-record');
  await releaseLock(deps, input.runId);
  deps.metrics?.publish([{ name: 'RunsFailed', unit: 'Count', value: 1 }]);
  deps.log.error('run failed', { runId: input.runId, error: input.error.Error, cause });
  return { recorded: true };
}

/** Lambda failures arrive as a JSON string (`{"errorType", "errorMessage", …}`); keep it readable. */
function parseCause(cause: string): unknown {
  try {
    return JSON.parse(cause);
  } catch {
    return cause;
  }
}
