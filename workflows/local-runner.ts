/**
 * Runs the pipeline's state machine definition on this machine with `aws-local-stepfunctions`,
 * every Task mapped to its handler in this process. The definition is the one deployed; only
 * where a Task's work happens differs.
 */
import '../functions/support/promise-with-resolvers.js';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { StepHandler } from '../functions/handlers/step.js';
import { buildPipelineDefinition, PIPELINE_STEPS, STATE_OF_STEP, type PipelineDefinitionOptions, type PipelineStep } from './pipeline.js';

/** Lambda-shaped ARNs for the local definition; nothing ever calls them. */
export function localFunctionArns(prefix = 'usage-pipeline'): Record<PipelineStep, string> {
  return Object.fromEntries(PIPELINE_STEPS.map((step) => [step, `arn:aws:lambda:us-west-2:000000000000:function:${prefix}-${step}`])) as Record<PipelineStep, string>;
}

export interface LocalExecutionOptions {
  readonly handlers: Readonly<Record<PipelineStep, StepHandler<unknown>>>;
  readonly input: unknown;
  readonly executionName: string;
  readonly definition?: Omit<PipelineDefinitionOptions, 'functions'>;
  /** Milliseconds between retries (the definition's backoff is minutes long in production). */
  readonly retryIntervalMs?: number;
  /** Each Task's time limit, as a Lambda timeout would be. */
  readonly taskTimeoutMs?: number;
  /** Called as states are entered, for progress output. */
  readonly onState?: (state: string) => void;
  /** Called with the size of every state's input and output, in bytes of JSON. */
  readonly onPayload?: (state: string, bytes: number) => void;
}

export type LocalExecutionResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: unknown };

export async function runPipelineLocally(options: LocalExecutionOptions): Promise<LocalExecutionResult> {
  const definition = buildPipelineDefinition({ ...options.definition, functions: localFunctionArns() });
  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  const taskTimeoutMs = options.taskTimeoutMs ?? 15 * 60_000;
  const taskResourceLocalHandlers = Object.fromEntries(
    PIPELINE_STEPS.map((step) => [STATE_OF_STEP[step], (input: unknown) => invoke(options.handlers[step], input, step, taskTimeoutMs)]),
  );
  const retryIntervalOverrides = Object.fromEntries(Object.values(STATE_OF_STEP).map((state) => [state, options.retryIntervalMs ?? 200]));
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, retryIntervalOverrides },
    context: { Execution: { Name: options.executionName, Id: `local:${options.executionName}`, StartTime: new Date().toISOString(), Input: options.input as never } },
  });
  const progress = options.onState || options.onPayload ? followStates(execution.eventLogs, options) : Promise.resolve();
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output };
  } catch (error) {
    if (error instanceof ExecutionAbortedError) throw error;
    if (error instanceof ExecutionError) {
      const cause = (error as { cause?: { name?: string; message?: string } }).cause;
      return { status: 'FAILED', error: cause?.name ?? error.name, cause: cause?.message ?? error.message };
    }
    throw error;
  } finally {
    await progress.catch(() => undefined);
  }
}

type StateEvent = { type: string; state?: { name: string; input?: unknown; output?: unknown } };

async function followStates(events: AsyncGenerator<StateEvent>, options: Pick<LocalExecutionOptions, 'onState' | 'onPayload'>): Promise<void> {
  for await (const event of events) {
    if (!event.state) continue;
    if (event.type === 'StateEntered') {
      options.onState?.(event.state.name);
      options.onPayload?.(event.state.name, Buffer.byteLength(JSON.stringify(event.state.input ?? null)));
    } else if (event.type === 'StateExited') {
      options.onPayload?.(event.state.name, Buffer.byteLength(JSON.stringify(event.state.output ?? null)));
    }
  }
}

/** Calls a handler as Lambda would: with a context, under a time limit, errors keeping their names. */
async function invoke(handler: StepHandler<unknown>, input: unknown, step: PipelineStep, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName: `usage-pipeline-${step}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArns()[step],
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/usage-pipeline-${step}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${step} timed out after ${timeoutMs} ms`);
      error.name = 'States.Timeout';
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([handler(input, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
