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
  'BuildInputError',
  'StateFileError',
  'EventListError',
  'UnknownDayError',
  'MissingDailyObjectError',
  'CommanderError',
]);

export function isUserFacing(error: unknown): error is Error {
  return error instanceof Error && USER_FACING_NAMES.has(error.name);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
