/**
 * Where the built site goes: the `gh-pages` branch, through the GitHub API in production and a
 * local git repository in the embedded default. A publish is one commit with exactly the
 * changed files, or no commit at all when nothing differs from the branch.
 */

export interface PublishFile {
  /** Repository-relative path, e.g. `data/date/2025/03/20250301.json`. */
  readonly path: string;
  readonly content: Uint8Array;
}

export interface PublishRequest {
  readonly files: readonly PublishFile[];
  /** Repository-relative paths to remove (missing ones are ignored). */
  readonly deletions: readonly string[];
  /** The commit message: a summary of the run. */
  readonly message: string;
}

export interface PublishResult {
  /** The new commit, or null when the branch already held exactly these files. */
  readonly commit: string | null;
  /** Files whose content differed from the branch (added, changed or deleted). */
  readonly changed: readonly string[];
  /** The branch head after the publish. */
  readonly head: string | null;
}

export interface Publisher {
  /** A human-readable target, e.g. `github.com/futel/usage@gh-pages`. */
  readonly target: string;
  publish(request: PublishRequest): Promise<PublishResult>;
  /** A file as it is on the branch now, or null when the branch or the file does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
}

/** A conflict the publisher could not resolve by retrying (e.g. the branch keeps moving). */
export class PublishConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishConflictError';
  }
}
