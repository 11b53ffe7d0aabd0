import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createPipelineQueues, startLocalAws, type LocalAws, type PipelineQueues } from '../../local/emulators/local-aws.js';
import { monitor } from '../../functions/wiring/monitor.js';
import { emfMetricsSink } from '../../functions/adapters/emf-metrics.js';
import { checkStatus, parsePythonTimestamp, statusMetrics, type StatusSources } from '../../functions/monitor/status.js';
import { runEmbedded } from '../../local/runner/embedded.js';
import { generateMessages } from '../../local/generate.js';
import { runCli } from '../support/cli.js';
import { listFiles, tempDir } from '../support/temp.js';

const now = new Date('2025-03-02T06:00:00Z');
const sources = (overrides: Partial<StatusSources> = {}): StatusSources => ({
  lastUpdated: async () => '2025-03-02 03:00:00+00:00',
  lastRun: async () => ({ runId: 'r1', status: 'SUCCEEDED' }),
  ...overrides,
});

describe('checkStatus', () => {
  it('reads Python timestamps, with and without microseconds', () => {
    expect(parsePythonTimestamp('2021-11-23 23:24:24+00:00')?.toISOString()).toBe('2021-11-23T23:24:24.000Z');
    expect(parsePythonTimestamp('2021-11-23 23:24:24.123456+00:00')?.toISOString()).toBe('2021-11-23T23:24:24.123Z');
    expect(parsePythonTimestamp('2021-11-23 15:24:24-08:00')?.toISOString()).toBe('2021-11-23T23:24:24.000Z');
    expect(parsePythonTimestamp('yesterday')).toBeNull();
  });

  it('is well when the data is younger than the threshold and nothing is stuck', async () => {
    const status = await checkStatus(sources({ deadLetterDepth: async () => ({ visible: 0, inFlight: 0 }) }), { now, maxAgeSeconds: 6 * 3600 });
    expect(status).toMatchObject({ dataAgeSeconds: 3 * 3600, stale: false, problems: [] });
    expect(statusMetrics(status)).toEqual([
      { name: 'DataAgeSeconds', unit: 'Seconds', value: 10_800 },
      { name: 'DeadLetterDepth', unit: 'Count', value: 0 },
      { name: 'LastRunFailed', unit: 'Count', value: 0 },
    ]);
  });

  it('names every problem: stale data, dead letters, a failed run', async () => {
    const status = await checkStatus(
      sources({
        lastUpdated: async () => '2025-03-01 00:00:00+00:00',
        deadLetterDepth: async () => ({ visible: 2, inFlight: 1 }),
        lastRun: async () => ({ runId: 'r9', status: 'FAILED', error: 'StorageError: AccessDenied' }),
      }),
      { now, maxAgeSeconds: 6 * 3600 },
    );
    expect(status.stale).toBe(true);
    expect(status.problems).toEqual([
      'the data is 30.0 h old (more than 6.0 h)',
      '3 message(s) in the dead-letter queue',
      'the last run (r9) failed: StorageError: AccessDenied',
    ]);
  });

  it('treats data that was never published as stale, and leaves its age out of the metrics so the alarm fires', async () => {
    const status = await checkStatus(sources({ lastUpdated: async () => null }), { now });
    expect(status).toMatchObject({ stale: true, dataAgeSeconds: null, problems: ['no data/last_updated.txt has been published'] });
    expect(statusMetrics(status).map((p) => p.name)).not.toContain('DataAgeSeconds');
  });
});

describe('usage-pipeline status on the embedded default', () => {
  it('reports fresh data and the last run, then stale data with exit status 2', async () => {
    const home = await tempDir();
    const never = await runCli(['status', '--home', home, '--json']);
    expect(never.code).toBe(2);
    expect(JSON.parse(never.stdout)).toMatchObject({ lastUpdated: null, lastRun: null, problems: ['no data/last_updated.txt has been published'] });

    const report = await runEmbedded({ home, messages: generateMessages({ count: 200 }) });
    const fresh = await runCli(['status', '--home', home, '--json', '--max-age-hours', '1']);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ stale: false, problems: [], lastRun: { runId: report.runId, status: 'SUCCEEDED' } });

    // last_updated.txt is the newest daily object's modification time: daily objects last
    // written two hours ago, rebuilt, publish data two hours old.
    const prod = path.join(home, 'bucket', 'events', 'prod');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const file of await listFiles(prod)) await fs.utimes(path.join(prod, file), twoHoursAgo, twoHoursAgo);
    expect((await runEmbedded({ home, rebuildAll: true })).status).toBe('SUCCEEDED');
    const stale = await runCli(['status', '--home', home, '--max-age-hours', '1']);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toMatch(/^PROBLEM: the data is 2\.0 h old \(more than 60 min\)$/m);
  });
});

describe('the monitor Lambda', () => {
  let aws: LocalAws;
  let queues: PipelineQueues;
  beforeAll(async () => {
    aws = await startLocalAws();
    queues = await createPipelineQueues(aws);
  });
  afterAll(() => aws.close());

  it('reads the bucket, both queues and the run records, and publishes embedded metrics', async () => {
    const s3 = new S3Client(aws.clientConfig());
    const sqs = new SQSClient(aws.clientConfig());
    await s3.send(new CreateBucketCommand({ Bucket: 'logpublish' }));
    // Two hours ago, in whole seconds as the file has it.
    const updatedAt = Math.floor(Date.now() / 1000) * 1000 - 2 * 3600_000;
    const updated = new Date(updatedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
    await s3.send(new PutObjectCommand({ Bucket: 'logpublish', Key: 'site/data/last_updated.txt', Body: updated }));
    await s3.send(new PutObjectCommand({ Bucket: 'logpublish', Key: 'runs/run-1/report.json', Body: JSON.stringify({ finishedAt: '2025-03-02T04:00:00.000Z' }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.deadLetterQueueUrl, MessageBody: 'poison' }));

    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
    let status;
    const before = Date.now();
    try {
      status = await monitor(
        { BUCKET_NAME: 'logpublish', QUEUE_URL: queues.queueUrl, DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl, MAX_DATA_AGE_SECONDS: '21600', POWERTOOLS_LOG_LEVEL: 'SILENT' },
        { s3, sqs, sfn: new SFNClient(aws.clientConfig()) },
        emfMetricsSink({ serviceName: 'test' }),
      );
    } finally {
      write.mockRestore();
    }
    const after = Date.now();
    expect(status).toMatchObject({ stale: false, deadLetters: { visible: 1 }, queue: { visible: 0 }, lastRun: { runId: 'run-1', status: 'SUCCEEDED' } });
    expect(status.problems).toEqual(['1 message(s) in the dead-letter queue']);
    // The age at the moment of the check, which lies between these two readings of the clock.
    expect(status.dataAgeSeconds).toBeGreaterThanOrEqual(Math.round((before - updatedAt) / 1000));
    expect(status.dataAgeSeconds).toBeLessThanOrEqual(Math.round((after - updatedAt) / 1000));

    const emf = lines.map((line) => JSON.parse(line)).find((entry) => entry._aws?.CloudWatchMetrics);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('UsagePipeline');
    expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual(['DataAgeSeconds', 'DeadLetterDepth', 'LastRunFailed', 'PublishBacklog', 'QueueDepth']);
    expect(emf.DeadLetterDepth).toBe(1);
    expect(emf.PublishBacklog).toBe(0);
    expect(emf.DataAgeSeconds).toBe(status.dataAgeSeconds);
  });
});
