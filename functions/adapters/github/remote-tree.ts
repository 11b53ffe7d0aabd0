/**
 * The file listing of a commit's tree on GitHub, read with as few requests as the tree
 * allows: one recursive listing when GitHub answers it whole. A recursive listing stops at
 * GitHub's limits (100,000 entries or 7 MB) with `truncated: true`; then the directories on
 * the way to the paths asked about are listed one level at a time, and each subtree is
 * tried recursively again, since it usually fits.
 */

export interface RemoteEntry {
  readonly mode: string;
  readonly type: string;
  readonly sha: string;
}

export interface TreeListing {
  readonly truncated: boolean;
  /** Paths relative to the listed tree. */
  readonly entries: readonly (RemoteEntry & { readonly path: string })[];
}

export type ListTree = (sha: string, recursive: boolean) => Promise<TreeListing>;

export class RemoteTree {
  /** Known entries by full path. */
  private readonly entries = new Map<string, RemoteEntry>();
  /** Directories ('' is the root) whose whole subtree is in `entries`. */
  private readonly complete = new Set<string>();
  /** Directories whose direct children are in `entries`. */
  private readonly listed = new Set<string>();
  private requests = 0;

  private constructor(private readonly list: ListTree) {}

  static async load(rootSha: string, list: ListTree): Promise<RemoteTree> {
    const tree = new RemoteTree(list);
    await tree.loadDirectory('', rootSha);
    return tree;
  }

  /** Tree listing requests made so far. */
  get requestCount(): number {
    return this.requests;
  }

  /** True when one recursive listing held the whole tree. */
  get wasComplete(): boolean {
    return this.complete.has('');
  }

  /** The entry at `path`, or null when the tree has nothing there. */
  async get(path: string): Promise<RemoteEntry | null> {
    const segments = path.split('/');
    let directory = '';
    for (const segment of segments.slice(0, -1)) {
      if (this.complete.has(directory)) break;
      const child = directory === '' ? segment : `${directory}/${segment}`;
      const entry = this.entries.get(child);
      if (!entry || entry.type !== 'tree') return null;
      if (!this.complete.has(child) && !this.listed.has(child)) await this.loadDirectory(child, entry.sha);
      directory = child;
    }
    return this.entries.get(path) ?? null;
  }

  private async loadDirectory(directory: string, sha: string): Promise<void> {
    const prefix = directory === '' ? '' : `${directory}/`;
    this.requests++;
    const deep = await this.list(sha, true);
    if (!deep.truncated) {
      for (const { path, ...entry } of deep.entries) this.entries.set(prefix + path, entry);
      this.complete.add(directory);
      return;
    }
    // A truncated listing does not say which directories it covered, so none of it is used.
    this.requests++;
    const shallow = await this.list(sha, false);
    if (shallow.truncated) {
      throw new Error(`the directory ${directory === '' ? '/' : directory} (tree ${sha}) has more entries than GitHub lists`);
    }
    for (const { path, ...entry } of shallow.entries) this.entries.set(prefix + path, entry);
    this.listed.add(directory);
  }
}
