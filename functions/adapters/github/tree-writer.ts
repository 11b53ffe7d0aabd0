/**
 * Writes a publish's changes as GitHub trees, each request within the bounds GitHub processes
 * in its 10 s: small text goes inline in tree requests of bounded size and entry count, each
 * built on the previous one's tree; large files and binaries go as blobs first, one request
 * each, and join a tree by id. At most one request's content is held at a time.
 */
import { decodeText, isInlineText, jsonStringBytes } from './git-objects.js';

export interface TreeBounds {
  /** JSON bytes of one tree request (GitHub times out past ~2 MB). */
  readonly maxTreeRequestBytes: number;
  /** Entries of one tree request (GitHub times out past ~200). */
  readonly maxTreeEntries: number;
  /** Larger files (JSON-encoded) go as blobs instead of inline. */
  readonly maxInlineFileBytes: number;
}

/** Under the emulator's default limits (2 MiB, 200 entries), with a margin. */
export const DEFAULT_TREE_BOUNDS: TreeBounds = {
  maxTreeRequestBytes: 1536 * 1024,
  maxTreeEntries: 150,
  maxInlineFileBytes: 512 * 1024,
};

export type TreeEntry =
  | { path: string; mode: '100644'; type: 'blob'; content: string }
  | { path: string; mode: '100644'; type: 'blob'; sha: string | null };

export interface TreeApi {
  /** Creates a tree of `entries` on `base`; returns its id. */
  createTree(entries: TreeEntry[], base: string | undefined): Promise<string>;
  /** Stores a blob whose id must come out as `sha`. */
  createBlob(path: string, content: Uint8Array, sha: string): Promise<void>;
}

/** JSON around one entry (keys, mode, type, separators) and around the request (base_tree). */
const ENTRY_OVERHEAD_BYTES = 96;
const REQUEST_OVERHEAD_BYTES = 96;

export class TreeWriter {
  private batch: TreeEntry[] = [];
  private batchBytes = REQUEST_OVERHEAD_BYTES;
  private base: string | undefined;
  private requests = 0;
  readonly written: string[] = [];
  readonly deleted: string[] = [];

  constructor(
    private readonly api: TreeApi,
    baseTree: string | undefined,
    private readonly bounds: TreeBounds,
    /** Blob ids already on GitHub (written during this publish): joined by id at no cost. */
    private readonly blobs: Set<string>,
  ) {
    this.base = baseTree;
  }

  /** Tree requests made so far. */
  get treeRequests(): number {
    return this.requests;
  }

  get changes(): number {
    return this.written.length + this.deleted.length;
  }

  /**
   * Content-creating requests that writing this file costs, counting the tree request its
   * batch will need: a caller checks its budget with this before calling write().
   */
  costOfWrite(path: string, content: Uint8Array, sha: string): number {
    const inline = this.inlineBytes(path, content, sha);
    if (inline !== null) return this.flushesFor(inline) + 1;
    return (this.blobs.has(sha) ? 0 : 1) + this.flushesFor(this.referenceBytes(path)) + 1;
  }

  costOfDelete(path: string): number {
    return this.flushesFor(this.referenceBytes(path)) + 1;
  }

  async write(path: string, content: Uint8Array, sha: string): Promise<void> {
    const inline = this.inlineBytes(path, content, sha);
    if (inline !== null) {
      // Decoded only here, one request's worth at a time.
      await this.add({ path, mode: '100644', type: 'blob', content: decodeText(content) }, inline);
    } else {
      if (!this.blobs.has(sha)) {
        await this.api.createBlob(path, content, sha);
        this.blobs.add(sha);
      }
      await this.add({ path, mode: '100644', type: 'blob', sha }, this.referenceBytes(path));
    }
    this.written.push(path);
  }

  async delete(path: string): Promise<void> {
    await this.add({ path, mode: '100644', type: 'blob', sha: null }, this.referenceBytes(path));
    this.deleted.push(path);
  }

  /** Sends what is left; returns the final tree (the base when nothing changed). */
  async finish(): Promise<string | undefined> {
    await this.flush();
    return this.base;
  }

  /** Request bytes of the file inline, or null when it goes as a blob. */
  private inlineBytes(path: string, content: Uint8Array, sha: string): number | null {
    if (this.blobs.has(sha) || !isInlineText(content)) return null;
    const bytes = ENTRY_OVERHEAD_BYTES + jsonStringBytes(Buffer.from(path)) + jsonStringBytes(content);
    return bytes <= this.bounds.maxInlineFileBytes && bytes + REQUEST_OVERHEAD_BYTES <= this.bounds.maxTreeRequestBytes ? bytes : null;
  }

  private referenceBytes(path: string): number {
    return ENTRY_OVERHEAD_BYTES + jsonStringBytes(Buffer.from(path)) + 40;
  }

  private flushesFor(bytes: number): number {
    return this.batch.length > 0 && (this.batchBytes + bytes > this.bounds.maxTreeRequestBytes || this.batch.length >= this.bounds.maxTreeEntries) ? 1 : 0;
  }

  private async add(entry: TreeEntry, bytes: number): Promise<void> {
    if (this.flushesFor(bytes) > 0) await this.flush();
    this.batch.push(entry);
    this.batchBytes += bytes;
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const entries = this.batch;
    this.batch = [];
    this.batchBytes = REQUEST_OVERHEAD_BYTES;
    this.requests++;
    this.base = await this.api.createTree(entries, this.base);
  }
}
