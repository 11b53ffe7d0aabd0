/**
 * What the GitHub publisher tests share: a GitHub emulator per test (github.com's limits on)
 * over a real git repository, a publisher pointed at it, git itself to check the result, and
 * requests built from plain file maps.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PublishEntry, PublishRequest } from '../../../functions/core/publisher.js';
import { GitHubPublisher, type GitHubPublisherOptions, type LogLevel } from '../../../functions/adapters/github-publisher.js';
import { GitHubEmulator, type GitHubEmulatorOptions, type RecordedRequest } from '../../../local/emulators/github-server.js';
import { gitRaw } from '../../support/git.js';

export const owner = 'futel';
export const repo = 'usage';
export const branch = 'gh-pages';
export const refPath = `/repos/${owner}/${repo}/git/ref/heads/${branch}`;

export interface LogEntry {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

export const text = (content: string): Uint8Array => new TextEncoder().encode(content);

/** Entries for a map of files; null content removes the path. */
export const entriesOf = (files: Record<string, string | Uint8Array | null>): PublishEntry[] =>
  Object.entries(files).map(([filePath, content]) => ({
    path: filePath,
    read: async () => (content === null ? null : typeof content === 'string' ? text(content) : content),
  }));

/** A request writing `files` and removing `deletions`, in that order. */
export function publishRequest(files: Record<string, string | Uint8Array>, deletions: readonly string[] = [], message = 'publish'): PublishRequest {
  return { entries: [...entriesOf(files), ...entriesOf(Object.fromEntries(deletions.map((p) => [p, null])))], message };
}

export const writes = (requests: readonly RecordedRequest[]) => requests.filter((request) => request.method !== 'GET');
export const calls = (requests: readonly RecordedRequest[]) => requests.map(({ method, path: p, status }) => `${method} ${p.replace(/[0-9a-f]{40}/g, '<sha>')} ${status}`);

export class GitHubHarness {
  tmp = '';
  emulator!: GitHubEmulator;
  logs: LogEntry[] = [];
  private readonly started: GitHubEmulator[] = [];

  async setUp(options: Partial<GitHubEmulatorOptions> = {}): Promise<void> {
    this.tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'github-publisher-test-'));
    this.emulator = await this.startEmulator(options);
    this.logs = [];
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.started.splice(0).map((instance) => instance.close()));
    await fs.rm(this.tmp, { recursive: true, force: true });
  }

  async startEmulator(overrides: Partial<GitHubEmulatorOptions> = {}): Promise<GitHubEmulator> {
    const instance = await GitHubEmulator.start({ repoDir: path.join(this.tmp, 'usage.git'), owner, repo, ...overrides });
    this.started.push(instance);
    return instance;
  }

  publisherFor(target: GitHubEmulator, overrides: Partial<GitHubPublisherOptions> = {}): GitHubPublisher {
    return new GitHubPublisher({
      owner,
      repo,
      token: 'test-token',
      baseUrl: target.url,
      committer: { name: 'Futel Usage Bot', email: 'usage-bot@futel.example' },
      // Fast tests: no 1 s spacing of writes, and 1 "second" of retry-after or backoff is 5 ms.
      minWriteIntervalMs: 0,
      retryAfterBaseValue: 5,
      log: (level, message, data) => this.logs.push({ level, message, ...(data ? { data } : {}) }),
      ...overrides,
    });
  }

  publisher(overrides: Partial<GitHubPublisherOptions> = {}): GitHubPublisher {
    return this.publisherFor(this.emulator, overrides);
  }

  async git(...args: string[]): Promise<string> {
    return (await gitRaw(this.emulator.gitDir, args)).toString('utf8').trim();
  }

  /** Files of a commit, sorted, as git lists them. */
  async filesAt(treeish: string): Promise<string[]> {
    return (await this.git('ls-tree', '-r', '--name-only', treeish)).split('\n').filter(Boolean);
  }

  /**
   * Someone else's commit on the branch, made with plain git (a temporary index): sets the
   * given files on top of the current head, or makes a root commit when there is no branch.
   */
  async pushWithGit(files: Record<string, string>, message = 'outsider', onBranch = branch): Promise<string> {
    const gitDir = this.emulator.gitDir;
    const parent = (await this.git('for-each-ref', '--format=%(objectname)', `refs/heads/${onBranch}`)) || null;
    const env = { GIT_INDEX_FILE: path.join(this.tmp, `index-${randomBytes(4).toString('hex')}`) };
    if (parent) await gitRaw(gitDir, ['read-tree', parent], { env });
    for (const [filePath, content] of Object.entries(files)) {
      const blob = (await gitRaw(gitDir, ['hash-object', '-w', '--stdin'], { input: content })).toString().trim();
      await gitRaw(gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${filePath}`], { env });
    }
    const tree = (await gitRaw(gitDir, ['write-tree'], { env })).toString().trim();
    const commit = (await gitRaw(gitDir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])).toString().trim();
    await gitRaw(gitDir, ['update-ref', `refs/heads/${onBranch}`, commit, ...(parent ? [parent] : [])]);
    return commit;
  }
}
