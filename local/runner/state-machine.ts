/**
 * Runs the pipeline's state machine definition on this machine with `aws-local-stepfunctions`.
 * The definition is the one deployed; a step executor decides where each Task's work happens
 * (a process of its own held to the function's memory, or this process).
 *
 * The local engine is kinder than Step Functions, so this runner holds an execution to what a
 * Standard workflow enforces (../shared/LIMITS.md): every state's input and output and every
 * task result at most 256 KiB (`States.DataLimitExceeded`), at most 25,000 history events,
 * and each function to its configured timeout and memory (the executor's part). Breaking one
 * fails the execution as AWS would, with a message naming the limit, the value and the setting
 * that changes it.
 */
import '../../functions/support/promise-with-resolvers.js';
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { buildPipelineDefinition, STATE_OF_STEP, type PipelineDefinitionOptions } from '../../workflows/pipeline.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';

/** The engine's event log entries (the package does not export their type). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** What the deployment gives a function (functions/config/functions.ts, `functions.<name>` settings). */
export interface StepLimits {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export interface StepRun {
  readonly output: unknown;
  /** Peak memory of the invocation, or null where the executor cannot measure it. */
  readonly peakMemoryMb: number | null;
}

/** Where a Task's work happens. Failures are errors whose `name` is the Lambda error type. */
export interface StepExecutor {
  run(step: PipelineStep, input: unknown, limits: StepLimits): Promise<StepRun>;
  /** Ends every invocation still in flight (the execution is over). */
  stop(): Promise<void>;
}

export interface ExecutionLimits {
  /** Largest state input, output or task result, in bytes of UTF-8 JSON; null: unchecked. */
  readonly payloadBytes: number | null;
  /** History events before the execution fails; null: unchecked. */
  readonly historyEvents: number | null;
}

/** A Standard workflow's limits. */
export const STANDARD_WORKFLOW_LIMITS: ExecutionLimits = { payloadBytes: 256 * 1024, historyEvents: 25_000 };

export interface LocalExecutionOptions {
  readonly executor: StepExecutor;
  readonly functionLimits: Readonly<Record<PipelineStep, StepLimits>>;
  readonly limits?: ExecutionLimits;
  readonly input: unknown;
  readonly executionName: string;
  readonly definition?: Omit<PipelineDefinitionOptions, 'functions'>;
  /** Milliseconds between retries (the definition's backoff is minutes long in production). */
  readonly retryIntervalMs?: number;
  /** Called as states are entered, for progress output. */
  readonly onState?: (state: string) => void;
  /** Called with the size of every state's input and output, in bytes of JSON. */
  readonly onPayload?: (state: string, bytes: number) => void;
  /** Called with each failure of a Task, by the error name Retry and Catch match on, before either acts. */
  readonly onTaskFailure?: (state: string, error: string, cause: string) => void;
}

export interface StepStats {
  readonly invocations: number;
  /** The largest peak of any invocation, or null when not measured. */
  readonly peakMemoryMb: number | null;
  readonly memoryMb: number;
  readonly maxSeconds: number;
  readonly timeoutSeconds: number;
}

export interface ExecutionStats {
  readonly historyEvents: number;
  readonly historyEventLimit: number | null;
  readonly largestPayload: { readonly bytes: number; readonly where: string };
  readonly payloadLimitBytes: number | null;
  readonly steps: Readonly<Partial<Record<PipelineStep, StepStats>>>;
}

export type LocalExecutionResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown; readonly stats: ExecutionStats }
  | {
      readonly status: 'FAILED';
      readonly error: string;
      readonly cause: unknown;
      readonly stats: ExecutionStats;
      /** True when a limit ended the execution outright, so no state of it recorded the failure. */
      readonly terminal: boolean;
    };

/** Lambda-shaped ARNs for the local definition; nothing ever calls them. */
export function localFunctionArns(prefix = 'usage-pipeline'): Record<PipelineStep, string> {
  return Object.fromEntries(PIPELINE_STEPS.map((step) => [step, `arn:aws:lambda:us-west-2:000000000000:function:${prefix}-${step}`])) as Record<PipelineStep, string>;
}

class TerminalFailure {
  constructor(
    readonly error: string,
    readonly cause: string,
  ) {}
}

export async function runPipelineLocally(options: LocalExecutionOptions): Promise<LocalExecutionResult> {
  const limits = options.limits ?? STANDARD_WORKFLOW_LIMITS;
  const definition = buildPipelineDefinition({ ...options.definition, functions: localFunctionArns() });
  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  const tracker = new ExecutionTracker(limits, options);
  let terminal: TerminalFailure | null = null;
  let abort = (): void => undefined;
  const fail = (failure: TerminalFailure): void => {
    terminal ??= failure;
    abort();
  };

  const taskResourceLocalHandlers = Object.fromEntries(
    PIPELINE_STEPS.map((step) => [
      STATE_OF_STEP[step],
      async (input: unknown) => {
        // No Task starts once a limit is broken: the execution has failed by then.
        await tracker.caughtUp();
        const over = terminal ?? tracker.checkHistory();
        if (over) {
          fail(over);
          throw new Error(over.cause);
        }
        const started = performance.now();
        const run = await options.executor.run(step, input, options.functionLimits[step]).catch((error: Error) => {
          options.onTaskFailure?.(STATE_OF_STEP[step], error.name, error.message);
          throw error;
        });
        tracker.recordInvocation(step, options.functionLimits[step], run.peakMemoryMb, (performance.now() - started) / 1000);
        const problem = tracker.checkPayload(`the result of ${STATE_OF_STEP[step]}`, run.output);
        if (problem) {
          fail(problem);
          throw new Error(problem.cause);
        }
        return run.output;
      },
    ]),
  );
  const retryIntervalOverrides = Object.fromEntries(Object.values(STATE_OF_STEP).map((state) => [state, options.retryIntervalMs ?? 200]));
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, retryIntervalOverrides },
    context: { Execution: { Name: options.executionName, Id: `local:${options.executionName}`, StartTime: new Date().toISOString(), Input: options.input as never } },
  });
  abort = execution.abort;
  const following = tracker.follow(execution.eventLogs, fail);
  let outcome: { ok: true; output: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, output: await execution.result };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    await options.executor.stop();
  }
  // The engine logs the last events after the result settles; count them too.
  await following.catch(() => undefined);
  const stats = tracker.stats();
  const failure = (terminal as TerminalFailure | null) ?? tracker.checkHistory();
  if (outcome.ok && !failure) return { status: 'SUCCEEDED', output: outcome.output, stats };
  if (failure) return { status: 'FAILED', error: failure.error, cause: failure.cause, stats, terminal: true };
  const error = outcome.ok ? null : outcome.error;
  if (error instanceof ExecutionError && !(error instanceof ExecutionAbortedError)) {
    const cause = (error as { cause?: { name?: string; message?: string } }).cause;
    return { status: 'FAILED', error: cause?.name ?? error.name, cause: cause?.message ?? error.message, stats, terminal: false };
  }
  throw error;
}

