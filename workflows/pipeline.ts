/**
 * The pipeline as one Amazon States Language definition, used as-is by the infrastructure
 * (with real Lambda ARNs) and by the local runner (with in-process handlers).
 *
 * Tasks call the Lambdas directly by ARN, so a task's result is the function's return value
 * and a function error arrives under its own name (`TransientError`, `InvalidInputError`, …)
 * for Retry and Catch to match. Payloads carry run ids and month keys, never data: the steps
 * exchange everything else through the bucket.
 *
 * The Map states fan out over months, not days. A Standard execution fails past 25,000
 * history events and an inline Map iteration with one Task costs about 7, so one item per day
 * would stop a whole-history rebuild at about 1,700 days; one per month keeps a ten-year
 * rebuild under 1,000 events.
 *
 * Inputs: `{}` (the schedule), `{"day": "YYYY-MM-DD"}`, `{"days": [...]}`, `{"rebuild": "all"}`;
 * the last three never touch the queue.
 */
import type { PipelineStep } from '../functions/config/functions.js';
import { DEFAULT_EXECUTION_TIMEOUT_SECONDS } from '../functions/config/pipeline.js';
import { emptyTotals } from '../functions/pipeline/drain.js';
import type { ErrorClass } from '../functions/core/errors.js';
import { PublishConflictError } from '../functions/core/publisher.js';
import { InvalidInputError, TransientError } from '../functions/pipeline/errors.js';
import { TransientQueueError, TransientStorageError } from '../functions/adapters/errors.js';

/** The Task state that runs each step, so the local runner can map states to handlers. */
export const STATE_OF_STEP: Record<PipelineStep, string> = {
  'begin-run': 'BeginRun',
  drain: 'Drain',
  'list-staged': 'ListStagedDays',
  'merge-month': 'MergeMonth',
  'detect-changes': 'DetectChanges',
  'build-month': 'BuildMonth',
  finalize: 'Finalize',
  publish: 'Publish',
  'finish-run': 'FinishRun',
  'record-failure': 'RecordFailure',
};

export interface PipelineDefinitionOptions {
  /** The function ARN of each step. */
  readonly functions: Readonly<Record<PipelineStep, string>>;
  readonly mergeConcurrency?: number;
  readonly buildConcurrency?: number;
  /** Drain invocations per execution; the schedule picks up whatever remains. */
  readonly maxDrainIterations?: number;
  /** Whole-execution limit; the run lock expires after the same time. */
  readonly timeoutSeconds?: number;
  /** Per-task limit (the Lambdas' own timeout should be at most this). */
  readonly taskTimeoutSeconds?: number;
}

/** The settings of a definition built without them; the deployment's configuration starts from these. */
export const DEFINITION_DEFAULTS = {
  mergeConcurrency: 8,
  buildConcurrency: 8,
  maxDrainIterations: 10,
  timeoutSeconds: DEFAULT_EXECUTION_TIMEOUT_SECONDS,
  // Lambda's own maximum: no function may run longer.
  taskTimeoutSeconds: 900,
} as const satisfies Required<Omit<PipelineDefinitionOptions, 'functions'>>;

/** Lambda's own failures that a later invocation may not meet (the service's, not the function's). */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/**
 * The errors a step raises that a retry may cure. Every class here says `retryable`; the
 * architecture tests check that no retryable class is missing and that each name is a class's.
 */
export const RETRYABLE_STEP_ERRORS: readonly ErrorClass[] = [TransientError, TransientStorageError, TransientQueueError, PublishConflictError];

/** What the Retry of every task matches: Lambda's own hiccups and the steps' retryable errors, by name. */
export const RETRIED_ERRORS: readonly string[] = [...LAMBDA_SERVICE_ERRORS, ...RETRYABLE_STEP_ERRORS.map((error) => error.name)];

type Json = Record<string, unknown>;

