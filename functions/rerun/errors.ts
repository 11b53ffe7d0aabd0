import { UsagePipelineError } from '../core/errors.js';

/** Errors of re-running one day (or a rebuild) through the deployed state machine. */
export abstract class RerunError extends UsagePipelineError {}
