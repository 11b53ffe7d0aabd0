/**
 * Publishes the built site to a branch (`gh-pages`) through GitHub's Git Data API, within the
 * limits github.com holds clients to (LIMITS.md).
 *
 * A publish reads the branch head and its tree (one recursive listing), then takes the entries
 * in order, one at a time: it reads each, hashes it as git would and skips it when the branch
 * already has that blob. Changed small text goes inline into tree requests bounded in bytes
 * and entries (GitHub times out on large ones); large files and binaries go as blobs. Then one
 * commit and one fast-forward ref update. At most one request's content is in memory.
 *
 * A publish spends at most `maxContentRequests` content-creating requests (GitHub allows 500
 * an hour) and `maxPublishSeconds`: when the next entry would not fit, it commits the entries
 * before it and reports the rest as remaining, for the next run.
 *
 * The ref is never forced. When the update is refused and the branch has moved, the publish
 * starts over on the new head, a bounded number of times (then PublishConflictError); when the
 * branch has not moved, the refusal is for good (PublishRefusedError). An empty repository
 * gets its first commit through the Contents API, which the Git Data API cannot make.
 */
import {
  assertUniquePaths,
  commitMessageOf,
  PublishConflictError,
  type PublishEntry,
  type PublishRequest,
  type PublishResult,
  type Publisher,
  type PublishStop,
} from '../core/publisher.js';
import { GitHubBranch, type Head, type HeadState } from './github/branch.js';
import { createGitHubClient, DEFAULT_BASE_URL, explainFailure, statusOf, type GitHubLog, type GitHubOctokit, type TokenSource } from './github/client.js';
import { formatBytes, gitBlobSha, GITHUB_FILE_LIMIT_BYTES, GITHUB_FILE_WARNING_BYTES, isInlineText, jsonStringBytes, treePathProblem } from './github/git-objects.js';
import { RemoteTree } from './github/remote-tree.js';
import { DEFAULT_PUBLISH_BUDGET, RequestBudget } from './github/request-budget.js';
import { DEFAULT_TREE_BOUNDS, TreeWriter, type TreeBounds } from './github/tree-writer.js';
import { AdapterError } from './errors.js';
import { RUNTIME_DEFAULTS } from '../config/environment.js';

export { GitHubApiError, type GitHubLog, type LogLevel, type TokenSource } from './github/client.js';
export { gitBlobSha } from './github/git-objects.js';

/** Serialisable (but for `token` as a function and `log`): a child process can build one from JSON. */
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
  /** JSON bytes of one tree request (default 1.5 MiB; GitHub times out past ~2 MB). */
  maxTreeRequestBytes?: number;
  /** Entries of one tree request (default 150; GitHub times out past ~200). */
  maxTreeEntries?: number;
  /** Larger files go as blobs, not inline (default 512 KiB). */
  maxInlineFileBytes?: number;
  /** Content-creating requests one publish may make (default 400; GitHub allows 500 an hour). */
  maxContentRequests?: number;
  /** Seconds after which a publish commits what it has (default 600; the Lambda has 900). */
  maxPublishSeconds?: number;
  /** Largest request body GitHub takes (default 100 MiB). */
  maxRequestBytes?: number;
  /** See GitHubClientOptions. */
  serverErrorRetries?: number;
  rateLimitRetries?: number;
  maxRateLimitWaitSeconds?: number;
  retryAfterBaseValue?: number;
  minWriteIntervalMs?: number;
  /**
   * Against an emulator whose clock runs this many times faster than real time: the waits for
   * `retry-after` and the spacing of writes shrink alike (`maxPublishSeconds` stays real time).
   */
  timeScale?: number;
}

/** A file GitHub cannot take: refused before anything is committed. */
export class FileTooLargeError extends AdapterError {
  static override readonly userFacing = true;
  constructor(
    readonly path: string,
    readonly size: number,
    limit: string,
  ) {
    super(`${path} is ${size} bytes (${formatBytes(size)}); ${limit}: the publish stopped before committing it`);
  }
}

