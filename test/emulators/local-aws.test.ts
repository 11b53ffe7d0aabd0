/**
 * The in-process AWS of the local mode: loopback only, the pipeline's topic → queue → DLQ wiring
 * with SNS's envelope and redrive, and a port that is really freed on close.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import type { QueueMessage } from '../../functions/core/queue.js';
import { createPipelineQueues, publishMessages, startLocalAws, type LocalAws } from '../../local/emulators/local-aws.js';
import { startRecordingServer } from '../support/recording-server.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

function connect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Receives until `count` messages have arrived (or the attempts run out). */
async function receiveAll(queue: SqsMessageQueue, count: number): Promise<QueueMessage[]> {
  const received: QueueMessage[] = [];
  for (let attempt = 0; attempt < 10 && received.length < count; attempt++) received.push(...(await queue.receive(10, 1)));
  return received;
}

describe('local AWS', () => {
  let aws: LocalAws;

  beforeAll(async () => {
    aws = await startLocalAws();
  });

  afterAll(async () => {
    await aws.close();
  });

  it('listens on the loopback interface only', async () => {
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(aws.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    const port = aws.address.port;
    expect(aws.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(await connect('127.0.0.1', port)).toBe('connected');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4')
      .map((address) => address!.address);
    for (const address of external) expect(await connect(address, port)).toBe('ECONNREFUSED');
    expect(aws.clientConfig()).toEqual({ endpoint: aws.endpoint, region: 'us-east-1', credentials: aws.credentials, forcePathStyle: true });
  });

  it('delivers SNS publishes to the queue in the SNS notification envelope', async () => {
    const queues = await createPipelineQueues(aws, { topicName: 'events-envelope', queueName: 'drain-envelope' });
    expect(queues.topicArn).toBe('arn:aws:sns:us-east-1:000000000000:events-envelope');
    expect(queues.queueArn).toBe('arn:aws:sqs:us-east-1:000000000000:drain-envelope');
    expect(queues.deadLetterQueueArn).toBe('arn:aws:sqs:us-east-1:000000000000:drain-envelope-dlq');

    const sns = new SNSClient(aws.clientConfig());
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: queues.topicArn }));
    expect(Subscriptions?.map((subscription) => [subscription.Protocol, subscription.Endpoint])).toEqual([['sqs', queues.queueArn]]);
    const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions![0]!.SubscriptionArn! }));
    expect(Attributes?.RawMessageDelivery ?? 'false').toBe('false');
    sns.destroy();

    const messages = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ timestamp: `2025-03-01T00:00:${String(i).padStart(2, '0')}+00:00`, hostname: 'futel-prod.phu73l.net', event: { Event: 'UserEvent', UserEvent: `e_${i}`, Channel: 'PJSIP/630-0000011f' } }),
    );
    const before = Date.now();
    await expect(publishMessages(aws, queues.topicArn, messages)).resolves.toEqual({ published: 12, requests: 2 });

    const sqs = new SQSClient(aws.clientConfig());
    const queue = new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl });
    const received = await receiveAll(queue, 12);
    expect(received).toHaveLength(12);
    const envelopes = received.map((message) => JSON.parse(message.body) as Record<string, unknown>);
    for (const envelope of envelopes) {
      expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: queues.topicArn, MessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(typeof envelope.Message).toBe('string');
      expect(Date.parse(String(envelope.Timestamp))).toBeGreaterThanOrEqual(before - 1_000);
    }
    expect(envelopes.map((envelope) => envelope.Message).sort()).toEqual([...messages].sort());
    expect(new Set(envelopes.map((envelope) => envelope.MessageId)).size).toBe(12);
    expect((await queue.deleteBatch(received)).deleted).toBe(12);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });
    sqs.destroy();
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives without a delete', async () => {
    const queues = await createPipelineQueues(aws, { topicName: 'events-redrive', queueName: 'drain-redrive', maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });
    const sqs = new SQSClient(aws.clientConfig());
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.queueUrl, AttributeNames: ['All'] }));
    expect(Attributes?.VisibilityTimeout).toBe('1');
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: queues.deadLetterQueueArn, maxReceiveCount: 2 });

    const queue = new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl });
    const deadLetters = new SqsMessageQueue({ client: sqs, queueUrl: queues.deadLetterQueueUrl });
    await publishMessages(aws, queues.topicArn, ['{"poison": true}']);

    const first = await queue.receive(10, 1);
    expect(first.map((message) => message.receiveCount)).toEqual([1]);
    // Long polls wait for the message to be visible again (after its 1 s visibility timeout).
    const second = await queue.receive(10, 2);
    expect(second.map((message) => [message.id, message.receiveCount])).toEqual([[first[0]!.id, 2]]);
    // The third delivery would pass maxReceiveCount: the message goes to the dead-letter queue instead.
    expect(await queue.receive(10, 2)).toEqual([]);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });

    const [dead, ...more] = await deadLetters.receive(10, 1);
    expect(more).toEqual([]);
    expect(dead!.id).toBe(first[0]!.id);
    expect(JSON.parse(dead!.body)).toMatchObject({ Type: 'Notification', TopicArn: queues.topicArn, Message: '{"poison": true}' });
    sqs.destroy();
  });

  it('publishes one by one where PublishBatch is not implemented', async () => {
    const server = await startRecordingServer((request) => {
      const action = new URLSearchParams(request.body.toString()).get('Action');
      const headers = { 'content-type': 'text/xml', 'x-amzn-requestid': 'f187a3c1-376f-11df-8963-01868b7c937a' };
      if (action === 'PublishBatch') {
        return {
          status: 400,
          headers,
          body:
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code>' +
            '<Message>Unknown action: PublishBatch</Message></Error><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ErrorResponse>',
        };
      }
      return {
        status: 200,
        headers,
        body:
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>' +
          '</PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>',
      };
    });
    const fake: LocalAws = { ...aws, endpoint: server.endpoint, clientConfig: () => ({ ...aws.clientConfig(), endpoint: server.endpoint }) };
    const topicArn = 'arn:aws:sns:us-east-1:000000000000:usage-events';
    const result = await publishMessages(fake, topicArn, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
    const actions = server.requests.map((request) => new URLSearchParams(request.body.toString()));
    await server.close();
    expect(result).toEqual({ published: 12, requests: 13 });
    expect(actions.map((params) => params.get('Action'))).toEqual(['PublishBatch', ...Array<string>(12).fill('Publish')]);
    expect(actions.slice(1).map((params) => params.get('Message'))).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
    expect(actions.every((params) => params.get('TopicArn') === topicArn)).toBe(true);
  });
});

