/**
 * The failures Lambda itself reports for an invocation, as the local executors raise them:
 * named as Step Functions sees them (so Retry and Catch match as in AWS), with a message that
 * names the limit, the value and the setting that changes it.
 */
import type { StepLimits } from './state-machine.js';
import type { PipelineStep } from '../../functions/config/functions.js';
import { LocalError } from '../errors.js';

export class LambdaRuntimeError extends LocalError {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function lambdaTimeoutError(step: PipelineStep, limits: StepLimits): LambdaRuntimeError {
  return new LambdaRuntimeError(
    'Sandbox.Timedout',
    `${step} timed out after ${limits.timeoutSeconds} s, its configured Lambda timeout (setting functions.${step}.timeoutSeconds)`,
  );
}

export function lambdaOutOfMemoryError(step: PipelineStep, limits: StepLimits, peakMb: number | null): LambdaRuntimeError {
  const used = peakMb === null ? 'ran out of memory' : `used ${peakMb} MB`;
  return new LambdaRuntimeError(
    'Runtime.OutOfMemory',
    `${step} ${used}, over its configured Lambda memory of ${limits.memoryMb} MB, and was killed as Lambda kills it (setting functions.${step}.memoryMb)`,
  );
}

export function lambdaExitError(step: PipelineStep, how: string): LambdaRuntimeError {
  return new LambdaRuntimeError('Runtime.ExitError', `${step}: the runtime exited without a result (${how})`);
}
