/**
 * Publishes the built site to a branch (`gh-pages`) through GitHub's Git Data API.
 *
 * A publish reads the branch head and its tree (one recursive listing), hashes every file
 * locally as git would and keeps only those whose blob differs, then writes them all with a
 * single tree request (text inline, binary as blobs; several chained tree requests only when
 * the body would be too large), one commit and one fast-forward ref update. GitHub's secondary
 * rate limits allow about 80 content-creating requests a minute, so the number of requests
 * must not grow with the number of files.
 *
 * The ref is never forced. When the branch moved between the read and the update, the
 * publish starts over on the new head (recomputing what changed against it), a bounded
 * number of times, then gives up with a PublishConflictError: nothing anyone else pushed
 * is ever overwritten.
 */
import {
  PublishConflictError,
  type PublishFile,
  type PublishRequest,
  type PublishResult,
  type Publisher,
} from '../core/publisher.js';
import {
  createGitHubClient,
  DEFAULT_BASE_URL,
  explainFailure,
  GitHubApiError,
  githubMessage,
  statusOf,
  type GitHubLog,
  type GitHubOctokit,
  type TokenSource,
} from './github/client.js';
import {
  decodeText,
  formatBytes,
  gitBlobSha,
  GITHUB_FILE_LIMIT_BYTES,
  GITHUB_FILE_WARNING_BYTES,
  isInlineText,
  jsonStringBytes,
  treePathProblem,
} from './github/git-objects.js';
import { RemoteTree, type TreeListing } from './github/remote-tree.js';

export { GitHubApiError, type GitHubLog, type LogLevel, type TokenSource } from './github/client.js';
export { gitBlobSha } from './github/git-objects.js';

export interface GitHubPublisherOptions {
  owner: string;
  repo: string;
  /** Default `gh-pages`. */
  branch?: string;
  token: TokenSource;
  /** Default https://api.github.com (GitHub Enterprise: `https://host/api/v3`). */
  baseUrl?: string;
  userAgent?: string;
  /** Author and committer of the commits; GitHub uses the token's user when absent. */
  committer?: { name: string; email: string };
  /** Publish attempts when the branch keeps moving under the ref update (default 5). */
  maxAttempts?: number;
  log?: GitHubLog;
  /**
   * Bound on the (JSON-encoded) content of one tree request, default 20 MiB; changes beyond
   * it go into further tree requests, each on the previous one.
   */
  maxTreeRequestBytes?: number;
  /** See GitHubClientOptions. */
  serverErrorRetries?: number;
  rateLimitRetries?: number;
  maxRateLimitWaitSeconds?: number;
  retryAfterBaseValue?: number;
  minWriteIntervalMs?: number;
}

/** A file over GitHub's hard limit: refused before any request is made. */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
  ) {
    super(
      `${path} is ${size} bytes (${formatBytes(size)}); GitHub refuses files over ${GITHUB_FILE_LIMIT_BYTES} bytes (100 MiB), so nothing was published`,
    );
    this.name = 'FileTooLargeError';
  }
}

interface Head {
  readonly commit: string;
  readonly tree: string;
}

interface LocalFile {
  readonly path: string;
  readonly content: Uint8Array;
  readonly sha: string;
}

interface Changes {
  readonly writes: readonly LocalFile[];
  readonly deletes: readonly string[];
}

type TreeEntry =
  | { path: string; mode: '100644'; type: 'blob'; content: string }
  | { path: string; mode: '100644'; type: 'blob'; sha: string | null };

const DEFAULT_MAX_TREE_REQUEST_BYTES = 20 * 1024 * 1024;
/** Room for the JSON around one tree entry (keys, mode, type, separators). */
const ENTRY_OVERHEAD_BYTES = 96;
const EMPTY_REPOSITORY = /repository is empty/i;
/** What GitHub answers when a ref update or creation lost a race with another writer. */
const REF_CONFLICT = /not a fast forward|cannot be updated|reference already exists|reference does not exist|reference update failed/i;

export class GitHubPublisher implements Publisher {
  readonly target: string;
  private readonly owner: string;
  private readonly repo: string;
  private readonly branch: string;
  private readonly maxAttempts: number;
  private readonly maxTreeRequestBytes: number;
  private readonly committer: { name: string; email: string } | undefined;
  private readonly log: GitHubLog;
  private readonly octokit: GitHubOctokit;