export function buildPipelineDefinition(options: PipelineDefinitionOptions): Json {
  const fn = options.functions;
  const taskTimeout = options.taskTimeoutSeconds ?? DEFINITION_DEFAULTS.taskTimeoutSeconds;
  const retry = [
    { ErrorEquals: [...RETRIED_ERRORS], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
  ];
  const onFailure = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];
  const task = (step: PipelineStep, parameters: Json, next: Json): Json => ({
    Type: 'Task',
    Resource: fn[step],
    Parameters: parameters,
    TimeoutSeconds: taskTimeout,
    Retry: retry,
    ...next,
  });
  const runId = { 'runId.$': '$.run.runId' };
  const perMonth = (state: string, step: PipelineStep, items: string, concurrency: number, next: string): Json => ({
    Type: 'Map',
    ItemsPath: items,
    MaxConcurrency: concurrency,
    ItemSelector: { 'runId.$': '$.run.runId', 'month.$': '$$.Map.Item.Value' },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: state,
      States: { [state]: task(step, { 'runId.$': '$.runId', 'month.$': '$.month' }, { End: true }) },
    },
    // Results stay in the bucket; the payload keeps only what later states read.
    ResultPath: null,
    Catch: onFailure,
    Next: next,
  });

  return {
    Comment: 'usage-pipeline: drain the queue, merge days, build the changed shards, publish to gh-pages',
    TimeoutSeconds: options.timeoutSeconds ?? DEFINITION_DEFAULTS.timeoutSeconds,
    StartAt: 'BeginRun',
    States: {
      BeginRun: task(
        'begin-run',
        { 'input.$': '$', 'executionName.$': '$$.Execution.Name', 'executionArn.$': '$$.Execution.Id' },
        {
          ResultPath: '$.run',
          Catch: [
            { ErrorEquals: [InvalidInputError.name], ResultPath: '$.error', Next: 'InputRefused' },
            { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunFailed' },
          ],
          Next: 'LockAcquired?',
        },
      ),
      'LockAcquired?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.run.acquired', BooleanEquals: false, Next: 'AnotherRunInProgress' }],
        Default: 'PrepareDrain',
      },
      AnotherRunInProgress: { Type: 'Succeed', Comment: 'Another execution holds the lock; it will publish.' },
      PrepareDrain: {
        Type: 'Pass',
        Result: { more: false, iteration: 0, totals: emptyTotals() },
        ResultPath: '$.drain',
        Next: 'Scheduled?',
      },
      'Scheduled?': {
        Type: 'Choice',
        Comment: 'Re-runs of days and full rebuilds never touch the queue.',
        Choices: [{ Variable: '$.run.mode.kind', StringEquals: 'scheduled', Next: 'Drain' }],
        Default: 'ListStagedDays',
      },
      Drain: task('drain', { ...runId, 'iteration.$': '$.drain.iteration', 'totals.$': '$.drain.totals' }, { ResultPath: '$.drain', Catch: onFailure, Next: 'MoreToDrain?' }),
      'MoreToDrain?': {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.drain.more', BooleanEquals: true },
              { Variable: '$.drain.iteration', NumericLessThan: options.maxDrainIterations ?? DEFINITION_DEFAULTS.maxDrainIterations },
            ],
            Next: 'Drain',
          },
        ],
        Default: 'ListStagedDays',
      },
      ListStagedDays: task('list-staged', runId, { ResultPath: '$.staged', Catch: onFailure, Next: 'MergeMonths' }),
      MergeMonths: perMonth('MergeMonth', 'merge-month', '$.staged.months', options.mergeConcurrency ?? DEFINITION_DEFAULTS.mergeConcurrency, 'DetectChanges'),
      DetectChanges: task('detect-changes', { ...runId, 'mode.$': '$.run.mode' }, { ResultPath: '$.changes', Catch: onFailure, Next: 'BuildMonths' }),
      BuildMonths: perMonth('BuildMonth', 'build-month', '$.changes.months', options.buildConcurrency ?? DEFINITION_DEFAULTS.buildConcurrency, 'Finalize'),
      Finalize: task('finalize', runId, { ResultPath: '$.finalized', Catch: onFailure, Next: 'Publish' }),
      Publish: task('publish', runId, { ResultPath: '$.published', Catch: onFailure, Next: 'FinishRun' }),
      FinishRun: task(
        'finish-run',
        {
          ...runId,
          'startedAt.$': '$.run.startedAt',
          'mode.$': '$.run.mode',
          'drain.$': '$.drain.totals',
          'daysMerged.$': '$.staged.days',
          'daysBuilt.$': '$.changes.days',
          'finalized.$': '$.finalized',
          'published.$': '$.published',
        },
        { ResultPath: '$.report', OutputPath: '$.report', Catch: onFailure, End: true },
      ),
      RecordFailure: task('record-failure', { ...runId, 'error.$': '$.error' }, {
        ResultPath: '$.failure',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'RunFailed' }],
        Next: 'RunFailed',
      }),
      InputRefused: { Type: 'Fail', Error: 'InvalidInput', Cause: 'The execution input was refused; see the BeginRun task failure for the reason.' },
      RunFailed: { Type: 'Fail', Error: 'PipelineRunFailed', Cause: 'A step failed; the run record under runs/<run id>/failure.json in the bucket says which and why.' },
    },
  };
}
