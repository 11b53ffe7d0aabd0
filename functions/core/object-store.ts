/**
 * The one storage interface the pipeline needs, implemented over S3 and over a local directory.
 * Keys are `/`-separated; bodies are bytes. Only "not found" is `null`: every other failure
 * throws, so a denied or throttled read is never mistaken for a new, empty day.
 */
import { CoreError } from './errors.js';
import type { ShardSpace } from './reusable-buffer.js';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Quoted, as S3 returns it: `"<md5 hex>"` for objects written in one part. */
  readonly etag: string;
}

export interface StoredObject extends ObjectInfo {
  readonly body: Uint8Array;
}

export interface PutConditions {
  /** Write only if the current object has this ETag (optimistic update). */
  readonly ifMatch?: string;
  /** `*`: write only if no object exists under the key (first writer wins). */
  readonly ifNoneMatch?: '*';
}

/** Strings are written as UTF-8; an array of strings is written as their concatenation without joining it in memory first. */
export type Body = Uint8Array | string | readonly string[];

export interface ObjectStore {
  /** A human-readable location, for logs and errors (`s3://bucket`, `/path/to/dir`). */
  readonly location: string;
  get(key: string): Promise<StoredObject | null>;
  /**
   * Optional: {@link get} with the body read into `space`, valid until its next use, for bytes
   * done with at once (a daily object while its day is built): no new buffer per object.
   */
  getInto?(key: string, space: ShardSpace): Promise<StoredObject | null>;
  head(key: string): Promise<ObjectInfo | null>;
  put(key: string, body: Body, conditions?: PutConditions): Promise<{ etag: string }>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key under the prefix, in lexicographic order, across all pages. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Optional: a write whose body arrives in pieces and is never held in memory whole. */
  openWrite?(key: string): Promise<ObjectWriter>;
}

export interface ObjectWriter {
  write(chunk: string): Promise<void>;
  /** Stores the object unless it is byte-identical to the stored one: bytes written, or null. */
  commitIfChanged(): Promise<number | null>;
  abort(): Promise<void>;
}

/** A conditional write lost the race: someone else changed the object since it was read. */
export class PreconditionFailedError extends CoreError {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`conditional write of ${key} failed: ${detail}`);
  }
}

export async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) out.push(info);
  return out;
}

export function bodyByteLength(body: Body): number {
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  if (body instanceof Uint8Array) return body.byteLength;
  let total = 0;
  for (const chunk of body) total += Buffer.byteLength(chunk, 'utf8');
  return total;
}
