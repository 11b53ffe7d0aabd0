/**
 * Storage faults at the wire. The whole pipeline runs against the S3 emulator through a proxy
 * that answers chosen requests as S3 does when it fails: 503 SlowDown, 500 InternalError,
 * 412 PreconditionFailed, 403 AccessDenied, a reset connection, a body cut short. The S3
 * adapter turns those answers into errors exactly as it would in AWS, the state machine retries
 * what is transient, and the day ends as the drainer's object: every event once, none lost.
 *
 * The SDK retries a transient answer itself (three attempts); a fault here lasts until the
 * state machine has seen the step fail, so it outlasts those retries and the step's own
 * classification of the error is what gets tested.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageError, TransientStorageError } from '../../functions/adapters/errors.js';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { listAll } from '../../functions/core/object-store.js';
import type { Log } from '../../functions/core/log.js';
import { createPipelineQueues, publishMessages, startLocalAws, type LocalAws } from '../../local/emulators/local-aws.js';
import { runEmbedded, type EmbeddedOptions, type EmbeddedReport } from '../../local/runner/embedded.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { commitsOnBranch, fileOnBranch, fixtureMessages } from '../support/pipeline.js';
import { startRecordingServer, type RecordingServer, type Reply } from '../support/recording-server.js';
import { S3_FAULTS, s3Call, type S3Call } from '../support/s3-wire.js';
import { tempDir } from '../support/temp.js';

const BUCKET = 'usage-faults';
const DAILY = 'events/prod/20250301';
const SHARD = 'site/data/date/2025/03/20250301.json';
/** A line the day already held before this run's messages arrived. */
const EARLIER = '{"timestamp": "2025-03-01T00:00:00+00:00", "channel": "999", "endpoint": "999", "event": "earlier"}\n';

interface TaskFailure {
  readonly state: string;
  readonly error: string;
  readonly cause: string;
}

/** One emulator, queue, bucket and wire proxy, and a home for the local runs against them. */
interface World {
  readonly home: string;
  readonly proxy: RecordingServer;
  /** The bucket straight from the emulator, past the proxy: what is really stored. */
  readonly direct: S3ObjectStore;
  /** Every Task failure the state machine saw, by the error name its Retry and Catch match. */
  readonly failures: TaskFailure[];
  readonly warnings: string[];
  run(options?: Partial<EmbeddedOptions>): Promise<EmbeddedReport>;
  /** Answers `reply` to the matching requests until the state machine has seen a step fail. */
  untilAStepFails(matches: (call: S3Call) => boolean, reply: Reply): void;
  /** What the proxy answered to each request for this operation and key, in order. */
  answersTo(operation: S3Call['operation'], key: string): string[];
}

