/**
 * SqsMessageQueue against fauxqs's in-process SQS, and at the wire level (SQS's JSON protocol)
 * for the batch-delete outcomes fauxqs never produces: refused entries and service faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { CreateQueueCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { QueueMessage } from '../../functions/core/queue.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import { QueueError, TransientQueueError } from '../../functions/adapters/errors.js';
import { createRequestStats } from '../../functions/adapters/aws-error.js';
import { startLocalAws, type LocalAws } from '../../local/emulators/local-aws.js';
import { startRecordingServer, type CannedResponse, type RecordedRequest, type RecordingServer } from '../support/recording-server.js';

describe('SqsMessageQueue on the in-process SQS', () => {
  let aws: LocalAws;
  let client: SQSClient;
  let queueCount = 0;

  beforeAll(async () => {
    aws = await startLocalAws();
    client = new SQSClient(aws.clientConfig());
  });

  afterAll(async () => {
    client.destroy();
    await aws.close();
  });

  async function freshQueue(): Promise<string> {
    const output = await client.send(new CreateQueueCommand({ QueueName: `drain-test-${++queueCount}`, Attributes: { VisibilityTimeout: '60' } }));
    return output.QueueUrl!;
  }

  it('receives 25 messages 10 at a time and deletes them in 3 batch calls', async () => {
    const queueUrl = await freshQueue();
    const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ Type: 'Notification', Message: `{"n": ${i}}` }));
    for (let start = 0; start < bodies.length; start += 10) {
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(start, start + 10).map((body, i) => ({ Id: `e${i}`, MessageBody: body })),
        }),
      );
    }

    const queue = new SqsMessageQueue({ client, queueUrl });
    expect(queue.name).toBe(`drain-test-${queueCount}`);
    expect(await queue.depth()).toEqual({ visible: 25, inFlight: 0 });

    const received: QueueMessage[] = [];
    const batchSizes: number[] = [];
    for (;;) {
      const batch = await queue.receive(10, 0);
      if (batch.length === 0) break;
      batchSizes.push(batch.length);
      received.push(...batch);
    }
    expect(batchSizes).toEqual([10, 10, 5]);
    expect(received.map((message) => message.body).sort()).toEqual([...bodies].sort());
    expect(new Set(received.map((message) => message.id)).size).toBe(25);
    expect(received.every((message) => message.receiveCount === 1 && message.receiptHandle.length > 0)).toBe(true);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 25 });

    const before = queue.stats.byOperation.DeleteMessageBatch ?? 0;
    await expect(queue.deleteBatch(received)).resolves.toEqual({ deleted: 25, failed: [] });
    expect(queue.stats.byOperation.DeleteMessageBatch! - before).toBe(3);

    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });
    expect(await queue.receive(10, 0)).toEqual([]);
    expect(queue.stats.byOperation).toEqual({ GetQueueAttributes: 3, ReceiveMessage: 5, DeleteMessageBatch: 3 });
    expect(queue.requestCount).toBe(11);
  });

  it('long-polls: a receive waits for a message that becomes available while it waits', async () => {
    const queueUrl = await freshQueue();
    // Delayed: invisible for a second after the send, so a receive that did not wait finds nothing.
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late', DelaySeconds: 1 }));
    const queue = new SqsMessageQueue({ client, queueUrl });
    expect(await queue.receive(10, 0)).toEqual([]);
    expect((await queue.receive(10, 5)).map((message) => message.body)).toEqual(['late']);
  });

  it('does not throw for a delete with a bogus receipt handle', async () => {
    const queueUrl = await freshQueue();
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'kept' }));
    const queue = new SqsMessageQueue({ client, queueUrl });
    const [message] = await queue.receive(1, 0);
    const bogus: QueueMessage = { id: 'bogus', receiptHandle: 'not-a-receipt-handle', body: '' };
    // fauxqs accepts any handle (real SQS refuses a malformed one: see the wire tests below).
    const result = await queue.deleteBatch([bogus, message!]);
    expect(result.deleted + result.failed.length).toBe(2);
    expect(result.failed.every((failure) => failure.id === 'bogus')).toBe(true);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('refuses out-of-range receives and makes no call for an empty delete', async () => {
    const queue = new SqsMessageQueue({ client, queueUrl: await freshQueue() });
    await expect(queue.receive(11, 0)).rejects.toBeInstanceOf(RangeError);
    await expect(queue.receive(0, 0)).rejects.toBeInstanceOf(RangeError);
    await expect(queue.receive(10, 21)).rejects.toBeInstanceOf(RangeError);
    await expect(queue.deleteBatch([])).resolves.toEqual({ deleted: 0, failed: [] });
    expect(queue.requestCount).toBe(0);
  });

  it('throws QueueError for a queue that does not exist', async () => {
    const queue = new SqsMessageQueue({ client, queueUrl: `${aws.endpoint}/000000000000/no-such-queue` });
    await expect(queue.receive(10, 0)).rejects.toMatchObject({ name: 'QueueError', details: { operation: 'ReceiveMessage' } });
    await expect(queue.depth()).rejects.toBeInstanceOf(QueueError);
  });
});

describe('SqsMessageQueue on the wire', () => {
  let server: RecordingServer;
  let client: SQSClient;
  const queueUrl = 'https://sqs.us-west-2.amazonaws.com/123456789012/usage-events';

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): CannedResponse => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'a1b2c3d4-0000-4000-8000-000000000000', ...headers },
    body: JSON.stringify(body),
  });
  const target = (request: RecordedRequest) => String(request.headers['x-amz-target']).replace(/^AmazonSQS\./, '');
  const input = (request: RecordedRequest) => JSON.parse(request.body.toString()) as Record<string, unknown>;
  const entriesOf = (request: RecordedRequest) => input(request).Entries as { Id: string; ReceiptHandle: string }[];
  const messages = (count: number): QueueMessage[] =>
    Array.from({ length: count }, (_, i) => ({ id: `msg-${i}`, receiptHandle: `handle-${i}`, body: `body-${i}` }));

  /** Answers every DeleteMessageBatch with `failFor(handle)` for each entry (undefined: success). */
  const batchAnswer =
    (failFor: (handle: string, call: number) => { code: string; senderFault: boolean } | undefined) =>
    (request: RecordedRequest): CannedResponse => {
      const call = server.requests.filter((r) => target(r) === 'DeleteMessageBatch').length;
      const successful: { Id: string }[] = [];
      const failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
      for (const entry of entriesOf(request)) {
        const failure = failFor(entry.ReceiptHandle, call);
        if (failure) failed.push({ Id: entry.Id, Code: failure.code, Message: `${failure.code} for ${entry.ReceiptHandle}`, SenderFault: failure.senderFault });
        else successful.push({ Id: entry.Id });
      }
      return json(200, { Successful: successful, Failed: failed });
    };

  beforeAll(async () => {
    server = await startRecordingServer();
    client = new SQSClient({
      endpoint: server.endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      maxAttempts: 1,
    });
  });

  beforeEach(() => {
    server.requests.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  const newQueue = () => new SqsMessageQueue({ client, queueUrl, stats: createRequestStats(), deleteRetryDelaysMs: [5, 5] });

  it('asks for up to 10 messages with long polling, their receive counts and sent times', async () => {
    const body = '{"Type":"Notification","Message":"{}"}';
    server.respond(() =>
      json(200, {
        Messages: [
          {
            MessageId: '5fea7756-0ea4-451a-a703-a558b933e274',
            ReceiptHandle: 'MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw',
            MD5OfBody: createHash('md5').update(body).digest('hex'),
            Body: body,
            Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1740859200123' },
          },
        ],
      }),
    );
    const queue = newQueue();
    expect(queue.name).toBe('usage-events');
    const [message, ...rest] = await queue.receive(10, 20);
    expect(rest).toEqual([]);
    expect(message).toEqual({
      id: '5fea7756-0ea4-451a-a703-a558b933e274',
      receiptHandle: 'MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw',
      body,
      receiveCount: 3,
      sentAt: new Date(1740859200123),
    });
    const [request] = server.requests;
    expect(target(request!)).toBe('ReceiveMessage');
    expect(input(request!)).toMatchObject({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });
  });

  it('deletes in calls of at most 10 entries with distinct ids', async () => {
    server.respond(batchAnswer(() => undefined));
    const queue = newQueue();
    await expect(queue.deleteBatch(messages(23))).resolves.toEqual({ deleted: 23, failed: [] });
    expect(server.requests.map(target)).toEqual(['DeleteMessageBatch', 'DeleteMessageBatch', 'DeleteMessageBatch']);
    expect(server.requests.map((request) => entriesOf(request).length)).toEqual([10, 10, 3]);
    for (const request of server.requests) {
      const ids = entriesOf(request).map((entry) => entry.Id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(input(request).QueueUrl).toBe(queueUrl);
    }
    expect(server.requests.flatMap(entriesOf).map((entry) => entry.ReceiptHandle)).toEqual(messages(23).map((message) => message.receiptHandle));
    expect(queue.stats.byOperation).toEqual({ DeleteMessageBatch: 3 });
  });

  it('reports a refused entry (bogus receipt handle) in failed, without retrying or throwing', async () => {
    server.respond(batchAnswer((handle) => (handle === 'bogus' ? { code: 'ReceiptHandleIsInvalid', senderFault: true } : undefined)));
    const queue = newQueue();
    const batch = [...messages(2), { id: 'msg-bogus', receiptHandle: 'bogus', body: '' }];
    await expect(queue.deleteBatch(batch)).resolves.toEqual({
      deleted: 2,
      failed: [{ id: 'msg-bogus', code: 'ReceiptHandleIsInvalid', message: 'ReceiptHandleIsInvalid for bogus', senderFault: true }],
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries entries the service failed, and only those', async () => {
    server.respond(batchAnswer((handle, call) => (handle === 'handle-4' && call === 1 ? { code: 'InternalError', senderFault: false } : undefined)));
    const queue = newQueue();
    await expect(queue.deleteBatch(messages(12))).resolves.toEqual({ deleted: 12, failed: [] });
    // Batches run concurrently, so only the set of calls is fixed, not their order.
    const calls = server.requests.map((request) => entriesOf(request).map((entry) => entry.ReceiptHandle));
    expect(calls).toHaveLength(3);
    expect(calls).toEqual(expect.arrayContaining([messages(10).map((message) => message.receiptHandle), ['handle-4'], ['handle-10', 'handle-11']]));
    // The retry comes after the call that failed it.
    expect(calls.findIndex((c) => c.length === 1)).toBeGreaterThan(calls.findIndex((c) => c.length === 10));
  });

  it('gives up on a persistent service fault after two retries and reports it', async () => {
    server.respond(batchAnswer((handle) => (handle === 'handle-1' ? { code: 'InternalError', senderFault: false } : undefined)));
    const queue = newQueue();
    const result = await queue.deleteBatch(messages(3));
    expect(result).toEqual({ deleted: 2, failed: [{ id: 'msg-1', code: 'InternalError', message: 'InternalError for handle-1', senderFault: false }] });
    expect(server.requests.map((request) => entriesOf(request).length)).toEqual([3, 1, 1]);
  });

  it('reports every entry when the call fails transiently, and throws when it fails otherwise', async () => {
    server.respond(() => json(500, { __type: 'com.amazon.coral.service#InternalFailure', message: 'We encountered an internal error.' }));
    const queue = newQueue();
    const result = await queue.deleteBatch(messages(2));
    expect(result.deleted).toBe(0);
    expect(result.failed.map((failure) => [failure.id, failure.senderFault])).toEqual([
      ['msg-0', false],
      ['msg-1', false],
    ]);
    expect(server.requests).toHaveLength(3);

    server.requests.length = 0;
    server.respond(() =>
      json(
        400,
        { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
        { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
      ),
    );
    const failure = queue.deleteBatch(messages(2));
    await expect(failure).rejects.toBeInstanceOf(QueueError);
    await expect(failure).rejects.not.toBeInstanceOf(TransientQueueError);
    await expect(failure).rejects.toThrow(/DeleteMessageBatch .*usage-events/);
    expect(server.requests).toHaveLength(1);
  });

  it('throws TransientQueueError when a receive is throttled', async () => {
    server.respond(() =>
      json(
        400,
        { __type: 'com.amazonaws.sqs#RequestThrottled', message: 'Request is throttled.' },
        { 'x-amzn-query-error': 'RequestThrottled;Sender' },
      ),
    );
    await expect(newQueue().receive(10, 0)).rejects.toMatchObject({ name: 'TransientQueueError' });
  });
});