const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;
/** The JSON around a blob's content in its request. */
const BLOB_REQUEST_OVERHEAD_BYTES = 64;

interface Pass {
  readonly writer: TreeWriter;
  readonly tree: string | undefined;
  /** Index of the first entry not taken. */
  readonly end: number;
  readonly stop: PublishStop | null;
}

export class GitHubPublisher implements Publisher {
  readonly target: string;
  private readonly branchName: string;
  private readonly maxAttempts: number;
  private readonly maxRequestBytes: number;
  private readonly bounds: TreeBounds;
  private readonly log: GitHubLog;
  private readonly budget: RequestBudget;
  private readonly octokit: GitHubOctokit;
  private readonly branch: GitHubBranch;

  constructor(private readonly options: GitHubPublisherOptions) {
    this.branchName = options.branch ?? RUNTIME_DEFAULTS.githubBranch;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.bounds = {
      maxTreeRequestBytes: options.maxTreeRequestBytes ?? DEFAULT_TREE_BOUNDS.maxTreeRequestBytes,
      maxTreeEntries: options.maxTreeEntries ?? DEFAULT_TREE_BOUNDS.maxTreeEntries,
      maxInlineFileBytes: options.maxInlineFileBytes ?? DEFAULT_TREE_BOUNDS.maxInlineFileBytes,
    };
    this.log = options.log ?? (() => undefined);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new Error('maxAttempts must be a positive integer');
    for (const [name, value] of Object.entries(this.bounds)) if (!(value > 0)) throw new Error(`${name} must be positive`);
    if (!isBranchName(this.branchName)) throw new Error(`invalid branch name ${JSON.stringify(this.branchName)}`);
    const scale = options.timeScale ?? 1;
    if (!(scale > 0)) throw new Error('timeScale must be positive');
    // Real time: the time budget protects the Lambda's timeout, which no simulation shortens.
    this.budget = new RequestBudget({
      maxContentRequests: options.maxContentRequests ?? DEFAULT_PUBLISH_BUDGET.maxContentRequests,
      maxSeconds: options.maxPublishSeconds ?? DEFAULT_PUBLISH_BUDGET.maxSeconds,
    });

    const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
    const host = new URL(baseUrl).host;
    this.target = `${host === 'api.github.com' ? 'github.com' : host}/${options.owner}/${options.repo}@${this.branchName}`;
    const scaled = (ms: number) => (options.timeScale !== undefined ? ms / scale : undefined);
    const retryAfterBaseValue = options.retryAfterBaseValue ?? scaled(1000);
    const minWriteIntervalMs = options.minWriteIntervalMs ?? scaled(1000);
    this.octokit = createGitHubClient({
      token: options.token,
      baseUrl,
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      log: this.log,
      ...(options.serverErrorRetries !== undefined ? { serverErrorRetries: options.serverErrorRetries } : {}),
      ...(options.rateLimitRetries !== undefined ? { rateLimitRetries: options.rateLimitRetries } : {}),
      ...(options.maxRateLimitWaitSeconds !== undefined ? { maxRateLimitWaitSeconds: options.maxRateLimitWaitSeconds } : {}),
      ...(retryAfterBaseValue !== undefined ? { retryAfterBaseValue } : {}),
      ...(minWriteIntervalMs !== undefined ? { minWriteIntervalMs } : {}),
      onRequest: (method, bytes) => this.budget.record(method, bytes),
    });
    this.branch = new GitHubBranch(this.octokit, {
      owner: options.owner,
      repo: options.repo,
      branch: this.branchName,
      target: this.target,
      ...(options.committer ? { committer: options.committer } : {}),
    });
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const { entries } = request;
    assertUniquePaths(entries, treePathProblem);
    this.budget.start();
    // Blobs written during this publish: a retry on a moved branch reuses them.
    const blobs = new Set<string>();
    const changed: string[] = [];
    let from = 0;
    let state = await this.branch.readHead();
    if (state === 'empty') {
      const started = await this.startEmptyRepository(request);
      if (!started) return this.result(null, changed, null, [], null);
      changed.push(entries[started.index]!.path);
      from = started.index + 1;
      state = started.head;
    }

    for (let attempt = 1; ; attempt++) {
      const head = state === 'empty' ? null : state;
      const pass = await this.writeChanges(entries, from, head, blobs);
      const remaining = entries.slice(pass.end).map((entry) => entry.path);
      const { written, deleted } = pass.writer;
      if (written.length + deleted.length === 0 || (head && pass.tree === head.tree)) {
        if (head && pass.writer.changes > 0) this.log('warn', `the new tree equals the branch's tree; no commit made`, { tree: pass.tree });
        else this.log('info', `nothing more to publish: ${this.target} already holds these files`, { head: head?.commit ?? null });
        return this.result(changed.length > 0 ? (head?.commit ?? null) : null, changed, head?.commit ?? null, remaining, pass.stop);
      }
      const message = commitMessageOf(request.message, { written: written.length, deleted: deleted.length, remaining: remaining.length });
      const commit = await this.branch.createCommit(pass.tree!, head, message);
      const move = await this.branch.moveBranch(head, commit);
      if (move.moved) {
        changed.push(...written, ...deleted);
        this.log('info', `published ${commit} to ${this.target}`, { commit, parent: head?.commit ?? null, changed: written.length + deleted.length, remaining: remaining.length, ...this.budget.requests });
        return this.result(commit, changed, commit, remaining, pass.stop);
      }
      if (attempt >= this.maxAttempts) {
        throw new PublishConflictError(
          `${this.target} kept moving while publishing: the branch changed under each of ${this.maxAttempts} attempts ` +
            `(now at ${describeHead(move.head)}); nothing was published and nothing on the branch was overwritten`,
        );
      }
      this.log('warn', `${this.target} moved during the publish; rebuilding on the new head`, { attempt, expected: head?.commit ?? null, found: describeHead(move.head) });
      state = move.head;
    }
  }

