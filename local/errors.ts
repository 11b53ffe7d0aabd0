import { UsagePipelineError } from '../functions/core/errors.js';

/** Errors of the local world: the home directory, the run lock, the runner's Lambda failures, the emulators. */
export abstract class LocalError extends UsagePipelineError {}
