/**
 * Publishes to a branch of a local git repository: the embedded default's stand-in for GitHub.
 * One commit per publish with only the changed files (compared by git blob hash), none when
 * nothing changed; the branch moves by compare-and-swap, never by force.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PublishConflictError, type Publisher, type PublishRequest, type PublishResult } from '../core/publisher.js';
import { gitBlobSha } from './git/blob-id.js';
import { GitRepository, type GitIdentity, type TreeChange } from './git/repository.js';

export interface LocalGitPublisherOptions {
  readonly branch?: string;
  readonly author?: { readonly name: string; readonly email: string };
  /** Attempts when another writer moves the branch between our read and our update. */
  readonly maxAttempts?: number;
}

const DEFAULT_AUTHOR = { name: 'usage-pipeline', email: 'usage-pipeline@localhost' };

export class LocalGitPublisher implements Publisher {
  readonly target: string;

  private constructor(
    private readonly repository: GitRepository,
    private readonly workTree: string | null,
    private readonly branch: string,
    private readonly options: LocalGitPublisherOptions,
  ) {
    this.target = `${workTree ?? repository.gitDir}@${branch}`;
  }

  /** Opens the repository at `directory`, creating it (with a work tree on the branch) when missing. */
  static async open(directory: string, options: LocalGitPublisherOptions = {}): Promise<LocalGitPublisher> {
    const branch = options.branch ?? 'gh-pages';
    const dir = path.resolve(directory);
    const exists = await fs.stat(path.join(dir, '.git')).then(() => true, () => false);
    const empty = !(await fs.readdir(dir).then((entries) => entries.length > 0, () => false));
    if (!exists && empty) {
      await fs.mkdir(dir, { recursive: true });
      const { execFile } = await import('node:child_process');
      await new Promise<void>((resolve, reject) =>
        execFile('git', ['init', '--quiet', `--initial-branch=${branch}`, dir], (error) => (error ? reject(error) : resolve())),
      );
    }
    const repository = await GitRepository.open(dir);
    return new LocalGitPublisher(repository, repository.bare ? null : dir, branch, options);
  }

  async readFile(filePath: string): Promise<Uint8Array | null> {
    const head = await this.repository.readRef(`refs/heads/${this.branch}`);
    if (!head) return null;
    const entry = await this.repository.treeEntry(head.oid, filePath);
    if (!entry || entry.type !== 'blob') return null;
    return (await this.repository.readObject(entry.oid))?.content ?? null;
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const ref = `refs/heads/${this.branch}`;
      const head = (await this.repository.readRef(ref))?.oid ?? null;
      const baseTree = head ? ((await this.repository.peel(head, 'tree')) ?? undefined) : undefined;
      const existing = new Map<string, string>();
      if (baseTree) for (const entry of await this.repository.listTree(baseTree, true, false)) if (entry.type === 'blob') existing.set(entry.path, entry.oid);

      const changed = request.files.filter((file) => existing.get(file.path) !== gitBlobSha(file.content));
      const deletions = request.deletions.filter((p) => existing.has(p) && !request.files.some((f) => f.path === p));
      if (changed.length === 0 && deletions.length === 0) return { commit: null, changed: [], head };

      const oids = await this.repository.writeBlobs(changed.map((file) => Buffer.from(file.content)));
      const changes: TreeChange[] = [
        ...changed.map((file, i): TreeChange => ({ action: 'set', path: file.path, mode: '100644', type: 'blob', oid: oids[i] as string })),
        ...deletions.map((p): TreeChange => ({ action: 'delete', path: p })),
      ];
      const tree = await this.repository.buildTree(baseTree, changes);
      const identity = this.identity();
      const commit = await this.repository.commitTree({ tree, parents: head ? [head] : [], message: request.message, author: identity, committer: identity });
      if ((await this.repository.updateRef(ref, commit, head)) === 'ok') {
        await this.syncWorkTree();
        return { commit, changed: [...changed.map((f) => f.path), ...deletions], head: commit };
      }
    }
    throw new PublishConflictError(`${this.target} kept moving while publishing (${maxAttempts} attempts)`);
  }

  private identity(): GitIdentity {
    const author = this.options.author ?? DEFAULT_AUTHOR;
    return { ...author, timestamp: Math.floor(Date.now() / 1000), timezone: '+0000' };
  }

  /**
   * Keeps a checked-out branch's files in step with the branch, so the site can be browsed
   * (and served) from the work tree. The work tree belongs to the publisher: local edits to
   * published files are discarded.
   */
  async syncWorkTree(): Promise<void> {
    if (!this.workTree || (await this.repository.headBranch()) !== this.branch) return;
    const head = await this.repository.readRef(`refs/heads/${this.branch}`);
    if (!head) return;
    // By object id: run inside the git directory, a ref name would also read as a file path.
    await this.repository.run(['--work-tree', this.workTree, 'reset', '--hard', '--quiet', head.oid], {
      env: { GIT_INDEX_FILE: path.join(this.repository.gitDir, 'index') },
    });
  }
}