  constructor(options: GitHubPublisherOptions) {
    this.owner = options.owner;
    this.repo = options.repo;
    this.branch = options.branch ?? 'gh-pages';
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxTreeRequestBytes = options.maxTreeRequestBytes ?? DEFAULT_MAX_TREE_REQUEST_BYTES;
    this.committer = options.committer;
    this.log = options.log ?? (() => undefined);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new Error('maxAttempts must be a positive integer');
    if (!(this.maxTreeRequestBytes > 0)) throw new Error('maxTreeRequestBytes must be positive');
    if (!isBranchName(this.branch)) throw new Error(`invalid branch name ${JSON.stringify(this.branch)}`);

    const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
    const host = new URL(baseUrl).host;
    this.target = `${host === 'api.github.com' ? 'github.com' : host}/${this.owner}/${this.repo}@${this.branch}`;
    this.octokit = createGitHubClient({
      token: options.token,
      baseUrl,
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      log: this.log,
      ...(options.serverErrorRetries !== undefined ? { serverErrorRetries: options.serverErrorRetries } : {}),
      ...(options.rateLimitRetries !== undefined ? { rateLimitRetries: options.rateLimitRetries } : {}),
      ...(options.maxRateLimitWaitSeconds !== undefined ? { maxRateLimitWaitSeconds: options.maxRateLimitWaitSeconds } : {}),
      ...(options.retryAfterBaseValue !== undefined ? { retryAfterBaseValue: options.retryAfterBaseValue } : {}),
      ...(options.minWriteIntervalMs !== undefined ? { minWriteIntervalMs: options.minWriteIntervalMs } : {}),
    });
  }

  private get repository(): string {
    return `${this.owner}/${this.repo}`;
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const { files, deletions } = this.prepare(request);
    // Blobs already written during this publish: a retry on a moved branch reuses them.
    const blobsWritten = new Set<string>();

    let head = await this.readHead();
    for (let attempt = 1; ; attempt++) {
      const changes = await this.changesAgainst(head, files, deletions);
      const changed = [...changes.writes.map((file) => file.path), ...changes.deletes].sort();
      if (changed.length === 0) {
        this.log('info', `nothing to publish: ${this.target} already holds these ${files.length} files`, { head: head?.commit ?? null });
        return { commit: null, changed: [], head: head?.commit ?? null };
      }
      this.log('info', `publishing ${changed.length} changed paths of ${files.length} files to ${this.target}`, {
        attempt,
        head: head?.commit ?? null,
        writes: changes.writes.length,
        deletes: changes.deletes.length,
      });

      const tree = await this.writeTree(head?.tree, changes, blobsWritten);
      if (head && tree === head.tree) {
        // Local hashes said otherwise, so this would be an empty commit: refuse to make it.
        this.log('warn', `the new tree equals the branch's tree; no commit made`, { tree, changed });
        return { commit: null, changed: [], head: head.commit };
      }
      const commit = await this.createCommit(tree, head, request.message);
      if (await this.moveBranch(head, commit)) {
        this.log('info', `published ${commit} to ${this.target}`, { commit, parent: head?.commit ?? null, changed: changed.length });
        return { commit, changed, head: commit };
      }

      const current = await this.readHead();
      if (current?.commit === commit) {
        // The update landed but its answer was lost (a retried request then saw a conflict).
        return { commit, changed, head: commit };
      }
      if (attempt >= this.maxAttempts) {
        throw new PublishConflictError(
          `${this.target} kept moving while publishing: the branch changed under each of ${this.maxAttempts} attempts ` +
            `(now at ${current?.commit ?? 'nothing'}); nothing was published and nothing on the branch was overwritten`,
        );
      }
      this.log('warn', `${this.target} moved during the publish; rebuilding on the new head`, {
        attempt,
        expected: head?.commit ?? null,
        found: current?.commit ?? null,
      });
      head = current;
    }
  }

  async readFile(path: string): Promise<Uint8Array | null> {
    const problem = treePathProblem(path);
    if (problem) throw new Error(`invalid path ${JSON.stringify(path)}: ${problem}`);
    let data;
    try {
      ({ data } = await this.octokit.rest.repos.getContent({ owner: this.owner, repo: this.repo, path, ref: this.branch }));
    } catch (error) {
      // One answer for a missing file, branch and repository content alike.
      if (statusOf(error) === 404) return null;
      throw explainFailure(error, `reading ${path} from ${this.target}`, this.repository);
    }
    if (Array.isArray(data) || data.type !== 'file') return null;

    let content: Buffer;
    if ('encoding' in data && data.encoding === 'base64' && 'content' in data) {
      content = Buffer.from(data.content, 'base64');
    } else {
      // Over 1 MB the contents API leaves the content out; the blob API goes to 100 MB.
      const blob = await this.call(`reading blob ${data.sha} (${path})`, () =>
        this.octokit.rest.git.getBlob({ owner: this.owner, repo: this.repo, file_sha: data.sha }),
      );
      content = Buffer.from(blob.data.content, 'base64');
    }
    if (gitBlobSha(content) !== data.sha) {
      throw new Error(`reading ${path} from ${this.target}: the content does not hash to its blob ${data.sha}`);
    }
    // A copy: small decoded Buffers are views into Node's shared pool.
    return new Uint8Array(content);
  }

