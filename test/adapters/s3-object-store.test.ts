/**
 * S3ObjectStore against fauxqs's in-process S3 (round trips, paging, prefixes), and at the wire
 * level against a recording HTTP server for what fauxqs does not do: conditional writes and the
 * error responses that must never be mistaken for "not found".
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PreconditionFailedError, listAll } from '../../functions/core/object-store.js';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { StorageError, TransientStorageError } from '../../functions/adapters/errors.js';
import { createRequestStats } from '../../functions/adapters/aws-error.js';
import { startLocalAws, type LocalAws } from '../../local/emulators/local-aws.js';
import { startRecordingServer, type CannedResponse, type RecordingServer } from '../support/recording-server.js';
import { s3Error } from '../support/s3-wire.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const md5 = (value: string) => `"${createHash('md5').update(value).digest('hex')}"`;

describe('S3ObjectStore on the in-process S3', () => {
  let aws: LocalAws;
  let client: S3Client;
  let bucketCount = 0;

  beforeAll(async () => {
    aws = await startLocalAws();
    client = new S3Client(aws.clientConfig());
  });

  afterAll(async () => {
    client.destroy();
    await aws.close();
  });

  async function freshBucket(): Promise<string> {
    const bucket = `usage-test-${++bucketCount}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  }

  it('round-trips put, get, head, list and delete', async () => {
    const store = new S3ObjectStore({ client, bucket: await freshBucket() });
    expect(store.location).toMatch(/^s3:\/\/usage-test-\d+$/);

    expect(await store.get('events/prod/20250301')).toBeNull();
    expect(await store.head('events/prod/20250301')).toBeNull();

    const line = '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "PJSIP/630-0000011f", "event": "incoming-dialstatus"}\n';
    const before = Date.now();
    const { etag } = await store.put('events/prod/20250301', line);
    expect(etag).toBe(md5(line));

    const stored = await store.get('events/prod/20250301');
    expect(stored).not.toBeNull();
    expect(stored!.body).toBeInstanceOf(Uint8Array);
    expect(text(stored!.body)).toBe(line);
    expect(stored!.key).toBe('events/prod/20250301');
    expect(stored!.size).toBe(Buffer.byteLength(line));
    expect(stored!.etag).toBe(etag);
    expect(stored!.lastModified.getTime()).toBeGreaterThan(before - 5_000);

    const head = await store.head('events/prod/20250301');
    expect(head).toEqual({ key: 'events/prod/20250301', size: stored!.size, lastModified: stored!.lastModified, etag });

    const bytes = new Uint8Array([0, 1, 2, 255]);
    await store.put('blobs/raw', bytes);
    expect(Array.from((await store.get('blobs/raw'))!.body)).toEqual([0, 1, 2, 255]);

    expect((await listAll(store, '')).map((info) => info.key)).toEqual(['blobs/raw', 'events/prod/20250301']);
    const [listed] = await listAll(store, 'events/');
    expect(listed).toEqual({ key: 'events/prod/20250301', size: stored!.size, lastModified: expect.any(Date), etag });

    await store.delete('events/prod/20250301');
    expect(await store.get('events/prod/20250301')).toBeNull();
    await expect(store.delete('events/prod/20250301')).resolves.toBeUndefined();
    await expect(store.delete('never/existed')).resolves.toBeUndefined();
    expect((await listAll(store, '')).map((info) => info.key)).toEqual(['blobs/raw']);
  });

  it('writes string[] bodies as their concatenation, with multi-byte characters across pieces', async () => {
    const store = new S3ObjectStore({ client, bucket: await freshBucket() });
    const pieces = ['[{"event": "caf\u00e9"}', ', ', '{"event": "\u260e\ud83d\ude00"}', ']'];
    const { etag } = await store.put('data/date/2025/03.json', pieces);
    const stored = await store.get('data/date/2025/03.json');
    expect(text(stored!.body)).toBe(pieces.join(''));
    expect(stored!.size).toBe(Buffer.byteLength(pieces.join('')));
    expect(etag).toBe(md5(pieces.join('')));
    await store.put('empty', []);
    expect((await store.get('empty'))!.size).toBe(0);
  });

  it('applies its prefix to every key and strips it from listed keys', async () => {
    const bucket = await freshBucket();
    const site = new S3ObjectStore({ client, bucket, prefix: 'site/' });
    const whole = new S3ObjectStore({ client, bucket });
    expect(site.location).toBe(`s3://${bucket}/site/`);

    await site.put('data/event-list.json', '["a"]');
    await site.put('data/last_updated.txt', '2025-03-01 00:00:00+00:00');
    await whole.put('events/prod/20250301', 'x\n');
    await whole.put('site-not/data/x.json', '{}');

    expect((await listAll(site, '')).map((info) => info.key)).toEqual(['data/event-list.json', 'data/last_updated.txt']);
    expect((await listAll(site, 'data/e')).map((info) => info.key)).toEqual(['data/event-list.json']);
    expect((await listAll(whole, 'site/')).map((info) => info.key)).toEqual(['site/data/event-list.json', 'site/data/last_updated.txt']);
    expect(text((await whole.get('site/data/event-list.json'))!.body)).toBe('["a"]');
    expect(await site.get('events/prod/20250301')).toBeNull();
    expect((await site.head('data/event-list.json'))!.key).toBe('data/event-list.json');

    await site.delete('data/event-list.json');
    expect(await whole.head('site/data/event-list.json')).toBeNull();
    expect(await whole.head('events/prod/20250301')).not.toBeNull();
  });

  it('lists every key across pages of 1,000, in order, counting the calls', async () => {
    const stats = createRequestStats();
    const store = new S3ObjectStore({ client, bucket: await freshBucket(), prefix: 'p/', stats });
    const keys = Array.from({ length: 2345 }, (_, i) => `staging/k${String(i).padStart(5, '0')}`);
    for (let start = 0; start < keys.length; start += 100) {
      await Promise.all(keys.slice(start, start + 100).map((key) => store.put(key, key)));
    }
    await store.put('other/outside', 'not listed');
    expect(stats.byOperation.PutObject).toBe(2346);

    const listed = await listAll(store, 'staging/');
    expect(listed.map((info) => info.key)).toEqual(keys);
    expect(listed.every((info, i) => info.size === keys[i]!.length && info.etag === md5(keys[i]!))).toBe(true);
    expect(stats.byOperation.ListObjectsV2).toBe(3);
    expect(store.requestCount).toBe(2346 + 3);
    expect(stats.requests).toBe(store.requestCount);
    expect(stats.attempts).toBe(stats.requests);

    // Stores that share the counters add to them.
    const other = new S3ObjectStore({ client, bucket: store.bucket, stats });
    expect((await listAll(other, 'p/staging/k0234')).map((info) => info.key)).toEqual(keys.slice(2340).map((key) => `p/${key}`));
    expect(stats.byOperation.ListObjectsV2).toBe(4);
  });

  it('openWrite stores new or changed bodies and skips identical ones', async () => {
    const stats = createRequestStats();
    const store = new S3ObjectStore({ client, bucket: await freshBucket(), stats });
    const write = async (pieces: string[]) => {
      const writer = await store.openWrite('data/date/2025/03.json');
      for (const piece of pieces) await writer.write(piece);
      return writer.commitIfChanged();
    };

    expect(await write(['[1, ', '2]'])).toBe(6);
    expect(text((await store.get('data/date/2025/03.json'))!.body)).toBe('[1, 2]');
    const puts = stats.byOperation.PutObject;

    expect(await write(['[1', ', 2]'])).toBeNull();
    expect(stats.byOperation.PutObject).toBe(puts);

    // Same size, different bytes.
    expect(await write(['[1, 3]'])).toBe(6);
    expect(text((await store.get('data/date/2025/03.json'))!.body)).toBe('[1, 3]');

    const aborted = await store.openWrite('never/written');
    await aborted.write('x');
    await aborted.abort();
    expect(await store.head('never/written')).toBeNull();
    await expect(aborted.write('y')).rejects.toThrow(/already committed or aborted/);
  });

  it('reports a missing bucket as an error, never as a missing key', async () => {
    const store = new S3ObjectStore({ client, bucket: 'no-such-bucket' });
    await expect(store.get('events/prod/20250301')).rejects.toMatchObject({ name: 'StorageError', details: { code: 'NoSuchBucket' } });
    await expect(listAll(store, '')).rejects.toBeInstanceOf(StorageError);
  });

  it('stores objects with the content type their key calls for', async () => {
    const bucket = await freshBucket();
    const store = new S3ObjectStore({ client, bucket });
    const types: Record<string, string> = {
      'site/data/date/2025/03.json': 'application/json',
      'site/data/last_updated.txt': 'text/plain; charset=utf-8',
      'events/prod/20250301': 'application/x-ndjson',
      'staging/20250301/chunk.ndjson': 'application/x-ndjson',
    };
    for (const key of Object.keys(types)) await store.put(key, 'x');
    for (const [key, type] of Object.entries(types)) expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentType).toBe(type);
  });
});

describe('S3ObjectStore on the wire', () => {
  let server: RecordingServer;
  let client: S3Client;
  let store: S3ObjectStore;

  const wireClient = (endpoint: string) =>
    new S3Client({
      endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      forcePathStyle: true,
      // One attempt: the adapter's classification is under test, not the SDK's retries.
      maxAttempts: 1,
    });
  const putOk: CannedResponse = {
    status: 200,
    headers: { etag: '"0f343b0931126a20f133d67c2b018a3b"', 'x-amz-request-id': 'TX0000000000000001', server: 'AmazonS3' },
  };

  beforeAll(async () => {
    server = await startRecordingServer();
    client = wireClient(server.endpoint);
    store = new S3ObjectStore({ client, bucket: 'logpublish', prefix: 'site/' });
  });

  beforeEach(() => {
    server.requests.length = 0;
  });

  afterEach(() => server.respond(() => ({ status: 500 })));

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('sends If-Match and If-None-Match: * and returns the ETag', async () => {
    server.respond(() => putOk);
    await expect(store.put('data/event-list.json', '["a"]', { ifMatch: '"abc"' })).resolves.toEqual({ etag: '"0f343b0931126a20f133d67c2b018a3b"' });
    await store.put('events/prod/20250301', 'x\n', { ifNoneMatch: '*' });
    await store.put('data/last_updated.txt', 'now');

    const [first, second, third] = server.requests;
    expect(first!.method).toBe('PUT');
    expect(first!.url).toMatch(/^\/logpublish\/site\/data\/event-list\.json(\?|$)/);
    expect(first!.headers['if-match']).toBe('"abc"');
    expect(first!.headers['if-none-match']).toBeUndefined();
    expect(first!.headers['content-type']).toBe('application/json');
    expect(first!.body.toString()).toBe('["a"]');
    expect(second!.headers['if-none-match']).toBe('*');
    expect(second!.headers['if-match']).toBeUndefined();
    expect(second!.headers['content-type']).toBe('application/x-ndjson');
    expect(third!.headers['if-match']).toBeUndefined();
    expect(third!.headers['if-none-match']).toBeUndefined();
    expect(third!.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('turns 412 PreconditionFailed and 409 ConditionalRequestConflict into PreconditionFailedError', async () => {
    server.respond(() =>
      s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-Match</Condition>'),
    );
    const lost = store.put('events/prod/20250301', 'x\n', { ifMatch: '"stale"' });
    await expect(lost).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(lost).rejects.toMatchObject({ key: 'events/prod/20250301', message: expect.stringContaining('If-Match "stale"') });

    await expect(store.put('events/prod/20250301', 'x\n', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);

    server.respond(() => s3Error(409, 'ConditionalRequestConflict', 'A conflicting operation occurred. If using PutObject you can retry the request.'));
    await expect(store.put('events/prod/20250301', 'x\n', { ifMatch: '"e"' })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('treats If-Match on a missing key (404 NoSuchKey) as a failed precondition', async () => {
    server.respond(() => s3Error(404, 'NoSuchKey', 'The specified key does not exist.', '<Key>site/events/prod/20250301</Key>'));
    await expect(store.put('events/prod/20250301', 'x\n', { ifMatch: '"e"' })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('returns null for 404 NoSuchKey on GET and 404 on HEAD', async () => {
    server.respond(() => s3Error(404, 'NoSuchKey', 'The specified key does not exist.', '<Key>site/events/prod/20250301</Key>'));
    await expect(store.get('events/prod/20250301')).resolves.toBeNull();
    await expect(store.head('events/prod/20250301')).resolves.toBeNull();
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'HEAD']);
    expect(server.requests[0]!.url).toMatch(/^\/logpublish\/site\/events\/prod\/20250301(\?|$)/);
  });

  it('throws StorageError, not null, for 403 AccessDenied', async () => {
    server.respond(() => s3Error(403, 'AccessDenied', 'Access Denied'));
    const denied = store.get('events/prod/20250301');
    await expect(denied).rejects.toBeInstanceOf(StorageError);
    await expect(denied).rejects.not.toBeInstanceOf(TransientStorageError);
    await expect(denied).rejects.toMatchObject({
      name: 'StorageError',
      details: { operation: 'GetObject', bucket: 'logpublish', key: 'site/events/prod/20250301', code: 'AccessDenied', statusCode: 403 },
    });
    await expect(denied).rejects.toThrow(/s3:\/\/logpublish\/site\/events\/prod\/20250301.*AccessDenied/);
    await expect(store.head('events/prod/20250301')).rejects.toMatchObject({ name: 'StorageError', details: { statusCode: 403 } });
    await expect(store.put('events/prod/20250301', 'x')).rejects.toMatchObject({ name: 'StorageError', details: { code: 'AccessDenied' } });
    await expect(listAll(store, 'events/')).rejects.toMatchObject({ name: 'StorageError', details: { operation: 'ListObjectsV2' } });
  });

  it('throws StorageError for 404 NoSuchBucket', async () => {
    server.respond(() => s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', '<BucketName>logpublish</BucketName>'));
    await expect(store.get('events/prod/20250301')).rejects.toMatchObject({ name: 'StorageError', details: { code: 'NoSuchBucket' } });
  });

  it('throws TransientStorageError for 503 SlowDown, 500 InternalError and dropped connections', async () => {
    server.respond(() => s3Error(503, 'SlowDown', 'Please reduce your request rate.'));
    const slow = store.get('events/prod/20250301');
    await expect(slow).rejects.toBeInstanceOf(TransientStorageError);
    await expect(slow).rejects.toMatchObject({ name: 'TransientStorageError', details: { code: 'SlowDown', statusCode: 503 } });
    await expect(slow).rejects.toThrow(/SlowDown/);
    await expect(store.head('events/prod/20250301')).rejects.toMatchObject({ name: 'TransientStorageError', details: { statusCode: 503 } });
    await expect(store.put('events/prod/20250301', 'x', { ifMatch: '"e"' })).rejects.toMatchObject({ name: 'TransientStorageError' });
    await expect(store.delete('events/prod/20250301')).rejects.toMatchObject({ name: 'TransientStorageError' });

    server.respond(() => s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'));
    await expect(listAll(store, '')).rejects.toMatchObject({ name: 'TransientStorageError', details: { code: 'InternalError' } });

    server.respond(() => 'drop');
    await expect(store.get('events/prod/20250301')).rejects.toMatchObject({ name: 'TransientStorageError' });
    expect(store.stats.attempts).toBe(store.stats.requests);

    server.respond(() => ({
      status: 200,
      headers: { 'content-type': 'application/x-ndjson', etag: '"0cc175b9c0f1b6a831c399e269772661"', 'last-modified': 'Sat, 01 Mar 2025 00:00:00 GMT' },
      body: '{"timestamp": "2025-03-01T00:00:17+00:00"',
      cutShortAt: 4096,
    }));
    await expect(store.get('events/prod/20250301')).rejects.toMatchObject({ name: 'TransientStorageError', details: { operation: 'GetObject' } });
  });

  it('throws TransientStorageError when nothing listens', async () => {
    const gone = await startRecordingServer();
    await gone.close();
    const unreachable = wireClient(gone.endpoint);
    const closed = new S3ObjectStore({ client: unreachable, bucket: 'logpublish' });
    await expect(closed.head('events/prod/20250301')).rejects.toMatchObject({ name: 'TransientStorageError' });
    unreachable.destroy();
  });

  it('refuses a truncated listing without a continuation token', async () => {
    server.respond(() => ({
      status: 200,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'TX0000000000000002' },
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Name>logpublish</Name><Prefix>site/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>' +
        '<Contents><Key>site/a</Key><LastModified>2025-03-01T00:00:00.000Z</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>' +
        '<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>',
    }));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const info of store.list('')) seen.push(`${info.key} ${info.etag}`);
      })(),
    ).rejects.toThrow(/NextContinuationToken/);
    expect(seen).toEqual(['a "0cc175b9c0f1b6a831c399e269772661"']);
  });
});
