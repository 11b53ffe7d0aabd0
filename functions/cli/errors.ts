/** How the CLI ends: one line on stderr for problems the user can fix, a stack only for bugs. */
import { UsagePipelineError } from '../core/errors.js';

/** An error whose message is the whole story (bad input, missing file, refused operation). */
export class UserFacingError extends UsagePipelineError {
  static override readonly userFacing = true;

  constructor(
    message: string,
    override readonly exitCode = 1,
  ) {
    super(message);
  }
}
