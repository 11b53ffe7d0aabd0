import { UsagePipelineError } from '../core/errors.js';

/** Errors of the charts page and the summaries it reads. */
export abstract class ChartsError extends UsagePipelineError {}
