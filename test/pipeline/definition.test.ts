import { describe, expect, it } from '@jest/globals';
import aslValidator from 'asl-validator';
import { buildPipelineDefinition, STATE_OF_STEP } from '../../workflows/pipeline.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';

const functions = Object.fromEntries(PIPELINE_STEPS.map((step) => [step, `arn:aws:lambda:us-west-2:123456789012:function:usage-pipeline-${step}`])) as Record<PipelineStep, string>;
const definition = buildPipelineDefinition({ functions, mergeConcurrency: 4, buildConcurrency: 6, maxDrainIterations: 7 });
type State = Record<string, unknown> & { Type: string };
const states = definition.States as Record<string, State>;
const mapStates = Object.values(states).filter((s) => s.Type === 'Map');
const innerStates = mapStates.flatMap((map) => Object.entries((map.ItemProcessor as { States: Record<string, State> }).States));
const allTasks = [...Object.entries(states), ...innerStates].filter(([, s]) => s.Type === 'Task');

/** The names Step Functions matches, spelled out: a renamed class changes what the deployed definition retries. */
const RETRIED = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
  'TransientStorageError',
  'TransientQueueError',
  'PublishConflictError',
];

describe('the state machine definition', () => {
  it('is valid Amazon States Language', () => {
    // asl-validator fills in defaults on the object it is given: validate a copy.
    const { isValid, errorsText } = aslValidator(structuredClone(definition));
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it('runs every step, by the function ARN it is given', () => {
    expect(allTasks.map(([name]) => name).sort()).toEqual(Object.values(STATE_OF_STEP).sort());
    for (const step of PIPELINE_STEPS) {
      const [, state] = allTasks.find(([name]) => name === STATE_OF_STEP[step])!;
      expect(state.Resource).toBe(functions[step]);
    }
  });

  it('retries transient failures of every task with capped, jittered backoff', () => {
    for (const [, state] of allTasks) {
      expect(state.Retry).toEqual([expect.objectContaining({ ErrorEquals: RETRIED, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'FULL', MaxDelaySeconds: 60 })]);
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
    }
  });

  it('sends every failure after the lock is taken to the step that records it and releases the lock', () => {
    const guarded = Object.entries(states).filter(([name, s]) => ['Task', 'Map'].includes(s.Type) && !['BeginRun', 'RecordFailure'].includes(name));
    expect(guarded.length).toBeGreaterThan(7);
    for (const [, state] of guarded) expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }]);
    expect(states.RecordFailure!.Next).toBe('RunFailed');
    expect(states.BeginRun!.Catch).toEqual([
      { ErrorEquals: ['InvalidInputError'], ResultPath: '$.error', Next: 'InputRefused' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunFailed' },
    ]);
  });

  it('merges and builds months in Map states with bounded concurrency, keeping results out of the payload', () => {
    expect(mapStates.map((s) => [s.ItemsPath, s.MaxConcurrency, s.ResultPath])).toEqual([
      ['$.staged.months', 4, null],
      ['$.changes.months', 6, null],
    ]);
  });

  it('loops the drain on "more", bounded, and skips it for re-runs', () => {
    expect(states['MoreToDrain?']).toMatchObject({
      Choices: [{ And: [{ Variable: '$.drain.more', BooleanEquals: true }, { Variable: '$.drain.iteration', NumericLessThan: 7 }], Next: 'Drain' }],
      Default: 'ListStagedDays',
    });
    expect(states['Scheduled?']).toMatchObject({ Choices: [{ Variable: '$.run.mode.kind', StringEquals: 'scheduled', Next: 'Drain' }], Default: 'ListStagedDays' });
    expect(states['LockAcquired?']).toMatchObject({ Choices: [{ Variable: '$.run.acquired', BooleanEquals: false, Next: 'AnotherRunInProgress' }] });
  });

  it('uses only JSONPath features the local engine also runs (no JSONata, no Assign, no ItemReader)', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"QueryLanguage": ?"JSONata"|"Assign"|"ItemReader"|"ItemBatcher"|"ResultWriter"|\{%/);
  });
});