  /** Checks the request before any network call and hashes every file once. */
  private prepare(request: PublishRequest): { files: LocalFile[]; deletions: string[] } {
    const seen = new Set<string>();
    const claim = (path: string, what: string): void => {
      const problem = treePathProblem(path);
      if (problem) throw new Error(`cannot publish ${what} ${JSON.stringify(path)}: the path ${problem}`);
      if (seen.has(path)) throw new Error(`cannot publish: ${JSON.stringify(path)} appears more than once among the files and deletions`);
      seen.add(path);
    };
    for (const file of request.files) {
      claim(file.path, 'file');
      if (file.content.byteLength > GITHUB_FILE_LIMIT_BYTES) throw new FileTooLargeError(file.path, file.content.byteLength);
    }
    for (const path of request.deletions) claim(path, 'deletion');

    const files = request.files.map((file: PublishFile): LocalFile => {
      if (file.content.byteLength > GITHUB_FILE_WARNING_BYTES) {
        this.log('warn', `${file.path} is ${formatBytes(file.content.byteLength)}; GitHub warns about files over 50 MiB`, {
          path: file.path,
          size: file.content.byteLength,
        });
      }
      return { path: file.path, content: file.content, sha: gitBlobSha(file.content) };
    });
    return { files, deletions: [...request.deletions] };
  }

