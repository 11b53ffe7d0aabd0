/**
 * The ObjectStore over S3 (or anything that speaks its API: the in-process emulator, MinIO).
 *
 * The one rule that matters most: only "this key does not exist" is `null`. The Python drainer
 * this replaces treated every S3 error as "new day" and overwrote a day with only the new
 * events; here a denied, throttled or failed read always throws, as a `StorageError`, or a
 * `TransientStorageError` when retrying may help (the state machine retries on that name).
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  PreconditionFailedError,
  bodyByteLength,
  type Body,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriter,
  type PutConditions,
  type StoredObject,
} from '../core/object-store.js';
import { countedCall, createRequestStats, describeAwsError, type RequestStats } from './aws-error.js';
import { StorageError, TransientStorageError, type StorageErrorDetails } from './errors.js';



export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key and stripped from listed keys (`site/`), so one bucket can hold several stores. */
  readonly prefix?: string;
  /** Counters to add to, to share one between several stores; a fresh one by default. */
  readonly stats?: RequestStats;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly stats: RequestStats;
  private readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw new Error('S3ObjectStore needs a bucket');
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.stats = options.stats ?? createRequestStats();
    this.location = this.prefix === '' ? `s3://${this.bucket}` : `s3://${this.bucket}/${this.prefix}`;
  }

  /** API calls made so far (shared with every store using the same `stats`). */
  get requestCount(): number {
    return this.stats.requests;
  }

  async get(key: string): Promise<StoredObject | null> {
    const fullKey = this.fullKey(key);
    let output;
    try {
      output = await this.call('GetObject', () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey })));
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw this.failure('GetObject', fullKey, error);
    }
    let body: Uint8Array;
    try {
      body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array(0);
    } catch (error) {
      // The object exists and its status was 200: a body that breaks off is a network failure.
      const details = describeAwsError(error);
      throw new TransientStorageError(
        `S3 GetObject ${this.url(fullKey)}: reading the body failed: ${details.code}: ${details.message}`,
        { operation: 'GetObject', bucket: this.bucket, key: fullKey, code: details.code },
        { cause: error },
      );
    }
    return {
      key,
      size: body.byteLength,
      lastModified: this.required('GetObject', fullKey, 'LastModified', output.LastModified),
      etag: this.required('GetObject', fullKey, 'ETag', output.ETag),
      body,
    };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const fullKey = this.fullKey(key);
    let output;
    try {
      output = await this.call('HeadObject', () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey })));
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw this.failure('HeadObject', fullKey, error);
    }
    return {
      key,
      size: this.required('HeadObject', fullKey, 'ContentLength', output.ContentLength),
      lastModified: this.required('HeadObject', fullKey, 'LastModified', output.LastModified),
      etag: this.required('HeadObject', fullKey, 'ETag', output.ETag),
    };
  }

  async put(key: string, body: Body, conditions: PutConditions = {}): Promise<{ etag: string }> {
    const fullKey = this.fullKey(key);
    // One contiguous buffer: S3 needs the length up front, and the SDK can only retry a body it can resend.
    const bytes = toBytes(body);
    try {
      const output = await this.call('PutObject', () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: fullKey,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ContentType: contentTypeFor(key),
            IfMatch: conditions.ifMatch,
            IfNoneMatch: conditions.ifNoneMatch,
          }),
        ),
      );
      return { etag: output.ETag ?? quotedMd5(bytes) };
    } catch (error) {
      const details = describeAwsError(error);
      if (details.code === 'PreconditionFailed' || details.statusCode === 412 || details.code === 'ConditionalRequestConflict') {
        const expected = conditions.ifMatch !== undefined ? `If-Match ${conditions.ifMatch}` : 'If-None-Match *';
        throw new PreconditionFailedError(key, `${details.code} (${expected}) from ${this.url(fullKey)}`);
      }
      // S3 answers an If-Match on a key that does not exist with 404 NoSuchKey: the condition failed.
      if (conditions.ifMatch !== undefined && isNoSuchKey(error)) {
        throw new PreconditionFailedError(key, `the object does not exist (If-Match ${conditions.ifMatch}, ${this.url(fullKey)})`);
      }
      throw this.failure('PutObject', fullKey, error);
    }
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.call('DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey })));
    } catch (error) {
      // S3 itself answers 204 for a missing key; some compatible stores answer NoSuchKey.
      if (isNoSuchKey(error)) return;
      throw this.failure('DeleteObject', fullKey, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const fullPrefix = this.prefix + prefix;
    let continuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.call('ListObjectsV2', () =>
          this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, MaxKeys: 1000, ContinuationToken: continuationToken }),
          ),
        );
      } catch (error) {
        throw this.failure('ListObjectsV2', fullPrefix, error);
      }
      for (const object of page.Contents ?? []) {
        const fullKey = this.required('ListObjectsV2', fullPrefix, 'Key', object.Key);
        if (!fullKey.startsWith(this.prefix)) {
          throw this.malformed('ListObjectsV2', fullPrefix, `listed key ${JSON.stringify(fullKey)} is outside the prefix`);
        }
        yield {
          key: fullKey.slice(this.prefix.length),
          size: this.required('ListObjectsV2', fullKey, 'Size', object.Size),
          lastModified: this.required('ListObjectsV2', fullKey, 'LastModified', object.LastModified),
          etag: this.required('ListObjectsV2', fullKey, 'ETag', object.ETag),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      // A truncated page without a token would otherwise end the listing early, silently.
      if (page.IsTruncated && !continuationToken) {
        throw this.malformed('ListObjectsV2', fullPrefix, 'truncated page without NextContinuationToken');
      }
    } while (continuationToken !== undefined);
  }

  /**
   * Buffers the body and, on commit, skips the PUT when the stored object has the same size and
   * the same ETag as the body's MD5 (true of every object written in one part, unencrypted or
   * SSE-S3). An ETag of any other form never matches, which costs only a redundant PUT.
   */
  async openWrite(key: string): Promise<ObjectWriter> {
    this.fullKey(key);
    let chunks: Buffer[] = [];
    let size = 0;
    const md5 = createHash('md5');
    let finished = false;
    const assertOpen = () => {
      if (finished) throw new Error(`write to ${this.url(this.prefix + key)} already committed or aborted`);
    };
    return {
      write: async (chunk) => {
        assertOpen();
        const bytes = Buffer.from(chunk, 'utf8');
        chunks.push(bytes);
        size += bytes.byteLength;
        md5.update(bytes);
      },
      commitIfChanged: async () => {
        assertOpen();
        finished = true;
        const etag = `"${md5.digest('hex')}"`;
        const current = await this.head(key);
        if (current && current.size === size && current.etag.toLowerCase() === etag) {
          chunks = [];
          return null;
        }
        const body = Buffer.concat(chunks, size);
        chunks = [];
        await this.put(key, body);
        return size;
      },
      abort: async () => {
        finished = true;
        chunks = [];
      },
    };
  }

  private fullKey(key: string): string {
    if (key === '') throw new Error(`invalid object key "" in ${this.location}`);
    return this.prefix + key;
  }

  private url(fullKey: string): string {
    return `s3://${this.bucket}/${fullKey}`;
  }

  private call<T extends { $metadata?: { attempts?: number } }>(operation: string, run: () => Promise<T>): Promise<T> {
    return countedCall(this.stats, operation, run);
  }

  private failure(operation: string, fullKey: string, error: unknown): StorageError {
    const details = describeAwsError(error);
    const status = details.statusCode !== undefined ? ` (HTTP ${details.statusCode})` : '';
    const requestId = details.requestId ? ` [request id ${details.requestId}]` : '';
    const message = `S3 ${operation} ${this.url(fullKey)} failed: ${details.code}${status}: ${details.message}${requestId}`;
    const errorDetails: StorageErrorDetails = {
      operation,
      bucket: this.bucket,
      key: fullKey,
      code: details.code,
      ...(details.statusCode !== undefined ? { statusCode: details.statusCode } : {}),
      ...(details.requestId !== undefined ? { requestId: details.requestId } : {}),
    };
    return details.transient ? new TransientStorageError(message, errorDetails, { cause: error }) : new StorageError(message, errorDetails, { cause: error });
  }

  private malformed(operation: string, fullKey: string, problem: string): StorageError {
    return new StorageError(`S3 ${operation} ${this.url(fullKey)}: malformed response: ${problem}`, {
      operation,
      bucket: this.bucket,
      key: fullKey,
      code: 'MalformedResponse',
    });
  }

  private required<T>(operation: string, fullKey: string, field: string, value: T | undefined): T {
    if (value === undefined || value === null) throw this.malformed(operation, fullKey, `no ${field}`);
    return value;
  }
}

/** Only these mean "the key does not exist"; a missing bucket (NoSuchBucket) is an error like any other. */
function isNoSuchKey(error: unknown): boolean {
  const { code, statusCode } = describeAwsError(error);
  // A HEAD response has no body, so a 404 there carries no code beyond "NotFound".
  return code === 'NoSuchKey' || (code === 'NotFound' && statusCode === 404);
}

function toBytes(body: Body): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  // Encode piece by piece into one buffer rather than joining the strings first.
  const bytes = Buffer.allocUnsafe(bodyByteLength(body));
  let offset = 0;
  for (const chunk of body) offset += bytes.write(chunk, offset, 'utf8');
  return bytes;
}

function quotedMd5(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Daily objects and staged lines have no extension: they are newline-delimited JSON. */
function contentTypeFor(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? CONTENT_TYPES[name.slice(dot).toLowerCase()] : undefined) ?? 'application/x-ndjson';
}
