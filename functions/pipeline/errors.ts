import { UsagePipelineError } from '../core/errors.js';

/** Errors of the pipeline's steps. */
export abstract class PipelineError extends UsagePipelineError {}

/** A failure a retry may cure; the state machine retries it with backoff. */
export class TransientError extends PipelineError {
  static override readonly retryable = true;
}

/** Input a step refuses; never retried (the state machine ends the run as InputRefused). */
export class InvalidInputError extends PipelineError {
  static override readonly userFacing = true;
}
