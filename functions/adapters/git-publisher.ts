/**
 * Publishes to a branch of a local git repository: the embedded default's stand-in for GitHub.
 * The same port as the GitHub publisher: entries are read one at a time and compared by git
 * blob id, changed ones are written in bounded batches (one git process per batch), one
 * commit holds them all, none when nothing changed; the branch moves by compare-and-swap,
 * never by force. Local git has no request budget, so a publish always completes.
 *
 * When the repository has a work tree checked out on the branch, its files follow the branch
 * after each publish; local edits there are never discarded: a publish over them is refused,
 * naming them, and a branch moved elsewhere is brought into the work tree around them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  assertUniquePaths,
  commitMessageOf,
  PublishConflictError,
  PublishRefusedError,
  type Publisher,
  type PublishRequest,
  type PublishResult,
} from '../core/publisher.js';
import { gitBlobSha } from './git/blob-id.js';
import { GitRepository, type GitIdentity } from './git/repository.js';
import type { TreeChange } from './git/tree-edit.js';
import { describeEdits, WorkTree } from './git/work-tree.js';
import { RUNTIME_DEFAULTS } from '../config/environment.js';

export interface LocalGitPublisherOptions {
  readonly branch?: string;
  readonly author?: { readonly name: string; readonly email: string };
  /** Attempts when another writer moves the branch between our read and our update. */
  readonly maxAttempts?: number;
  /** Changed content held before it is written as blobs (default 32 MiB). */
  readonly maxBatchBytes?: number;
}

const DEFAULT_AUTHOR = { name: 'usage-pipeline', email: 'usage-pipeline@localhost' };
const DEFAULT_BATCH_BYTES = 32 * 1024 * 1024;

export class LocalGitPublisher implements Publisher {
  readonly target: string;
  private readonly workTree: WorkTree | null;

  private constructor(
    private readonly repository: GitRepository,
    workTreeDirectory: string | null,
    private readonly branch: string,
    private readonly options: LocalGitPublisherOptions,
    /** The branch head when opened: where the files are, until a sync records better. */
    private readonly headAtOpen: string | null,
  ) {
    this.target = `${workTreeDirectory ?? repository.gitDir}@${branch}`;
    this.workTree = workTreeDirectory ? new WorkTree(repository, workTreeDirectory) : null;
  }

  /** Opens the repository at `directory`, creating it (with a work tree on the branch) when missing. */
  static async open(directory: string, options: LocalGitPublisherOptions = {}): Promise<LocalGitPublisher> {
    const branch = options.branch ?? RUNTIME_DEFAULTS.githubBranch;
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
    const head = (await repository.readRef(`refs/heads/${branch}`))?.oid ?? null;
    return new LocalGitPublisher(repository, repository.bare ? null : dir, branch, options, head);
  }

