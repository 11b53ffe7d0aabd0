/** The pipeline's steps as handlers: thin wrappers over functions/pipeline, one per Lambda. */
import { z } from 'zod';
import { buildMonthOfRun } from '../pipeline/build-month.js';
import { drain, emptyTotals } from '../pipeline/drain.js';
import { finalize } from '../pipeline/finalize.js';
import { listStagedMonths, mergeMonth } from '../pipeline/merge.js';
import { detectChanges } from '../pipeline/plan.js';
import { publish } from '../pipeline/publish.js';
import { finishRun, recordFailure } from '../pipeline/report.js';
import { acquireLock } from '../pipeline/lock.js';
import { parseExecutionInput } from '../pipeline/run.js';
import { sanitiseRunId } from '../pipeline/run-records.js';
import { DayKey, defineStep, MonthKey, RunId } from './step.js';

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

const BeginRunInput = z.object({ input: z.unknown(), executionName: z.string().min(1), executionArn: z.string().min(1).optional() });

export const beginRunStep = defineStep('begin-run', BeginRunInput, async (deps, { input, executionName, executionArn }) => {
  const mode = parseExecutionInput(input, deps.clock());
  const runId = sanitiseRunId(executionName);
  const lock = await acquireLock(deps, runId, executionArn ? { kind: 'execution', executionArn } : undefined);
  await deps.checkpoint('begin-run:after-lock');
  if (!lock.acquired) deps.log.warn('another execution holds the lock; exiting', { runId, heldBy: lock.heldBy, since: lock.since, holder: lock.holder });
  return { runId, acquired: lock.acquired, mode, startedAt: deps.clock().toISOString() };
});

export const drainStep = defineStep(
  'drain',
  z.object({ runId: RunId, iteration: Count.optional(), totals: Totals.optional() }),
  (deps, input, context) => drain(deps, { runId: input.runId, iteration: input.iteration ?? 0, totals: input.totals ?? emptyTotals() }, () => context.getRemainingTimeInMillis?.() ?? Infinity),
);

export const listStagedStep = defineStep('list-staged', z.object({ runId: RunId }), (deps) => listStagedMonths(deps));

export const mergeMonthStep = defineStep('merge-month', z.object({ runId: RunId, month: MonthKey }), (deps, { month }) => mergeMonth(deps, month));

export const detectChangesStep = defineStep('detect-changes', z.object({ runId: RunId, mode: Mode }), (deps, { runId, mode }) => detectChanges(deps, runId, mode));

export const buildMonthStep = defineStep('build-month', z.object({ runId: RunId, month: MonthKey }), (deps, { runId, month }) => buildMonthOfRun(deps, runId, month));

export const finalizeStep = defineStep('finalize', z.object({ runId: RunId }), (deps, { runId }) => finalize(deps, runId));

export const publishStep = defineStep('publish', z.object({ runId: RunId, days: z.array(z.string()).optional() }), (deps, input) =>
  publish(deps, { runId: input.runId, days: input.days ?? [] }),
);

export const finishRunStep = defineStep(
  'finish-run',
  z.object({
    runId: RunId,
    startedAt: z.string().datetime().optional(),
    mode: Mode,
    drain: Totals,
    daysMerged: Count,
    daysBuilt: Count,
    finalized: z.object({ rejected: Count, refused: Count.optional() }).passthrough(),
    published: z.object({ commit: z.string().nullable(), filesPublished: Count }).passthrough(),
  }),
  (deps, input) => finishRun(deps, input),
);

export const recordFailureStep = defineStep(
  'record-failure',
  z.object({ runId: RunId, error: z.object({ Error: z.string().optional(), Cause: z.unknown().optional() }).passthrough() }),
  (deps, input) => recordFailure(deps, input),
);

/** Every step by its name in the state machine definition's `PIPELINE_STEPS`. */
export const STEPS = {
  'begin-run': beginRunStep,
  drain: drainStep,
  'list-staged': listStagedStep,
  'merge-month': mergeMonthStep,
  'detect-changes': detectChangesStep,
  'build-month': buildMonthStep,
  finalize: finalizeStep,
  publish: publishStep,
  'finish-run': finishRunStep,
  'record-failure': recordFailureStep,
} as const;