  async readFile(path: string): Promise<Uint8Array | null> {
    const problem = treePathProblem(path);
    if (problem) throw new Error(`invalid path ${JSON.stringify(path)}: ${problem}`);
    let data;
    try {
      // The object media type goes to 100 MB; the default one answers 403 past 1 MB.
      ({ data } = await this.octokit.rest.repos.getContent({ owner: this.options.owner, repo: this.options.repo, path, ref: this.branchName, mediaType: { format: 'object' } }));
    } catch (error) {
      // One answer for a missing file, branch and repository content alike.
      if (statusOf(error) === 404) return null;
      throw explainFailure(error, `reading ${path} from ${this.target}`, `${this.options.owner}/${this.options.repo}`);
    }
    if (Array.isArray(data) || data.type !== 'file') return null;
    let content: Buffer;
    if ('encoding' in data && data.encoding === 'base64' && 'content' in data) {
      content = Buffer.from(data.content, 'base64');
    } else {
      // Past 1 MB the object media type leaves the content out; the blob API goes to 100 MB.
      const blob = await this.branch.call(`reading blob ${data.sha} (${path})`, () =>
        this.octokit.rest.git.getBlob({ owner: this.options.owner, repo: this.options.repo, file_sha: data.sha }),
      );
      content = Buffer.from(blob.data.content, 'base64');
    }
    if (gitBlobSha(content) !== data.sha) throw new Error(`reading ${path} from ${this.target}: the content does not hash to its blob ${data.sha}`);
    // A copy: small decoded Buffers are views into Node's shared pool.
    return new Uint8Array(content);
  }

