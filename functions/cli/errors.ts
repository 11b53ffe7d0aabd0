/** How the CLI ends: one line on stderr for problems the user can fix, a stack only for bugs. */

/** An error whose message is the whole story (bad input, missing file, refused operation). */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}

const USER_FACING_NAMES = new Set([
  'UserFacingError',
  'HomeError',
  'BuildInputError',
  'StateFileError',
  'EventListError',
  'UnknownDayError',
  'MissingDailyObjectError',
  'CommanderError',
  'LockHeldError',
  'MissingTokenError',
  'PublishRefusedError',
]);

export function isUserFacing(error: unknown): error is Error {
  return error instanceof Error && USER_FACING_NAMES.has(error.name);
}