  async readFile(filePath: string): Promise<Uint8Array | null> {
    const head = await this.repository.readRef(`refs/heads/${this.branch}`);
    if (!head) return null;
    const entry = await this.repository.treeEntry(head.oid, filePath);
    if (!entry || entry.type !== 'blob') return null;
    return (await this.repository.readObject(entry.oid))?.content ?? null;
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    assertUniquePaths(request.entries);
    const maxAttempts = this.options.maxAttempts ?? 5;
    const ref = `refs/heads/${this.branch}`;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const head = (await this.repository.readRef(ref))?.oid ?? null;
      const baseTree = head ? ((await this.repository.peel(head, 'tree')) ?? undefined) : undefined;
      const { changes, written, deleted } = await this.writeChanges(request, baseTree);
      if (changes.length === 0) return { commit: null, changed: [], head, remaining: [], stoppedBy: null };

      const onBranch = await this.workTreeOnBranch();
      if (onBranch) await this.refuseLocalEdits(head, async () => new Set(written));
      const tree = await this.repository.buildTree(baseTree, changes);
      const identity = this.identity();
      const message = commitMessageOf(request.message, { written: written.length, deleted: deleted.length, remaining: 0 });
      const commit = await this.repository.commitTree({ tree, parents: head ? [head] : [], message, author: identity, committer: identity });
      if ((await this.repository.updateRef(ref, commit, head)) === 'ok') {
        if (onBranch) await this.workTree!.checkout(commit);
        return { commit, changed: [...written, ...deleted].sort(), head: commit, remaining: [], stoppedBy: null };
      }
    }
    throw new PublishConflictError(`${this.target} kept moving while publishing (${maxAttempts} attempts)`);
  }

  /** Reads the entries one at a time and writes the changed ones as blobs, a bounded batch at a time. */
  private async writeChanges(request: PublishRequest, baseTree: string | undefined) {
    const existing = new Map<string, string>();
    if (baseTree) for (const entry of await this.repository.listTree(baseTree, true, false)) if (entry.type === 'blob') existing.set(entry.path, entry.oid);
    const changes: TreeChange[] = [];
    const written: string[] = [];
    const deleted: string[] = [];
    let batch: { path: string; content: Buffer }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      const oids = await this.repository.writeBlobs(batch.map((item) => item.content));
      batch.forEach((item, i) => changes.push({ action: 'set', path: item.path, mode: '100644', type: 'blob', oid: oids[i]! }));
      batch = [];
      batchBytes = 0;
    };
    for (const entry of request.entries) {
      const content = await entry.read();
      if (content === null) {
        if (existing.has(entry.path)) {
          changes.push({ action: 'delete', path: entry.path });
          deleted.push(entry.path);
        }
        continue;
      }
      if (existing.get(entry.path) === gitBlobSha(content)) continue;
      batch.push({ path: entry.path, content: Buffer.from(content.buffer, content.byteOffset, content.byteLength) });
      written.push(entry.path);
      batchBytes += content.byteLength;
      if (batchBytes >= (this.options.maxBatchBytes ?? DEFAULT_BATCH_BYTES)) await flush();
    }
    if (batch.length > 0) await flush();
    return { changes, written, deleted };
  }

  private identity(): GitIdentity {
    const author = this.options.author ?? DEFAULT_AUTHOR;
    return { ...author, timestamp: Math.floor(Date.now() / 1000), timezone: '+0000' };
  }

  private async workTreeOnBranch(): Promise<boolean> {
    return this.workTree !== null && (await this.repository.headBranch()) === this.branch;
  }

  /**
   * Local edits that bringing the work tree to the branch would discard: every changed
   * tracked file, and untracked files at `incoming` paths. `head` is the branch before the change.
   */
  private async editsAtRisk(head: string | null, incoming: (untracked: readonly string[]) => Promise<ReadonlySet<string>>): Promise<string[]> {
    const base = await this.filesAt(head);
    const { tracked, untracked } = await this.workTree!.localEdits(base, head);
    const overwritten = untracked.length > 0 ? await incoming(untracked) : new Set<string>();
    return [...tracked, ...untracked.filter((file) => overwritten.has(file))].sort();
  }

  /** Refuses, naming them, edits at risk (see editsAtRisk). */
  private async refuseLocalEdits(head: string | null, incoming: (untracked: readonly string[]) => Promise<ReadonlySet<string>>): Promise<void> {
    const lost = await this.editsAtRisk(head, incoming);
    if (lost.length > 0) throw new PublishRefusedError(describeEdits(this.workTree!.directory, lost));
  }

  /** The commit the files were last brought to: as recorded, else `fallback`. */
  private async filesAt(fallback: string | null): Promise<string | null> {
    return (await this.workTree!.syncedCommit()) ?? fallback;
  }

  /**
   * Brings a checked-out branch's files up to date with the branch when it moved through the
   * GitHub API (not through this publisher), so the site can be browsed and served from the
   * work tree. The branch has already moved, so local edits are not refused but kept: they stay
   * in the work tree, as edits against the new head. Returns their paths, for a warning.
   */
  async syncWorkTree(): Promise<string[]> {
    if (!(await this.workTreeOnBranch())) return [];
    const head = (await this.repository.readRef(`refs/heads/${this.branch}`))?.oid ?? null;
    const synced = await this.filesAt(this.headAtOpen);
    if (!head || head === synced) return [];
    // The files are at the recorded commit; the branch (the publish) has moved past it.
    const kept = await this.editsAtRisk(synced, () => this.workTree!.filesOf(head));
    await this.workTree!.checkout(head, kept);
    return kept;
  }

  /** Throws, naming them, when the work tree has edits a publish would discard (a check before a run). */
  async assertNoLocalEdits(): Promise<void> {
    if (!(await this.workTreeOnBranch())) return;
    const head = (await this.repository.readRef(`refs/heads/${this.branch}`))?.oid ?? null;
    await this.refuseLocalEdits(head, async () => new Set());
  }
}