describe('local AWS outside Jest', () => {
  it('runs under Node and tsx, whatever its version, without warnings', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `
      import { SQSClient } from '@aws-sdk/client-sqs';
      import { SqsMessageQueue } from ${JSON.stringify(pathToFileURL(path.join(root, 'functions/adapters/sqs-queue.ts')).href)};
      import { createPipelineQueues, publishMessages, startLocalAws } from ${JSON.stringify(pathToFileURL(path.join(root, 'local/emulators/local-aws.ts')).href)};
      const aws = await startLocalAws();
      const queues = await createPipelineQueues(aws);
      await publishMessages(aws, queues.topicArn, ['{"hello": 1}']);
      const sqs = new SQSClient(aws.clientConfig());
      const [message] = await new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl }).receive(10, 1);
      console.log(JSON.stringify({ endpoint: aws.endpoint, message: JSON.parse(message.body).Message }));
      sqs.destroy();
      await aws.close();
    `;
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.NODE_OPTIONS;
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env, timeout: 15_000 });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), message: '{"hello": 1}' });
  });
});

describe('local AWS close()', () => {
  it('frees the port, and may be called twice', async () => {
    const aws = await startLocalAws();
    const { port } = aws.address;
    await aws.close();
    await aws.close();
    expect(await connect('127.0.0.1', port)).toBe('ECONNREFUSED');
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('closes while a long poll is waiting, without waiting for it', async () => {
    const aws = await startLocalAws();
    const queues = await createPipelineQueues(aws);
    // Through a proxy, to know when the receive has gone out to the emulator.
    const proxy = await startRecordingServer(() => 'forward', { upstream: aws.endpoint });
    const sqs = new SQSClient({ ...aws.clientConfig(), endpoint: proxy.endpoint });
    try {
      const polling = new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl }).receive(10, 20).catch((error: Error) => error);
      await waitFor('the long poll to be sent on', () => proxy.requests.some((request) => request.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage'));
      // A round trip to the emulator after it: the receive is in before this answer comes back.
      expect((await fetch(`${aws.endpoint}/health`)).status).toBe(200);
      // Close drops the waiting receive's connection: had it waited for the poll to end, the
      // receive would have been answered (200, no messages). The SDK's retries then find no one.
      await aws.close();
      expect(await polling).toMatchObject({ name: 'TransientQueueError' });
      expect(proxy.answers[0]).toBe('upstream failed: socket hang up');
      expect(proxy.answers.slice(1)).toEqual(proxy.answers.slice(1).map(() => expect.stringContaining('ECONNREFUSED')));
    } finally {
      sqs.destroy();
      await proxy.close();
    }
  });
});
