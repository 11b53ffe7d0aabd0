/**
 * What the pipeline's steps are told, and every default of it. In Lambda these settings arrive
 * through the environment (functions/config/environment.ts); locally they are passed as they are.
 */
import { DEFAULT_PRODUCTION_HOSTS } from '../core/classify.js';
import type { Day } from '../core/days.js';
import { DEFAULT_LAYOUTS, type Layout } from '../core/layouts.js';

export interface DrainConfig {
  /** Messages one drain invocation takes before handing back to the state machine. */
  readonly maxMessages: number;
  /** Messages gathered before staging them and deleting them from the queue. */
  readonly flushMessages: number;
  /** Long-polling wait for each receive. */
  readonly receiveWaitSeconds: number;
  /** Stop receiving after this long, leaving time to stage and delete. */
  readonly timeBudgetMs: number;
}

export interface PipelineConfig {
  readonly productionHosts: readonly string[];
  /** Events dated before this day are quarantined, not kept (null: no such limit). */
  readonly firstDay: Day | null;
  readonly layouts: readonly Layout[];
  readonly drain: DrainConfig;
  /** A lock older than this belongs to a run that died without releasing it. */
  readonly lockTtlSeconds: number;
  /** Months whose summary is missing (e.g. after migrating) computed per run. */
  readonly summaryBackfillMonths: number;
}

/**
 * How long an execution may run. The run lock expires after the same time, so a lock outlives
 * no execution (the state machine's default timeout, and the lock's default lifetime).
 */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3_600;

export const DEFAULT_CONFIG: PipelineConfig = {
  productionHosts: DEFAULT_PRODUCTION_HOSTS,
  // Well before the network's first event; catches devices whose clock fell back to 1970 or 2000.
  firstDay: '20100101' as Day,
  layouts: DEFAULT_LAYOUTS,
  drain: { maxMessages: 20_000, flushMessages: 1_000, receiveWaitSeconds: 2, timeBudgetMs: 240_000 },
  lockTtlSeconds: DEFAULT_EXECUTION_TIMEOUT_SECONDS,
  summaryBackfillMonths: 24,
};
