/**
 * Where the built site goes: the `gh-pages` branch, through the GitHub API in production and a
 * local git repository in the embedded default.
 *
 * A publish reads its files one at a time, as it gets to them, and compares each with the
 * branch by git blob id: an unchanged file costs no request and is never held in memory. Only
 * changed paths go into the commit; nothing changed means no commit. A publisher with a budget
 * (GitHub's content-creating requests per hour, a Lambda's minutes) may stop before the end:
 * it then commits a prefix of the entries, in the order given, and reports the rest as
 * remaining, so a caller that orders its paths keeps the branch consistent after every commit.
 */
import { CoreError } from './errors.js';

export interface PublishEntry {
  /** Repository-relative path, e.g. `data/date/2025/03/20250301.json`. */
  readonly path: string;
  /**
   * The content to publish, read when the publisher gets to the entry (again if it must
   * start over on a moved branch); null removes the path from the branch (missing: ignored).
   */
  read(): Promise<Uint8Array | null>;
}

/** What a commit of a (possibly partial) publish holds, for its message. */
export interface CommitSummary {
  readonly written: number;
  readonly deleted: number;
  /** Entries left for a later publish (0 when this commit completes the request). */
  readonly remaining: number;
}

export interface PublishRequest {
  /** In publishing order: a partial publish commits a prefix of it. */
  readonly entries: readonly PublishEntry[];
  /** The commit message, or a function of what the commit holds. */
  readonly message: string | ((summary: CommitSummary) => string);
}

/** A budget that stopped a publish before its last entry. */
export interface PublishStop {
  readonly limit: 'content-requests' | 'time';
  /** One line: the limit, its value and the setting that changes it. */
  readonly message: string;
}

export interface PublishRequests {
  /** HTTP requests made, retries included. */
  readonly total: number;
  /** Of which content-creating (POST, PATCH, PUT, DELETE). */
  readonly contentCreating: number;
  readonly largestBodyBytes: number;
}

export interface PublishResult {
  /** The last commit made, or null when the branch already held these files (or nothing fit). */
  readonly commit: string | null;
  /** Paths whose content on the branch this publish changed (written or deleted). */
  readonly changed: readonly string[];
  /** The branch head after the publish. */
  readonly head: string | null;
  /** Paths of the entries not published yet, in order; empty when the request is done. */
  readonly remaining: readonly string[];
  /** What stopped the publish early, or null. */
  readonly stoppedBy: PublishStop | null;
  /** Requests to a remote, where there is one. */
  readonly requests?: PublishRequests;
}

export interface Publisher {
  /** A human-readable target, e.g. `github.com/futel/usage@gh-pages`. */
  readonly target: string;
  publish(request: PublishRequest): Promise<PublishResult>;
  /** A file as it is on the branch now, or null when the branch or the file does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
}

/** A conflict the publisher could not resolve by retrying (e.g. the branch keeps moving). */
export class PublishConflictError extends CoreError {
  static override readonly retryable = true;
}

/**
 * The target refused the publish for a reason retrying cannot cure: a protected branch, a
 * ruleset, a missing permission, an empty repository it cannot start, local edits it would
 * discard. Never retried as a race.
 */
export class PublishRefusedError extends CoreError {
  static override readonly userFacing = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function commitMessageOf(message: PublishRequest['message'], summary: CommitSummary): string {
  return typeof message === 'string' ? message : message(summary);
}

/** Refuses a request that names a path twice, before anything is read or sent. */
export function assertUniquePaths(entries: readonly PublishEntry[], check?: (path: string) => string | null): void {
  const seen = new Set<string>();
  for (const { path } of entries) {
    const problem = check?.(path);
    if (problem) throw new Error(`cannot publish ${JSON.stringify(path)}: the path ${problem}`);
    if (seen.has(path)) throw new Error(`cannot publish: ${JSON.stringify(path)} appears more than once`);
    seen.add(path);
  }
}
