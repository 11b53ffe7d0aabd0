/**
 * A site checked out on the published branch, whose files follow the branch, and the local
 * edits there that bringing them up to date would discard: changed tracked files (staged or
 * not) and untracked files where the branch now has a file. Publishing refuses to go over them.
 *
 * The branch may move without the files (through the GitHub API), so the commit the files were
 * last brought to is recorded in the git directory, and edits are measured against it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GitRepository } from './repository.js';

/** How many paths a one-line message names before "and N more". */
const NAMED_PATHS = 5;
const SYNCED_FILE = 'usage-pipeline-synced';
/** Where local edits wait while the files under them are brought up to date. */
const KEPT_DIRECTORY = 'usage-pipeline-kept';

export class WorkTree {
  constructor(
    private readonly repository: GitRepository,
    readonly directory: string,
  ) {}

  private run(args: readonly string[], okExitCodes: readonly number[] = []) {
    // From the top of the work tree: ls-files names paths relative to where it runs.
    return this.repository.run(['-C', this.directory, '--work-tree', this.directory, ...args], {
      env: { GIT_INDEX_FILE: path.join(this.repository.gitDir, 'index') },
      okExitCodes,
    });
  }

  private async paths(args: readonly string[]): Promise<string[]> {
    const { stdout } = await this.run(args);
    return stdout.toString('utf8').split('\0').filter(Boolean);
  }

  /** The commit the files were last brought to; null when never (or by an older version). */
  async syncedCommit(): Promise<string | null> {
    const recorded = await fs.readFile(path.join(this.repository.gitDir, SYNCED_FILE), 'utf8').catch(() => '');
    return this.repository.isOid(recorded.trim()) ? recorded.trim() : null;
  }

  /**
   * Local edits: tracked files that differ from both `base` (the commit the files were last
   * brought to) and `head` (the branch now: a commit made in the work tree is no edit), or
   * whose file differs from the index; and untracked files.
   */
  async localEdits(base: string | null, head: string | null): Promise<{ tracked: string[]; untracked: string[] }> {
    // Stat information only: a file touched but unchanged is not an edit.
    await this.run(['update-index', '-q', '--refresh'], [1]);
    const stagedAgainst = (commit: string | null) => (commit ? this.paths(['diff-index', '--cached', '--name-only', '-z', commit, '--']) : this.paths(['ls-files', '-z']));
    const sinceHead = new Set(await stagedAgainst(head));
    const staged = base === head ? [...sinceHead] : (await stagedAgainst(base)).filter((file) => sinceHead.has(file));
    const unstaged = await this.paths(['diff-files', '--name-only', '-z']);
    return { tracked: [...new Set([...staged, ...unstaged])].sort(), untracked: (await this.paths(['ls-files', '--others', '-z'])).sort() };
  }

  /** The files of a commit. */
  async filesOf(commit: string): Promise<Set<string>> {
    return new Set(await this.paths(['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit]));
  }

  /**
   * Makes the files those of `commit`, except `keep`: paths with local edits, which come back
   * as they were (a removed file stays removed), now showing as edits against `commit`.
   */
  async checkout(commit: string, keep: readonly string[] = []): Promise<void> {
    const saved = path.join(this.repository.gitDir, KEPT_DIRECTORY);
    await fs.rm(saved, { recursive: true, force: true });
    const present: string[] = [];
    for (const file of keep) {
      const copy = await fs.cp(path.join(this.directory, file), path.join(saved, file), { recursive: true }).then(() => true, () => false);
      if (copy) present.push(file);
    }
    // By object id: run inside the git directory, a ref name would also read as a file path.
    await this.run(['reset', '--hard', '--quiet', commit]);
    for (const file of keep) {
      await fs.rm(path.join(this.directory, file), { recursive: true, force: true });
      if (present.includes(file)) await fs.cp(path.join(saved, file), path.join(this.directory, file), { recursive: true });
    }
    await fs.rm(saved, { recursive: true, force: true });
    await fs.writeFile(path.join(this.repository.gitDir, SYNCED_FILE), `${commit}\n`);
  }
}

/** One line naming the edited paths, for an error. */
export function describeEdits(directory: string, edits: readonly string[]): string {
  const named = edits.slice(0, NAMED_PATHS).join(', ');
  const more = edits.length > NAMED_PATHS ? ` and ${edits.length - NAMED_PATHS} more` : '';
  return `${directory} has local edits that publishing would discard: ${named}${more}; commit, stash (git -C ${directory} stash --include-untracked) or remove them, then run again`;
}