  /**
   * Takes entries from `from` on while the budget lasts: unchanged ones cost nothing, changed
   * ones go to the tree writer. Returns the tree with the changes and where it stopped.
   */
  private async writeChanges(entries: readonly PublishEntry[], from: number, head: Head | null, blobs: Set<string>): Promise<Pass> {
    const remote = head ? await RemoteTree.load(head.tree, (sha, recursive) => this.branch.listTree(sha, recursive)) : null;
    if (remote && !remote.wasComplete) this.log('info', `the tree of ${this.target} is too large to list at once; reading the directories needed`);
    const writer = new TreeWriter(this.branch, head?.tree, this.bounds, blobs);
    let stop: PublishStop | null = null;
    let index = from;
    for (; index < entries.length; index++) {
      if (this.budget.timeIsUp()) {
        stop = this.budget.stop('time', index, entries.length);
        break;
      }
      const { path } = entries[index]!;
      const content = await entries[index]!.read();
      const existing = remote ? await remote.get(path) : null;
      if (content === null) {
        // Only files are deleted: a directory at that path is not what the caller meant.
        if (!existing || existing.type === 'tree') continue;
        if (!this.budget.allows(writer.costOfDelete(path))) {
          stop = this.budget.stop('content-requests', index, entries.length);
          break;
        }
        await writer.delete(path);
        continue;
      }
      this.checkSize(path, content);
      const sha = gitBlobSha(content);
      if (existing?.type === 'blob' && existing.sha === sha) continue;
      if (!this.budget.allows(writer.costOfWrite(path, content, sha))) {
        stop = this.budget.stop('content-requests', index, entries.length);
        break;
      }
      await writer.write(path, content, sha);
    }
    const tree = await writer.finish();
    if (writer.treeRequests > 1) this.log('info', `wrote the changes as ${writer.treeRequests} chained tree requests`, { requests: writer.treeRequests });
    if (stop) this.log('warn', stop.message, { limit: stop.limit, ...this.budget.requests });
    return { writer, tree, end: index, stop };
  }

  /** The first entry with content becomes the repository's first commit, through the Contents API. */
  private async startEmptyRepository(request: PublishRequest): Promise<{ head: Head; index: number } | null> {
    for (let index = 0; index < request.entries.length; index++) {
      const entry = request.entries[index]!;
      const content = await entry.read();
      if (content === null) continue;
      this.checkSize(entry.path, content);
      this.log('info', `${this.target}: the repository is empty; making its first commit with ${entry.path} through the Contents API`);
      const message = commitMessageOf(request.message, { written: 1, deleted: 0, remaining: request.entries.length - index - 1 });
      return { head: await this.branch.createFirstCommit(entry.path, content, message), index };
    }
    return null;
  }

  private checkSize(path: string, content: Uint8Array): void {
    const size = content.byteLength;
    if (size > GITHUB_FILE_LIMIT_BYTES) throw new FileTooLargeError(path, size, `GitHub refuses files over ${GITHUB_FILE_LIMIT_BYTES} bytes (100 MiB)`);
    const base64 = Math.ceil(size / 3) * 4;
    const body = BLOB_REQUEST_OVERHEAD_BYTES + (isInlineText(content) ? Math.min(jsonStringBytes(content), base64) : base64);
    if (body > this.maxRequestBytes) throw new FileTooLargeError(path, size, `it cannot travel in one request under GitHub's ${this.maxRequestBytes}-byte request limit`);
    if (size > GITHUB_FILE_WARNING_BYTES) this.log('warn', `${path} is ${formatBytes(size)}; GitHub warns about files over 50 MiB`, { path, size });
  }

  private result(commit: string | null, changed: string[], head: string | null, remaining: string[], stoppedBy: PublishStop | null): PublishResult {
    return { commit, changed: [...changed].sort(), head, remaining, stoppedBy, requests: this.budget.requests };
  }
}

function describeHead(head: HeadState): string {
  return head === null || head === 'empty' ? 'nothing' : head.commit;
}

/** The parts of git's ref name rules a branch name can break (git check-ref-format). */
function isBranchName(name: string): boolean {
  return name !== '' && !/[\x00-\x20\x7f~^:?*[\\]/.test(name) && !/(^|\/)\.|\.\.|\/\/|@\{|\.lock(\/|$)|^\/|\/$|\.$/.test(name) && name !== '@';
}
