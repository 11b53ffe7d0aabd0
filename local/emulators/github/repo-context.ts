/**
 * What the emulator's repository endpoints share: the git repository, GitHub's response
 * shapes for its objects, the limits in force and the serialised write queue.
 */
import { z } from 'zod';
import type { GitIdentity, GitObjectType, RefRecord, TreeEntryRecord } from '../../../functions/adapters/git/repository.js';
import type { CommitRecord, EmulatorRepository } from './emulator-repository.js';
import { INITIAL_BRANCH } from '../../../functions/adapters/git/repository.js';
import { isoSeconds, repositoryEmpty, unprocessable, type ApiResponse } from './http.js';
import type { RequestLimiter } from './limits.js';

export interface RepoContextOptions {
  git: EmulatorRepository;
  owner: string;
  repo: string;
  /** Emulator base URL, for the `url` fields GitHub returns. */
  baseUrl: string;
  /** Runs a write after every previously queued write of this repository. */
  serialize<T>(task: () => Promise<T>): Promise<T>;
  limiter: RequestLimiter;
  /** Author of commits created without one (GitHub uses the token's user). */
  identity: { name: string; email: string };
  now(): Date;
}

/** Characters that would break (or forge lines of) the commit header git writes. */
const identityText = z
  .string()
  .min(1)
  .refine((value) => !/[<>\n\r\0]/.test(value), 'must not contain <, >, newlines or NUL');
export const identitySchema = z.object({
  name: identityText,
  email: identityText,
  date: z.string().optional(),
});

export class RepoContext {
  readonly git: EmulatorRepository;
  readonly repoUrl: string;
  readonly htmlRepoUrl: string;

  constructor(readonly options: RepoContextOptions) {
    this.git = options.git;
    this.repoUrl = `${options.baseUrl}/repos/${options.owner}/${options.repo}`;
    this.htmlRepoUrl = `${options.baseUrl}/${options.owner}/${options.repo}`;
  }

  get limits() {
    return this.options.limiter.limits;
  }

  serialize<T>(task: () => Promise<T>): Promise<T> {
    return this.options.serialize(task);
  }

  objectUrl(type: GitObjectType, sha: string): string {
    return `${this.repoUrl}/git/${type}s/${sha}`;
  }

  created<T extends { url: string }>(body: T): ApiResponse {
    return { status: 201, body, headers: { location: body.url } };
  }

  refBody(record: RefRecord) {
    return {
      ref: record.ref,
      url: `${this.repoUrl}/git/${record.ref}`,
      object: { sha: record.oid, type: record.type, url: this.objectUrl(record.type, record.oid) },
    };
  }

  commitBody(commit: CommitRecord) {
    const identityBody = (identity: GitIdentity) => ({
      name: identity.name,
      email: identity.email,
      date: isoSeconds(new Date(identity.timestamp * 1000)),
    });
    return {
      sha: commit.oid,
      url: this.objectUrl('commit', commit.oid),
      html_url: `${this.htmlRepoUrl}/commit/${commit.oid}`,
      author: identityBody(commit.author),
      committer: identityBody(commit.committer),
      message: commit.message,
      tree: { sha: commit.tree, url: this.objectUrl('tree', commit.tree) },
      parents: commit.parents.map((sha) => ({ sha, url: this.objectUrl('commit', sha), html_url: `${this.htmlRepoUrl}/commit/${sha}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  treeEntryBody(entry: TreeEntryRecord) {
    return {
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.oid,
      ...(entry.size !== undefined ? { size: entry.size } : {}),
      ...(entry.type !== 'commit' ? { url: this.objectUrl(entry.type, entry.oid) } : {}),
    };
  }

  /**
   * A tree as GitHub lists it: a listing stops at the entry limit, a recursive one also at the
   * byte limit, and says `truncated: true` (GitHub: 100,000 entries or 7 MB).
   */
  treeBody(sha: string, entries: readonly TreeEntryRecord[], recursive: boolean) {
    const byteLimit = recursive ? this.limits.treeListingBytes : Infinity;
    const listed = [];
    let bytes = 0;
    let truncated = false;
    for (const entry of entries) {
      const body = this.treeEntryBody(entry);
      bytes += Buffer.byteLength(JSON.stringify(body)) + 1;
      if (listed.length >= this.limits.treeListingEntries || bytes > byteLimit) {
        truncated = true;
        break;
      }
      listed.push(body);
    }
    return { sha, url: this.objectUrl('tree', sha), tree: listed, truncated };
  }

  /** A commit's author or committer, from the request or the fallback. */
  identityFrom(input: z.infer<typeof identitySchema> | undefined, fallback: GitIdentity): GitIdentity {
    if (!input) return fallback;
    const when = input.date === undefined ? fallback : parseGitHubDate(input.date);
    if (!when) throw unprocessable(`Invalid request.\n\n${JSON.stringify(input.date)} is not a valid date-time.`);
    return { name: input.name, email: input.email, timestamp: when.timestamp, timezone: when.timezone };
  }

  /** Who commits when the request names nobody, and when. */
  defaultIdentity(): GitIdentity {
    return { ...this.options.identity, timestamp: Math.floor(this.options.now().getTime() / 1000), timezone: '+0000' };
  }

  async defaultBranch(): Promise<string> {
    return (await this.git.headBranch()) ?? INITIAL_BRANCH;
  }

  /** Ref reads answer 409 in an empty repository, as github.com does. */
  async assertRefsReadable(): Promise<void> {
    if (await this.git.isEmpty()) throw repositoryEmpty();
  }

  /** Git Data object reads and writes answer 409 in an empty repository, unless that limit is off. */
  async assertObjectsUsable(): Promise<void> {
    if (this.limits.emptyRepository409 && (await this.git.isEmpty())) throw repositoryEmpty();
  }
}

/**
 * GitHub takes ISO 8601 date-times (`YYYY-MM-DDTHH:MM:SSZ` or with an offset); git wants
 * seconds plus the offset, which is kept so the commit records the author's zone.
 */
export function parseGitHubDate(value: string): { timestamp: number; timezone: string } | null {
  const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$/i.exec(value);
  if (!match) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const timezone = match[1]!.toUpperCase() === 'Z' ? '+0000' : `${match[2]}${match[3]}${match[4]}`;
  return { timestamp: Math.floor(ms / 1000), timezone };
}
