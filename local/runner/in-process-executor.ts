/**
 * Runs each step in this process, under its function's timeout. Memory cannot be measured or
 * held to a limit here (everything shares one heap): the process executor does that. This one
 * is for tests that hand the steps in-process hooks (a wrapped bucket).
 */
import type { StepHandler } from '../../functions/handlers/step.js';
import type { StepExecutor, StepLimits, StepRun } from './state-machine.js';
import type { PipelineStep } from '../../functions/config/functions.js';
import { lambdaTimeoutError } from './lambda-errors.js';
import { lambdaContext, localFunctionArn } from './lambda-context.js';

export class InProcessStepExecutor implements StepExecutor {
  constructor(
    private readonly handlers: Readonly<Record<PipelineStep, StepHandler<unknown>>>,
    private readonly functionName: (step: PipelineStep) => string,
  ) {}

  async run(step: PipelineStep, input: unknown, limits: StepLimits): Promise<StepRun> {
    const timeoutMs = limits.timeoutSeconds * 1000;
    const name = this.functionName(step);
    const context = lambdaContext({ functionName: name, functionArn: localFunctionArn(name), memoryMb: limits.memoryMb, timeoutMs });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(lambdaTimeoutError(step, limits)), timeoutMs);
    });
    try {
      return { output: await Promise.race([this.handlers[step](input, context), timeout]), peakMemoryMb: null };
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {}
}
