/** The pipeline's steps as handlers: thin wrappers over functions/pipeline, one per Lambda. */
import { buildMonthOfRun } from '../pipeline/build-month.js';
import { drain, emptyTotals } from '../pipeline/drain.js';
import { finalize } from '../pipeline/finalize.js';
import { listStagedMonths, mergeMonth } from '../pipeline/merge.js';
import { detectChanges } from '../pipeline/plan.js';
import { publish } from '../pipeline/publish.js';
import { finishRun, recordFailure } from '../pipeline/report.js';
import { beginRun } from '../pipeline/run.js';
import { STEP_INPUTS as INPUT } from '../pipeline/step-inputs.js';
import { defineStep } from './step.js';

export const beginRunStep = defineStep('begin-run', INPUT['begin-run'], (deps, input) => beginRun(deps, input));

export const drainStep = defineStep('drain', INPUT.drain, (deps, input, context) =>
  drain(deps, { runId: input.runId, iteration: input.iteration ?? 0, totals: input.totals ?? emptyTotals() }, () => context.getRemainingTimeInMillis?.() ?? Infinity),
);

export const listStagedStep = defineStep('list-staged', INPUT['list-staged'], (deps) => listStagedMonths(deps));

export const mergeMonthStep = defineStep('merge-month', INPUT['merge-month'], (deps, { month }) => mergeMonth(deps, month));

export const detectChangesStep = defineStep('detect-changes', INPUT['detect-changes'], (deps, { runId, mode }) => detectChanges(deps, runId, mode));

export const buildMonthStep = defineStep('build-month', INPUT['build-month'], (deps, { runId, month }) => buildMonthOfRun(deps, runId, month));

export const finalizeStep = defineStep('finalize', INPUT.finalize, (deps, { runId }) => finalize(deps, runId));

export const publishStep = defineStep('publish', INPUT.publish, (deps, input) => publish(deps, { runId: input.runId, days: input.days ?? [] }));

export const finishRunStep = defineStep('finish-run', INPUT['finish-run'], (deps, input) => finishRun(deps, input));

export const recordFailureStep = defineStep('record-failure', INPUT['record-failure'], (deps, input) => recordFailure(deps, input));

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
