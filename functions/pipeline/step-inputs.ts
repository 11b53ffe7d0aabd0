/**
 * What the state machine hands each step (workflows/pipeline.ts builds the payloads): run ids,
 * month keys and counts, never data. The step handlers refuse anything else, naming the field.
 */
import { z } from 'zod';
import { parseCompactDay, type Day, type Month } from '../core/days.js';
import type { PipelineStep } from '../config/functions.js';
import { RUN_ID } from './run-records.js';

export const RunId = z.string().regex(RUN_ID, 'expected a run id (letters, digits, _ . -)');

export const DayKey = z
  .string()
  .refine((text) => parseCompactDay(text) !== null, { message: 'expected a real date as YYYYMMDD' })
  .transform((text) => text as Day);

export const MonthKey = z
  .string()
  .refine((text) => /^\d{6}$/.test(text) && parseCompactDay(`${text}01`) !== null, { message: 'expected a month as YYYYMM' })
  .transform((text) => text as Month);

const Count = z.number().int().min(0);

const Totals = z.object({
  received: Count,
  kept: Count,
  dropped: z.object({ hostname: Count, channel: Count, event: Count }),
  malformed: Count,
  duplicates: Count,
  deleteFailures: Count,
});

const Mode = z.union([
  z.object({ kind: z.literal('scheduled') }),
  z.object({ kind: z.literal('rerun'), days: z.array(DayKey).min(1) }),
  z.object({ kind: z.literal('rebuild-all') }),
]);

const OfRun = z.object({ runId: RunId });
const OfMonth = z.object({ runId: RunId, month: MonthKey });

/** The input of each step, by its name in the function catalogue. */
export const STEP_INPUTS = {
  'begin-run': z.object({ input: z.unknown(), executionName: z.string().min(1), executionArn: z.string().min(1).optional() }),
  drain: z.object({ runId: RunId, iteration: Count.optional(), totals: Totals.optional() }),
  'list-staged': OfRun,
  'merge-month': OfMonth,
  'detect-changes': z.object({ runId: RunId, mode: Mode }),
  'build-month': OfMonth,
  finalize: OfRun,
  publish: z.object({ runId: RunId, days: z.array(z.string()).optional() }),
  'finish-run': z.object({
    runId: RunId,
    startedAt: z.string().datetime().optional(),
    mode: Mode,
    drain: Totals,
    daysMerged: Count,
    daysBuilt: Count,
    finalized: z.object({ rejected: Count, refused: Count.optional() }).passthrough(),
    published: z.object({ commit: z.string().nullable(), filesPublished: Count }).passthrough(),
  }),
  'record-failure': z.object({ runId: RunId, error: z.object({ Error: z.string().optional(), Cause: z.unknown().optional() }).passthrough() }),
} as const satisfies Record<PipelineStep, z.ZodType>;
