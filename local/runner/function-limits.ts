/** The memory and timeout each pipeline function is deployed with, for the local runner to hold it to. */
import { FUNCTION_SPECS, PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import type { StepLimits } from './state-machine.js';

export type FunctionLimitOverrides = Partial<Record<PipelineStep, Partial<StepLimits>>>;

export function pipelineFunctionLimits(overrides: FunctionLimitOverrides = {}): Record<PipelineStep, StepLimits> {
  return Object.fromEntries(
    PIPELINE_STEPS.map((step) => {
      const spec = FUNCTION_SPECS.find((candidate) => candidate.name === step);
      if (!spec) throw new Error(`no function spec for the pipeline step ${step}`);
      return [step, { memoryMb: spec.memoryMb, timeoutSeconds: spec.timeoutSeconds, ...overrides[step] }];
    }),
  ) as Record<PipelineStep, StepLimits>;
}