describeWithFixtures('storage faults on the wire: S3 failing as S3 fails loses and duplicates nothing', () => {
  let messages: string[];
  let expectedDaily: Buffer;
  let expectedShard: Buffer;
  const cleanup: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    messages = await fixtureMessages();
    expectedDaily = await fs.readFile(fixture('futel-2025-03', 'input', 'events', 'prod', '20250301'));
    expectedShard = await fs.readFile(fixture('futel-2025-03', 'expected', 'data', 'date', '2025', '03', '20250301.json'));
  });
  afterAll(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  async function world(): Promise<World> {
    const home = await tempDir();
    const aws: LocalAws = await startLocalAws();
    cleanup.push(() => aws.close());
    const queues = await createPipelineQueues(aws, { visibilityTimeoutSeconds: 30 });
    await publishMessages(aws, queues.topicArn, messages);
    const s3 = new S3Client(aws.clientConfig());
    cleanup.push(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const proxy = await startRecordingServer(() => 'forward', { upstream: aws.endpoint });
    cleanup.push(() => proxy.close());
    const failures: TaskFailure[] = [];
    const warnings: string[] = [];
    const log: Log = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
    return {
      home,
      proxy,
      direct: new S3ObjectStore({ client: s3, bucket: BUCKET }),
      failures,
      warnings,
      run: (options = {}) =>
        runEmbedded({
          home,
          messaging: { aws, queues },
          bucket: { name: BUCKET, clientConfig: { ...aws.clientConfig(), endpoint: proxy.endpoint } },
          log,
          onTaskFailure: (state, error, cause) => failures.push({ state, error, cause }),
          ...options,
        }),
      untilAStepFails: (matches, reply) => proxy.respond((request) => (failures.length === 0 && matches(s3Call(request)) ? reply : 'forward')),
      answersTo: (operation, key) =>
        proxy.requests.flatMap((request, i) => {
          const call = s3Call(request);
          return call.operation === operation && call.key === key ? [proxy.answers[i] as string] : [];
        }),
    };
  }

  async function text(w: World, key: string): Promise<string | null> {
    const object = await w.direct.get(key);
    return object ? Buffer.from(object.body).toString('utf8') : null;
  }

  const lines = (body: string) => body.split('\n').filter(Boolean).sort();

  /** The bucket and the branch hold exactly what a run without faults leaves. */
  async function expectExactlyTheRealData(w: World, daily: Buffer | string = expectedDaily): Promise<void> {
    const stored = await text(w, DAILY);
    if (typeof daily === 'string') expect(lines(stored ?? '')).toEqual(lines(daily));
    else expect(stored === daily.toString('utf8')).toBe(true);
    if (typeof daily !== 'string') expect((await fileOnBranch(path.join(w.home, 'site'), 'data/date/2025/03/20250301.json')).equals(expectedShard)).toBe(true);
    const keys = async (prefix: string) => (await listAll(w.direct, prefix)).map((info) => info.key);
    expect(await keys('staging/')).toEqual([]);
    expect(await keys('state/')).toEqual([]);
    expect(await keys('rejected/')).toHaveLength(3);
    w.proxy.respond(() => 'forward');
    const again = await w.run();
    expect(again).toMatchObject({ status: 'SUCCEEDED', received: 0, commit: null, queue: { remaining: 0, deadLetters: 0 } });
    expect(await commitsOnBranch(path.join(w.home, 'site'))).toHaveLength(1);
  }

  it('503 SlowDown on the daily object, past the SDK\'s own retries: MergeMonth fails as transient and is retried', async () => {
    const w = await world();
    w.untilAStepFails((call) => call.operation === 'GetObject' && call.key === DAILY, S3_FAULTS.slowDown());
    const report = await w.run();
    expect(report.status).toBe('SUCCEEDED');
    expect(w.failures).toEqual([{ state: 'MergeMonth', error: TransientStorageError.name, cause: expect.stringContaining('SlowDown (HTTP 503)') }]);
    // The SDK tried again itself before the step gave up; the retried step found no object yet.
    const answers = w.answersTo('GetObject', DAILY);
    const through = answers.indexOf('forwarded 404');
    expect(through).toBeGreaterThan(1);
    expect(new Set(answers.slice(0, through))).toEqual(new Set(['503']));
    await expectExactlyTheRealData(w);
  });

  it('500 InternalError on listing the daily objects: DetectChanges fails as transient and is retried', async () => {
    const w = await world();
    w.untilAStepFails((call) => call.operation === 'ListObjectsV2' && call.key === 'events/prod/', S3_FAULTS.internalError());
    const report = await w.run();
    expect(report.status).toBe('SUCCEEDED');
    expect(w.failures).toEqual([{ state: 'DetectChanges', error: TransientStorageError.name, cause: expect.stringContaining('InternalError (HTTP 500)') }]);
    const answers = w.answersTo('ListObjectsV2', 'events/prod/');
    const through = answers.indexOf('forwarded 200');
    expect(through).toBeGreaterThan(1);
    expect(new Set(answers.slice(0, through))).toEqual(new Set(['500']));
    await expectExactlyTheRealData(w);
  });

  it('a connection reset while a day shard is written: BuildMonth fails as transient and is retried', async () => {
    const w = await world();
    w.untilAStepFails((call) => call.operation === 'PutObject' && call.key === SHARD, 'reset');
    const report = await w.run();
    expect(report.status).toBe('SUCCEEDED');
    expect(w.failures).toEqual([{ state: 'BuildMonth', error: TransientStorageError.name, cause: expect.stringMatching(/ECONNRESET/) }]);
    const answers = w.answersTo('PutObject', SHARD);
    const through = answers.indexOf('forwarded 200');
    expect(through).toBeGreaterThan(1);
    expect(new Set(answers.slice(0, through))).toEqual(new Set(['reset']));
    await expectExactlyTheRealData(w);
  });

  it('a daily object whose body is cut short is never taken for the day: MergeMonth fails as transient', async () => {
    const w = await world();
    await w.direct.put(DAILY, EARLIER);
    w.untilAStepFails((call) => call.operation === 'GetObject' && call.key === DAILY, 'forward-truncated');
    const report = await w.run();
    expect(report.status).toBe('SUCCEEDED');
    expect(w.failures).toEqual([{ state: 'MergeMonth', error: TransientStorageError.name, cause: expect.stringContaining('reading the body failed') }]);
    // The SDK does not retry a body that breaks off: the step's retry read the day again.
    expect(w.answersTo('GetObject', DAILY).slice(0, 2)).toEqual(['forwarded 200, body cut short', 'forwarded 200']);
    // Half a line was never merged: the earlier event is there whole, with every new one.
    await expectExactlyTheRealData(w, `${expectedDaily.toString('utf8')}${EARLIER}`);
  });

  it('412 PreconditionFailed when another writer got there first: the merge reads again and keeps both', async () => {
    const w = await world();
    let condition: unknown;
    w.proxy.respond(async (request) => {
      const call = s3Call(request);
      if (condition !== undefined || call.operation !== 'PutObject' || call.key !== DAILY) return 'forward';
      condition = request.headers['if-none-match'];
      // Another writer creates the day between this merge's read (404) and its write.
      await w.direct.put(DAILY, EARLIER);
      return S3_FAULTS.preconditionFailed('If-None-Match');
    });
    const report = await w.run();
    expect(report.status).toBe('SUCCEEDED');
    // Handled inside the step: the state machine never saw a failure.
    expect(w.failures).toEqual([]);
    expect(condition).toBe('*');
    expect(w.warnings).toContain('daily object changed while merging; merging again');
    expect(w.answersTo('PutObject', DAILY)).toEqual(['412', 'forwarded 200']);
    await expectExactlyTheRealData(w, `${expectedDaily.toString('utf8')}${EARLIER}`);
  });

  it('403 AccessDenied on the daily object: the run fails without a retry, and the day is left untouched', async () => {
    const w = await world();
    await w.direct.put(DAILY, EARLIER);
    w.proxy.respond((request) => {
      const call = s3Call(request);
      return call.operation === 'GetObject' && call.key === DAILY ? S3_FAULTS.accessDenied() : 'forward';
    });
    const denied = await w.run();
    expect(denied.status).toBe('FAILED');
    expect(w.failures).toEqual([{ state: 'MergeMonth', error: StorageError.name, cause: expect.stringContaining('AccessDenied (HTTP 403)') }]);
    expect(JSON.stringify(denied.failure)).toContain('AccessDenied');
    // Not overwritten with only the new events: a denied read is never "a new day".
    expect(await text(w, DAILY)).toBe(EARLIER);
    expect(w.answersTo('PutObject', DAILY)).toEqual([]);

    w.proxy.respond(() => 'forward');
    const recovered = await w.run();
    expect(recovered.status).toBe('SUCCEEDED');
    expect(lines((await text(w, DAILY)) ?? '')).toEqual(lines(`${expectedDaily.toString('utf8')}${EARLIER}`));
  });
});
