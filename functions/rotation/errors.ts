import { UsagePipelineError } from '../core/errors.js';

/** Errors of the rotation of the AWS keys kept as GitHub Actions secrets. */
export abstract class RotationError extends UsagePipelineError {}
