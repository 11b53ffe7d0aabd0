/** What every pipeline step runs against: the same steps run in Lambda, locally and in tests. */
import type { LockHolders } from '../core/lock-holder.js';
import type { Log } from '../core/log.js';
import type { ObjectStore } from '../core/object-store.js';
import type { Publisher } from '../core/publisher.js';
import type { MessageQueue } from '../core/queue.js';
import type { PipelineConfig } from '../config/pipeline.js';
import type { MetricsSink } from '../core/metrics.js';

export interface PipelineDeps {
  /** The whole bucket: daily objects, staging, quarantine, site mirror, state, run records. */
  readonly bucket: ObjectStore;
  /** Absent where a step cannot need it (re-runs never touch the queue). */
  readonly queue?: MessageQueue;
  readonly publisher: Publisher;
  readonly config: PipelineConfig;
  readonly log: Log;
  readonly clock: () => Date;
  /**
   * Named points between the side effects of a step (`drain:after-stage`, …). A no-op in
   * production; tests make it throw to prove that a crash at any of them loses nothing.
   */
  readonly checkpoint: (name: CheckpointName) => Promise<void>;
  /** Where run metrics go (CloudWatch embedded metrics in Lambda). */
  readonly metrics?: MetricsSink;
  /** Tells whether the holder of a lock is gone (absent: a lock is taken over only once it expires). */
  readonly lockHolders?: LockHolders;
  /** The files of the charts page, published under `charts/`. */
  readonly chartsFiles?: () => Promise<Map<string, Uint8Array>>;
}

export const CHECKPOINTS = [
  'begin-run:after-lock',
  'drain:after-stage',
  'drain:after-delete',
  'list-staged:after-list',
  'merge:after-write',
  'merge:after-clean',
  'detect-changes:after-plan',
  'detect-changes:after-pending',
  'build:after-day',
  'build:after-month',
  'finalize:before-site',
  'finalize:after-site',
  'publish:before-commit',
  'publish:after-commit',
  'finish-run:after-report',
  'record-failure:after-record',
] as const;
export type CheckpointName = (typeof CHECKPOINTS)[number];

export const noCheckpoints = async (): Promise<void> => {};