/** Counts history events as a Standard workflow records them, and checks payload sizes. */
class ExecutionTracker {
  private history = 0;
  private largest = { bytes: 0, where: 'nothing' };
  private readonly steps: Partial<Record<PipelineStep, StepStats>> = {};

  constructor(
    private readonly limits: ExecutionLimits,
    private readonly options: Pick<LocalExecutionOptions, 'onState' | 'onPayload'>,
  ) {}

  stats(): ExecutionStats {
    return {
      historyEvents: this.history,
      historyEventLimit: this.limits.historyEvents,
      largestPayload: { ...this.largest },
      payloadLimitBytes: this.limits.payloadBytes,
      steps: structuredClone(this.steps),
    };
  }

  recordInvocation(step: PipelineStep, limits: StepLimits, peakMemoryMb: number | null, seconds: number): void {
    const previous = this.steps[step];
    const peaks = [previous?.peakMemoryMb, peakMemoryMb].filter((n): n is number => typeof n === 'number');
    this.steps[step] = {
      invocations: (previous?.invocations ?? 0) + 1,
      peakMemoryMb: peaks.length > 0 ? Math.max(...peaks) : null,
      memoryMb: limits.memoryMb,
      maxSeconds: Math.max(previous?.maxSeconds ?? 0, Math.round(seconds * 1000) / 1000),
      timeoutSeconds: limits.timeoutSeconds,
    };
  }

  checkPayload(where: string, value: unknown): TerminalFailure | null {
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
    if (bytes > this.largest.bytes) this.largest = { bytes, where };
    const limit = this.limits.payloadBytes;
    if (limit === null || bytes <= limit) return null;
    return new TerminalFailure(
      'States.DataLimitExceeded',
      `${where} is ${bytes} bytes, over Step Functions' payload limit of ${limit} bytes (256 KiB) for any state's input, output or task result; ` +
        'the states must pass keys, not data (see workflows/pipeline.ts)',
    );
  }

  /** Lets the event follower take in what the engine has logged so far. */
  caughtUp(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  checkHistory(): TerminalFailure | null {
    const limit = this.limits.historyEvents;
    if (limit === null || this.history <= limit) return null;
    return new TerminalFailure(
      'States.Runtime',
      `the execution's history reached ${this.history} events, over a Standard workflow's limit of ${limit}; ` +
        'each Map item (a month) costs about 7 events and each drain iteration 7 (stateMachine.maxDrainIterations bounds those)',
    );
  }

  async follow(events: AsyncGenerator<EventLog>, fail: (failure: TerminalFailure) => void): Promise<void> {
    for await (const event of events) {
      this.history += historyEventsOf(event);
      const over = this.checkHistory();
      if (over) fail(over);
      if (!('state' in event) || !event.state) continue;
      const where = `the ${event.type === 'StateEntered' ? 'input' : 'output'} of ${event.state.name}`;
      if (event.type === 'StateEntered') {
        this.options.onState?.(event.state.name);
        this.reportPayload(where, event.state.name, event.state.input, fail);
      } else if (event.type === 'StateExited') {
        this.reportPayload(where, event.state.name, event.state.output, fail);
      }
    }
  }

  private reportPayload(where: string, state: string, value: unknown, fail: (failure: TerminalFailure) => void): void {
    this.options.onPayload?.(state, Buffer.byteLength(JSON.stringify(value ?? null)));
    const problem = this.checkPayload(where, value);
    if (problem) fail(problem);
  }
}

/**
 * History events of a Standard workflow for one event of the local engine: a Task is Entered,
 * Scheduled, Started, Succeeded and Exited (5; a retry adds Failed, Scheduled, Started); a Map
 * state Entered, Started, Succeeded, Exited (4), each iteration Started and Succeeded (2) around
 * its own states; other states Entered and Exited.
 */
function historyEventsOf(event: EventLog): number {
  switch (event.type) {
    case 'StateEntered':
      return event.state.type === 'Task' ? 3 : event.state.type === 'Map' || event.state.type === 'Parallel' ? 2 : 1;
    case 'StateExited':
      return event.state.type === 'Task' || event.state.type === 'Map' || event.state.type === 'Parallel' ? 2 : 1;
    case 'StateRetried':
      return 2;
    default:
      return 1;
  }
}
