/**
 * The GitHub calls of a publish, on one branch: its head, its tree listing, blobs, trees,
 * commits, the fast-forward ref update, and the Contents API commit that starts an empty
 * repository. Each failure becomes an error that says what was being done and what to check;
 * a refused ref update is told apart from a lost race by reading the branch again.
 */
import { PublishRefusedError } from '../../core/publisher.js';
import { explainFailure, GitHubApiError, githubMessage, statusOf, type GitHubOctokit } from './client.js';
import { decodeText, formatBytes, isInlineText, jsonStringBytes } from './git-objects.js';
import type { TreeListing } from './remote-tree.js';
import type { TreeApi, TreeEntry } from './tree-writer.js';

export interface Head {
  readonly commit: string;
  readonly tree: string;
}

/** The branch's head; null when the branch does not exist; 'empty' when the repository has no commit at all. */
export type HeadState = Head | null | 'empty';

export interface BranchTarget {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
  /** e.g. `github.com/futel/usage@gh-pages`. */
  readonly target: string;
  readonly committer?: { readonly name: string; readonly email: string };
}

const EMPTY_REPOSITORY = /repository is empty/i;

export class GitHubBranch implements TreeApi {
  constructor(
    private readonly octokit: GitHubOctokit,
    private readonly where: BranchTarget,
  ) {}

  private get repository(): string {
    return `${this.where.owner}/${this.where.repo}`;
  }

  private get coordinates() {
    return { owner: this.where.owner, repo: this.where.repo };
  }

  async readHead(): Promise<HeadState> {
    let ref;
    try {
      ref = await this.octokit.rest.git.getRef({ ...this.coordinates, ref: `heads/${this.where.branch}` });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return null;
      if (status === 409 && EMPTY_REPOSITORY.test(githubMessage(error))) return 'empty';
      throw explainFailure(error, `reading branch ${this.where.target}`, this.repository);
    }
    const { sha, type } = ref.data.object;
    if (type !== 'commit') throw new Error(`${this.where.target} points at a ${type} (${sha}), not a commit`);
    const commit = await this.call(`reading commit ${sha} of ${this.where.target}`, () => this.octokit.rest.git.getCommit({ ...this.coordinates, commit_sha: sha }));
    return { commit: sha, tree: commit.data.tree.sha };
  }

  async listTree(sha: string, recursive: boolean): Promise<TreeListing> {
    const { data } = await this.call(`listing tree ${sha} of ${this.where.target}`, () =>
      this.octokit.rest.git.getTree({ ...this.coordinates, tree_sha: sha, ...(recursive ? { recursive: '1' } : {}) }),
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

  async createTree(entries: TreeEntry[], base: string | undefined): Promise<string> {
    const { data } = await this.call(`creating a tree of ${entries.length} entries for ${this.where.target}`, () =>
      this.octokit.rest.git.createTree({ ...this.coordinates, tree: entries, ...(base ? { base_tree: base } : {}) }),
    );
    return data.sha;
  }

  /** A blob, sent as UTF-8 text when that is smaller than base64 (JSON mostly is). */
  async createBlob(path: string, content: Uint8Array, sha: string): Promise<void> {
    const base64Bytes = Math.ceil(content.byteLength / 3) * 4;
    const asText = isInlineText(content) && jsonStringBytes(content) < base64Bytes;
    const body = asText
      ? { content: decodeText(content), encoding: 'utf-8' }
      : { content: Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64'), encoding: 'base64' };
    const { data } = await this.call(`creating the blob of ${path} (${formatBytes(content.byteLength)})`, () =>
      this.octokit.rest.git.createBlob({ ...this.coordinates, ...body }),
    );
    if (data.sha !== sha) throw new Error(`GitHub stored ${path} as blob ${data.sha}, but its content hashes to ${sha}`);
  }

  async createCommit(tree: string, parent: Head | null, message: string): Promise<string> {
    const identity = this.where.committer ? { author: this.where.committer, committer: this.where.committer } : {};
    const { data } = await this.call(`creating the commit for ${this.where.target}`, () =>
      this.octokit.rest.git.createCommit({ ...this.coordinates, message, tree, parents: parent ? [parent.commit] : [], ...identity }),
    );
    return data.sha;
  }

  /**
   * Points the branch at `commit`, fast-forward only. A refusal is a lost race only when the
   * branch really moved: then the new head comes back for the caller to rebuild on. When it did
   * not move, the refusal is for good (protection, rulesets, permissions) and is thrown.
   */
  async moveBranch(parent: Head | null, commit: string): Promise<{ moved: true } | { moved: false; head: HeadState }> {
    try {
      if (parent) await this.octokit.rest.git.updateRef({ ...this.coordinates, ref: `heads/${this.where.branch}`, sha: commit, force: false });
      else await this.octokit.rest.git.createRef({ ...this.coordinates, ref: `refs/heads/${this.where.branch}`, sha: commit });
      return { moved: true };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 422 && status !== 403) throw explainFailure(error, `${parent ? 'updating' : 'creating'} ${this.where.target}`, this.repository);
      const current = await this.readHead();
      const currentCommit = current === null || current === 'empty' ? null : current.commit;
      // The update landed but its answer was lost (a retried request then saw a conflict).
      if (currentCommit === commit) return { moved: true };
      if (currentCommit !== (parent?.commit ?? null)) return { moved: false, head: current };
      throw new PublishRefusedError(
        `GitHub refused to ${parent ? 'update' : 'create'} ${this.where.target} (${status} ${githubMessage(error)}) although the branch has not moved, ` +
          `so this is not a race: check the branch protection rules and rulesets of ${this.repository} and that the token may write its contents; nothing was published`,
        { cause: error },
      );
    }
  }

  /**
   * The first commit of an empty repository, through the Contents API (the Git Data API
   * answers 409 there): one file on the branch, which GitHub creates.
   */
  async createFirstCommit(path: string, content: Uint8Array, message: string): Promise<Head> {
    const identity = this.where.committer ? { author: this.where.committer, committer: this.where.committer } : {};
    const { data } = await this.call(`starting ${this.where.target} in the empty repository ${this.repository} with ${path}`, () =>
      this.octokit.rest.repos.createOrUpdateFileContents({
        ...this.coordinates,
        path,
        branch: this.where.branch,
        message,
        content: Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64'),
        ...identity,
      }),
    );
    const commit = data.commit;
    if (!commit.sha || !commit.tree?.sha) throw new Error(`GitHub answered the first commit of ${this.where.target} without its ids`);
    return { commit: commit.sha, tree: commit.tree.sha };
  }

  /** Runs one GitHub call (retried by the plugins), turning a final failure into a clear error. */
  async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (statusOf(error) === 409 && EMPTY_REPOSITORY.test(githubMessage(error))) {
        throw new GitHubApiError(`${action}: ${this.repository} is an empty repository, which GitHub's Git Data API cannot write to`, 409, { cause: error });
      }
      if (statusOf(error) === 403 && /not accessible by integration/i.test(githubMessage(error))) {
        throw new PublishRefusedError(`${action}: GitHub refused (403 ${githubMessage(error)}); the token needs Contents: write on ${this.repository}`, { cause: error });
      }
      throw explainFailure(error, action, this.repository);
    }
  }
}
