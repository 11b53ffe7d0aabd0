/**
 * File-system failures in words. Some are the machine's state, not a bug (a read-only disk, a
 * full disk, a missing permission): those deserve one line naming the path, never a stack.
 */

const WORDS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
};

/** Failures that come from the machine's state (permissions, space), not from the program. */
const ENVIRONMENTAL = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT']);

export type FsError = NodeJS.ErrnoException & { code: string };

export function isFsError(error: unknown): error is FsError {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code as string);
}

/** `read-only file system (EROFS)`; the error's own message for a code without words here. */
export function describeFsError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  const words = WORDS[code];
  return words ? `${words} (${code})` : error.message;
}

/**
 * One line for a failure of the machine's state (`cannot open /a/b: read-only file system
 * (EROFS)`), or null for anything else, which stays a bug worth its stack.
 */
export function environmentalFsFailure(error: unknown): string | null {
  if (!isFsError(error) || !ENVIRONMENTAL.has(error.code)) return null;
  return `cannot ${error.syscall ?? 'use'} ${error.path ?? '(path unknown)'}: ${describeFsError(error)}`;
}
