/**
 * `usage-pipeline backfill` run as a user would, publishing to fauxqs (an SNS/SQS emulator in
 * this process) and reading back what the drain's queue receives.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { classifyMessage } from '../../functions/core/classify.js';
import { messagesFromEventsFile } from '../support/pipeline.js';
import { runCleanCli, type CleanRun } from '../support/aws-wire/cli.js';
import { fakeAwsEnv, startFauxqsServer, type FauxqsServer } from '../support/aws-wire/fauxqs.js';
import { tempDir } from '../support/temp.js';

function backfill(args: readonly string[], input: string): Promise<CleanRun> {
  return runCleanCli(['backfill', ...args], { input, env: fakeAwsEnv() });
}

const line = (time: string, name: string, channel = 'SIP/630-0000011f', day = '2022-04-04') =>
  `${day} ${time},436 UNIQUEID=1833323238.399, CHANNEL=${channel}, CALLERID(number)=+12345678901, name=${name}`;

/** 12 events (two PublishBatch calls), a blank line, a broken line and a nonexistent local time. */
const METRICS = [
  ...Array.from({ length: 6 }, (_, i) => line(`22:45:${String(10 + i)}`, 'filterdial')),
  '',
  'this is not a metrics line',
  line('02:30:00', 'ivr', 'SIP/630-0000011f', '2022-03-13'),
  ...Array.from({ length: 5 }, (_, i) => line(`23:59:${String(50 + i)}`, 'outgoing_call', 'PJSIP/655-00000001', '2022-11-05')),
  line('01:30:00', 'operator', 'PJSIP/655-00000002', '2022-11-06'),
].join('\n');

let fauxqs: FauxqsServer;
let endpoint: string;
let sqs: SQSClient;

