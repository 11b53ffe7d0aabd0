/** Pipeline settings, with defaults, read from the environment in Lambda. */
import { z } from 'zod';
import { DEFAULT_PRODUCTION_HOSTS } from '../core/classify.js';
import { parseIsoDay, type Day } from '../core/days.js';
import { DEFAULT_LAYOUTS, parseLayouts, type Layout } from '../core/layouts.js';
import { ConfigurationError } from '../config/errors.js';

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

export const DEFAULT_CONFIG: PipelineConfig = {
  productionHosts: DEFAULT_PRODUCTION_HOSTS,
  // Well before the network's first event; catches devices whose clock fell back to 1970 or 2000.
  firstDay: '20100101' as Day,
  layouts: DEFAULT_LAYOUTS,
  drain: { maxMessages: 20_000, flushMessages: 1_000, receiveWaitSeconds: 2, timeBudgetMs: 240_000 },
  lockTtlSeconds: 3_600,
  summaryBackfillMonths: 24,
};

const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean));

const EnvironmentSchema = z.object({
  PRODUCTION_HOSTS: list.optional(),
  /** `YYYY-MM-DD`, or `none` for no limit. */
  FIRST_DAY: z
    .string()
    .refine((text) => text === 'none' || parseIsoDay(text) !== null, { message: 'expected a real date as YYYY-MM-DD, or none' })
    .optional(),
  LAYOUTS: z.string().optional(),
  DRAIN_MAX_MESSAGES: positiveInt.optional(),
  DRAIN_FLUSH_MESSAGES: positiveInt.optional(),
  DRAIN_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).optional(),
  DRAIN_TIME_BUDGET_SECONDS: positiveInt.optional(),
  LOCK_TTL_SECONDS: positiveInt.optional(),
  SUMMARY_BACKFILL_MONTHS: z.coerce.number().int().min(0).optional(),
});


export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigurationError(`environment variable ${String(issue?.path[0])}: ${issue?.message}`);
  }
  const e = parsed.data;
  let layouts = DEFAULT_CONFIG.layouts;
  if (e.LAYOUTS !== undefined) {
    try {
      layouts = parseLayouts(e.LAYOUTS);
    } catch (error) {
      throw new ConfigurationError(`environment variable LAYOUTS: ${(error as Error).message}`);
    }
  }
  const drain = DEFAULT_CONFIG.drain;
  return {
    productionHosts: e.PRODUCTION_HOSTS ?? DEFAULT_CONFIG.productionHosts,
    firstDay: e.FIRST_DAY === undefined ? DEFAULT_CONFIG.firstDay : e.FIRST_DAY === 'none' ? null : parseIsoDay(e.FIRST_DAY),
    layouts,
    drain: {
      maxMessages: e.DRAIN_MAX_MESSAGES ?? drain.maxMessages,
      flushMessages: e.DRAIN_FLUSH_MESSAGES ?? drain.flushMessages,
      receiveWaitSeconds: e.DRAIN_WAIT_SECONDS ?? drain.receiveWaitSeconds,
      timeBudgetMs: (e.DRAIN_TIME_BUDGET_SECONDS ?? drain.timeBudgetMs / 1000) * 1000,
    },
    lockTtlSeconds: e.LOCK_TTL_SECONDS ?? DEFAULT_CONFIG.lockTtlSeconds,
    summaryBackfillMonths: e.SUMMARY_BACKFILL_MONTHS ?? DEFAULT_CONFIG.summaryBackfillMonths,
  };
}