  /** The branch head, or null when the branch (or the whole repository) has nothing yet. */
  private async readHead(): Promise<Head | null> {
    let ref;
    try {
      ref = await this.octokit.rest.git.getRef({ owner: this.owner, repo: this.repo, ref: `heads/${this.branch}` });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || (status === 409 && EMPTY_REPOSITORY.test(githubMessage(error)))) return null;
      throw explainFailure(error, `reading branch ${this.target}`, this.repository);
    }
    const { sha, type } = ref.data.object;
    if (type !== 'commit') throw new Error(`${this.target} points at a ${type} (${sha}), not a commit`);
    const commit = await this.call(`reading commit ${sha} of ${this.target}`, () =>
      this.octokit.rest.git.getCommit({ owner: this.owner, repo: this.repo, commit_sha: sha }),
    );
    return { commit: sha, tree: commit.data.tree.sha };
  }

  private async changesAgainst(head: Head | null, files: readonly LocalFile[], deletions: readonly string[]): Promise<Changes> {
    if (!head) return { writes: files, deletes: [] };
    const tree = await RemoteTree.load(head.tree, (sha, recursive) => this.listTree(sha, recursive));
    if (!tree.wasComplete) this.log('info', `the tree of ${this.target} is too large to list at once; reading the directories needed`, { tree: head.tree });

    const writes: LocalFile[] = [];
    for (const file of files) {
      const entry = await tree.get(file.path);
      if (!entry || entry.type !== 'blob' || entry.sha !== file.sha) writes.push(file);
    }
    const deletes: string[] = [];
    for (const path of deletions) {
      const entry = await tree.get(path);
      // Only files are deleted: a directory at that path is not what the caller meant.
      if (entry && entry.type !== 'tree') deletes.push(path);
    }
    if (tree.requestCount > 1) this.log('debug', `listed the tree of ${this.target} in ${tree.requestCount} requests`);
    return { writes, deletes };
  }

  private async listTree(sha: string, recursive: boolean): Promise<TreeListing> {
    const { data } = await this.call(`listing tree ${sha} of ${this.target}`, () =>
      this.octokit.rest.git.getTree({ owner: this.owner, repo: this.repo, tree_sha: sha, ...(recursive ? { recursive: '1' } : {}) }),
    );
    return {
      truncated: data.truncated,
      entries: data.tree.flatMap((entry) =>
        entry.path !== undefined && entry.sha !== undefined && entry.type !== undefined && entry.mode !== undefined
          ? [{ path: entry.path, mode: entry.mode, type: entry.type, sha: entry.sha }]
          : [],
      ),
    };
  }

  /**
   * Writes the changes as one tree on `baseTree`, or as a chain of trees when the content
   * would make one request body too large. Returns the final tree.
   */
  private async writeTree(baseTree: string | undefined, changes: Changes, blobsWritten: Set<string>): Promise<string> {
    // Binary content cannot travel inline: it becomes blobs first (one request each, but
    // the site is JSON, so these are few).
    for (const file of changes.writes) {
      if (blobsWritten.has(file.sha) || isInlineText(file.content)) continue;
      await this.createBlob(file);
      blobsWritten.add(file.sha);
    }

    let base = baseTree;
    let batch: TreeEntry[] = [];
    let batchBytes = 0;
    let requests = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const entries = batch;
      batch = [];
      batchBytes = 0;
      requests++;
      const { data } = await this.call(`creating a tree of ${entries.length} entries for ${this.target}`, () =>
        this.octokit.rest.git.createTree({ owner: this.owner, repo: this.repo, tree: entries, ...(base ? { base_tree: base } : {}) }),
      );
      base = data.sha;
    };
    const add = async (entry: TreeEntry, bytes: number): Promise<void> => {
      if (batchBytes > 0 && batchBytes + bytes > this.maxTreeRequestBytes) await flush();
      batch.push(entry);
      batchBytes += bytes;
    };

    for (const file of changes.writes) {
      if (blobsWritten.has(file.sha)) {
        await add({ path: file.path, mode: '100644', type: 'blob', sha: file.sha }, file.path.length + ENTRY_OVERHEAD_BYTES);
      } else {
        // Decoded only here, one request's worth at a time, to keep memory to one batch.
        const content = decodeText(file.content);
        await add({ path: file.path, mode: '100644', type: 'blob', content }, file.path.length + ENTRY_OVERHEAD_BYTES + jsonStringBytes(file.content));
      }
    }
    for (const path of changes.deletes) {
      await add({ path, mode: '100644', type: 'blob', sha: null }, path.length + ENTRY_OVERHEAD_BYTES);
    }
    await flush();
    if (requests > 1) this.log('info', `wrote the changes as ${requests} chained tree requests`, { requests });
    if (!base) throw new Error('no tree was written');
    return base;
  }

  private async createBlob(file: LocalFile): Promise<void> {
    const content = Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength).toString('base64');
    const { data } = await this.call(`creating the blob of ${file.path} (${formatBytes(file.content.byteLength)})`, () =>
      this.octokit.rest.git.createBlob({ owner: this.owner, repo: this.repo, content, encoding: 'base64' }),
    );
    if (data.sha !== file.sha) {
      throw new Error(`GitHub stored ${file.path} as blob ${data.sha}, but its content hashes to ${file.sha}`);
    }
  }

  private async createCommit(tree: string, head: Head | null, message: string): Promise<string> {
    const identity = this.committer ? { author: this.committer, committer: this.committer } : {};
    const { data } = await this.call(`creating the commit for ${this.target}`, () =>
      this.octokit.rest.git.createCommit({
        owner: this.owner,
        repo: this.repo,
        message,
        tree,
        parents: head ? [head.commit] : [],
        ...identity,
      }),
    );
    return data.sha;
  }

  /** Points the branch at `commit`, fast-forward only; false when another writer got there first. */
  private async moveBranch(head: Head | null, commit: string): Promise<boolean> {
    try {
      if (head) {
        await this.octokit.rest.git.updateRef({ owner: this.owner, repo: this.repo, ref: `heads/${this.branch}`, sha: commit, force: false });
      } else {
        await this.octokit.rest.git.createRef({ owner: this.owner, repo: this.repo, ref: `refs/heads/${this.branch}`, sha: commit });
      }
      return true;
    } catch (error) {
      if (statusOf(error) === 422 && REF_CONFLICT.test(githubMessage(error))) return false;
      throw explainFailure(error, `${head ? 'updating' : 'creating'} ${this.target}`, this.repository);
    }
  }

  /** Runs one GitHub call (retried by the plugins), turning a final failure into a clear error. */
  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (statusOf(error) === 409 && EMPTY_REPOSITORY.test(githubMessage(error))) {
        throw new GitHubApiError(
          `${action}: ${this.repository} is an empty repository, and GitHub's Git Data API cannot make its first commit; ` +
            `push any commit to it (e.g. a README on the default branch), then publish again`,
          409,
          { cause: error },
        );
      }
      throw explainFailure(error, action, this.repository);
    }
  }
}

/** The parts of git's ref name rules a branch name can break (git check-ref-format). */
function isBranchName(name: string): boolean {
  return (
    name !== '' &&
    !/[\x00-\x20\x7f~^:?*[\\]/.test(name) &&
    !/(^|\/)\.|\.\.|\/\/|@\{|\.lock(\/|$)|^\/|\/$|\.$/.test(name) &&
    name !== '@'
  );
}