beforeAll(async () => {
  fauxqs = await startFauxqsServer();
  endpoint = `http://127.0.0.1:${fauxqs.port}`;
  sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

async function receiveAll(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) {
      empty++;
      continue;
    }
    bodies.push(...Messages.map((m) => m.Body!));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return bodies;
}

function kept(bodies: string[]) {
  return bodies
    .map((body) => {
      const result = classifyMessage(body);
      if (result.kind !== 'kept') throw new Error(`not kept: ${JSON.stringify(result)} for ${body}`);
      return { day: result.day, ...result.event };
    })
    .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

const EXPECTED_STDERR = [
  'usage-pipeline backfill: line 8: skipped: does not start with a "YYYY-MM-DD HH:MM:SS,mmm" timestamp',
  'usage-pipeline backfill: line 9: skipped: 2022-03-13 02:30:00 does not exist in America/Los_Angeles (clocks jumped from -08:00 to -07:00)',
];

describe('usage-pipeline backfill', () => {
  it('publishes to an SNS topic in batches; the subscribed queue gets envelopes the drain keeps, under the local day', async () => {
    const { topicArn } = fauxqs.createTopic('usage-events');
    const { queueUrl } = fauxqs.createQueue('drain-from-topic');
    fauxqs.subscribe({ topic: 'usage-events', queue: 'drain-from-topic' });

    const run = await backfill(['--topic-arn', topicArn, '--endpoint', endpoint, '--json'], METRICS);
    expect(run.stderr.trim().split('\n')).toEqual(EXPECTED_STDERR);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ target: 'sns', lines: 15, sent: 12, skipped: 2, failed: 0, ambiguous: 1 });

    const bodies = await receiveAll(queueUrl);
    expect(bodies).toHaveLength(12);
    const envelope = JSON.parse(bodies[0]!);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: topicArn });
    const events = kept(bodies);
    expect(events[0]).toEqual({ day: '20220404', timestamp: '2022-04-04T22:45:10.436-07:00', channel: 'SIP/630-0000011f', endpoint: 'SIP/630-0000011f', event: 'filterdial' });
    // 23:59 local on Nov 5 is Nov 6 in UTC: still filed under the 5th.
    expect(events.filter((e) => e.event === 'outgoing_call').map((e) => `${e.day} ${e.timestamp}`)).toEqual(
      Array.from({ length: 5 }, (_, i) => `20221105 2022-11-05T23:59:${50 + i}.436-07:00`),
    );
    expect(events.find((e) => e.event === 'operator')).toMatchObject({ day: '20221106', timestamp: '2022-11-06T01:30:00.436-07:00' });
    expect(JSON.parse(envelope.Message).event).toMatchObject({ Event: 'UserEvent', Source: 'usage-pipeline backfill' });
  });

  it("sends the SNS envelope straight to the drain's queue with --queue-url", async () => {
    const { queueUrl } = fauxqs.createQueue('drain-direct');
    const run = await backfill(['--queue-url', queueUrl, '--endpoint', endpoint, '--region', 'us-east-1'], [line('10:00:00', 'ivr'), line('10:00:01', 'ivr')].join('\n'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('sent 2, skipped 0 (2 lines read; to the SQS queue)\n');
    expect(run.code).toBe(0);
    const bodies = await receiveAll(queueUrl);
    expect(bodies.map((b) => Object.keys(JSON.parse(b)))).toEqual([
      ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp'],
      ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp'],
    ]);
    expect(JSON.parse(bodies[0]!)).toMatchObject({ Type: 'Notification', TopicArn: 'backfill', Timestamp: expect.stringMatching(/^2022-04-04T17:00:0[01]\.436Z$/) });
    expect(kept(bodies).map((e) => e.timestamp)).toEqual(['2022-04-04T10:00:00.436-07:00', '2022-04-04T10:00:01.436-07:00']);
  });

  it('writes NDJSON envelopes with --out, in input order, with another zone and hostname', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'nested', 'events.ndjson');
    const input = [line('02:30:00', 'ivr', 'SIP/1-1', '2022-10-30'), '', line('03:00:00', 'ivr', 'SIP/1-2', '2022-10-30'), ''].join('\r\n');
    const run = await backfill(['--out', out, '--time-zone', 'Europe/Berlin', '--hostname', 'futel-prod-back'], input);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('sent 2, skipped 0 (3 lines read; to the file)\n1 line(s) fell in a repeated fall-back hour and were stamped with its first occurrence\n');
    const lines = (await fs.readFile(out, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(JSON.parse(l).Message))).toEqual([
      { timestamp: '2022-10-30T02:30:00.436+02:00', hostname: 'futel-prod-back', event: { Event: 'UserEvent', Channel: 'SIP/1-1', UserEvent: 'ivr', Source: 'usage-pipeline backfill' } },
      { timestamp: '2022-10-30T03:00:00.436+01:00', hostname: 'futel-prod-back', event: { Event: 'UserEvent', Channel: 'SIP/1-2', UserEvent: 'ivr', Source: 'usage-pipeline backfill' } },
    ]);
    expect(kept(lines)).toHaveLength(2);
    // What `usage-pipeline local --events FILE` publishes from it: the Messages themselves.
    expect(messagesFromEventsFile(await fs.readFile(out, 'utf8'))).toEqual(lines.map((l) => JSON.parse(l).Message));
    expect(await fs.readdir(path.dirname(out))).toEqual(['events.ndjson']);
  });

  it('writes envelopes to stdout with --out -, the summary to stderr', async () => {
    const run = await backfill(['--out', '-', '--json'], `${line('10:00:00', 'ivr')}\nbroken\n`);
    expect(run.code).toBe(2);
    const [summary, ...rest] = run.stderr.trim().split('\n').reverse();
    expect(rest).toEqual(['usage-pipeline backfill: line 2: skipped: does not start with a "YYYY-MM-DD HH:MM:SS,mmm" timestamp']);
    expect(JSON.parse(summary!)).toMatchObject({ sent: 1, skipped: 1, rejections: [{ line: 2 }] });
    expect(kept(run.stdout.trim().split('\n'))).toMatchObject([{ day: '20220404', event: 'ivr' }]);
  });

  it.each([
    [['--out', '-', '--queue-url', 'http://x/1/q'], 'give exactly one of --topic-arn, --queue-url and --out'],
    [[], 'give exactly one of --topic-arn, --queue-url and --out'],
    [['--out', '-', '--time-zone', 'Pacific/Nowhere'], '--time-zone: unknown time zone "Pacific/Nowhere" (expected an IANA name such as America/Los_Angeles)'],
    [['--topic-arn', 'usage-events'], '--topic-arn: "usage-events" is not an SNS topic ARN'],
  ])('refuses %j with a one-line error', async (args, message) => {
    const run = await backfill(args, line('10:00:00', 'ivr'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`usage-pipeline: ${message}\n`);
    expect(run.stdout).toBe('');
  });

  it('stops with a one-line error when the topic does not exist, and writes no partial file', async () => {
    const run = await backfill(['--topic-arn', 'arn:aws:sns:us-east-1:000000000000:missing', '--endpoint', endpoint], line('10:00:00', 'ivr'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^usage-pipeline: stopped after sending 0 message\(s\) \(line 1\): NotFound.*\n$/);

    const dir = await tempDir();
    const blocked = path.join(dir, 'file');
    await fs.writeFile(blocked, '');
    const bad = await backfill(['--out', path.join(blocked, 'events.ndjson')], line('10:00:00', 'ivr'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^usage-pipeline: --out: cannot write .*\n$/);
  });
});
