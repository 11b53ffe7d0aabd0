import { UsagePipelineError } from '../core/errors.js';

/**
 * A setting that cannot be used: the one error for configuration, wherever it is read (a
 * Lambda's environment, the deployment's settings, the rotation's secrets). Its message names
 * the setting and what is wrong with it.
 */
export class ConfigurationError extends UsagePipelineError {
  static override readonly userFacing = true;
}
