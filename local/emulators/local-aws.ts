/**
 * In-process SNS, SQS and S3 (fauxqs) for the embedded local mode and the tests.
 *
 * fauxqs's own `startFauxqs()` listens on 0.0.0.0; the local mode must not open a port to the
 * network, so this builds its Fastify app and listens on the loopback interface only.
 *
 *   const aws = await startLocalAws();
 *   const sqs = new SQSClient(aws.clientConfig());
 *   const queues = await createPipelineQueues(aws);
 *   await publishMessages(aws, queues.topicArn, ['{"timestamp": …}']);   // through the topic
 *   await sendBodies(aws, queues.queueUrl, ['{"Type": "Notification", …}']); // recorded SQS bodies
 *   await aws.close();
 *
 * fauxqs 2.4.1 declares Node >= 22.5: its entry module imports `node:sqlite` (for optional
 * persistence, never used here) and so fails to load at all on Node 20. There, `node:sqlite`
 * is mapped, for fauxqs's modules only, to a stub that throws if used: by a loader hook under
 * Node and tsx; under Jest, which forbids loader hooks, by `moduleNameMapper` (jest.config.js).
 */
import { isBuiltin, register } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describeAwsError } from '../../functions/adapters/aws-error.js';

export interface LocalAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface LocalAwsClientConfig {
  endpoint: string;
  region: string;
  credentials: LocalAwsCredentials;
  /** For S3: the emulator serves buckets by path, not by host name. Other clients ignore it. */
  forcePathStyle: true;
}

export interface LocalAws {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: LocalAwsCredentials;
  /** The address the server is bound to (always the loopback interface). */
  readonly address: AddressInfo;
  /** Configuration for any AWS SDK v3 client: `new S3Client(aws.clientConfig())`. */
  clientConfig(): LocalAwsClientConfig;
  /** Stops the server and frees its port; every queue, topic and bucket is gone. Idempotent. */
  close(): Promise<void>;
}

export interface StartLocalAwsOptions {
  /** Region of the ARNs and queue URLs; `us-east-1` by default. */
  readonly region?: string;
}

export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  // The AWS SDK warns once per process on Node 20 that releases from 2027 will need Node 22.
  // This is its documented switch for that one warning; a choice made by the user stands.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const { buildApp } = await loadFauxqs();
  const region = options.region ?? 'us-east-1';
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials: LocalAwsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    region,
    credentials,
    address: { ...address },
    clientConfig: () => ({ endpoint, region, credentials: { ...credentials }, forcePathStyle: true }),
    close: () => (closing ??= app.close()),
  };
}

export interface PipelineQueues {
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

export interface PipelineQueueOptions {
  topicName?: string;
  queueName?: string;
  deadLetterQueueName?: string;
  /** Receives without a delete before a message moves to the dead-letter queue (5). */
  maxReceiveCount?: number;
  /** Seconds a received message stays hidden (300: longer than a drain takes). */
  visibilityTimeoutSeconds?: number;
}

/**
 * The pipeline's messaging as in production: a topic, a queue subscribed to it (SNS envelope,
 * raw delivery off) and a dead-letter queue behind it. Idempotent for the same options.
 */
export async function createPipelineQueues(aws: LocalAws, options: PipelineQueueOptions = {}): Promise<PipelineQueues> {
  const topicName = options.topicName ?? 'usage-events';
  const queueName = options.queueName ?? 'usage-events';
  const deadLetterQueueName = options.deadLetterQueueName ?? `${queueName}-dlq`;
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 300;

  const sqs = new SQSClient(aws.clientConfig());
  const sns = new SNSClient(aws.clientConfig());
  try {
    const deadLetterQueueUrl = required(
      (await sqs.send(new CreateQueueCommand({ QueueName: deadLetterQueueName, Attributes: { MessageRetentionPeriod: '1209600' } }))).QueueUrl,
      'CreateQueue QueueUrl',
    );
    const deadLetterQueueArn = await queueArnOf(sqs, deadLetterQueueUrl);
    const queueUrl = required(
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: queueName,
            Attributes: {
              VisibilityTimeout: String(visibilityTimeoutSeconds),
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount }),
            },
          }),
        )
      ).QueueUrl,
      'CreateQueue QueueUrl',
    );
    const queueArn = await queueArnOf(sqs, queueUrl);
    const topicArn = required((await sns.send(new CreateTopicCommand({ Name: topicName }))).TopicArn, 'CreateTopic TopicArn');
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        // The drain parses the SNS envelope, as it arrives in production.
        Attributes: { RawMessageDelivery: 'false' },
        ReturnSubscriptionArn: true,
      }),
    );
    return { topicArn, queueUrl, queueArn, deadLetterQueueUrl, deadLetterQueueArn };
  } finally {
    sqs.destroy();
    sns.destroy();
  }
}

/**
 * SNS's limit on a message and SQS's on a body (LIMITS.md), which is also the limit on the sum
 * of a batch's entries.
 */
export const MESSAGE_LIMIT_BYTES = 262_144;
/** Entries of one PublishBatch or SendMessageBatch call. */
const BATCH_ENTRIES = 10;

/** Consecutive groups of at most `maxEntries` items whose sizes add up to at most `maxBytes`. */
function batchesOf(items: readonly string[], maxEntries: number, maxBytes = MESSAGE_LIMIT_BYTES): Array<{ start: number; items: string[] }> {
  const batches: Array<{ start: number; items: string[] }> = [];
  let current: { start: number; items: string[] } | null = null;
  let bytes = 0;
  items.forEach((item, index) => {
    const size = Buffer.byteLength(item, 'utf8');
    if (size > maxBytes) throw new RangeError(`message ${index} is ${size} bytes, over the ${maxBytes}-byte limit`);
    if (!current || current.items.length === maxEntries || bytes + size > maxBytes) {
      current = { start: index, items: [] };
      batches.push(current);
      bytes = 0;
    }
    current.items.push(item);
    bytes += size;
  });
  return batches;
}

/**
 * Puts recorded SQS bodies (SNS envelopes as the queue received them) straight onto the queue,
 * unchanged: a replay keeps each envelope's `MessageId` and `Timestamp`. 10 per call, within
 * the batch size limit. Throws if any entry is refused.
 */
export async function sendBodies(aws: LocalAws, queueUrl: string, bodies: readonly string[]): Promise<{ sent: number; requests: number }> {
  const sqs = new SQSClient(aws.clientConfig());
  let sent = 0;
  let requests = 0;
  try {
    for (const batch of batchesOf(bodies, BATCH_ENTRIES)) {
      requests += 1;
      const output = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.items.map((body, index) => ({ Id: `m${index}`, MessageBody: body })) }),
      );
      const failed = output.Failed ?? [];
      if (failed.length > 0) {
        const detail = failed.map((entry) => `body ${batch.start + Number(entry.Id?.slice(1))}: ${entry.Code}: ${entry.Message}`).join('; ');
        throw new Error(`SQS SendMessageBatch to ${queueUrl} refused ${failed.length} of ${batch.items.length} bodies: ${detail}`);
      }
      sent += batch.items.length;
    }
  } finally {
    sqs.destroy();
  }
  return { sent, requests };
}

/** Actions a service answers when it does not implement PublishBatch. */
const UNSUPPORTED_ACTION_CODES = new Set(['InvalidAction', 'UnknownOperation', 'UnknownOperationException', 'NotImplemented', 'UnsupportedOperation']);

/**
 * Publishes the messages to the topic, 10 per `PublishBatch` call (or `batchSize`) within the
 * batch size limit, falling back to one `Publish` each where PublishBatch is not implemented.
 * Throws if any entry is refused.
 */
export async function publishMessages(
  aws: LocalAws,
  topicArn: string,
  messages: readonly string[],
  options: { batchSize?: number } = {},
): Promise<{ published: number; requests: number }> {
  const batchSize = options.batchSize ?? BATCH_ENTRIES;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_ENTRIES) throw new RangeError(`batchSize must be 1 to ${BATCH_ENTRIES}, not ${batchSize}`);
  const sns = new SNSClient(aws.clientConfig());
  let published = 0;
  let requests = 0;
  let batchSupported = true;
  try {
    for (const { start, items: batch } of batchesOf(messages, batchSize)) {
      if (batchSupported) {
        try {
          requests += 1;
          const output = await sns.send(
            new PublishBatchCommand({
              TopicArn: topicArn,
              PublishBatchRequestEntries: batch.map((message, index) => ({ Id: `m${index}`, Message: message })),
            }),
          );
          const failed = output.Failed ?? [];
          if (failed.length > 0) {
            const detail = failed.map((entry) => `message ${start + Number(entry.Id?.slice(1))}: ${entry.Code}: ${entry.Message}`).join('; ');
            throw new Error(`SNS PublishBatch to ${topicArn} refused ${failed.length} of ${batch.length} messages: ${detail}`);
          }
          published += batch.length;
          continue;
        } catch (error) {
          if (!UNSUPPORTED_ACTION_CODES.has(describeAwsError(error).code)) throw error;
          batchSupported = false;
        }
      }
      for (const message of batch) {
        requests += 1;
        await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
        published += 1;
      }
    }
  } finally {
    sns.destroy();
  }
  return { published, requests };
}

type Fauxqs = typeof import('fauxqs');
let fauxqs: Promise<Fauxqs> | undefined;

const SQLITE_STUB = `export class DatabaseSync {
  constructor() { throw new Error('node:sqlite needs Node >= 22.5: fauxqs persistence is unavailable'); }
}`;
const SQLITE_HOOKS = `export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'node:sqlite' && (context.parentURL ?? '').includes('/fauxqs/')) {
    return { url: ${JSON.stringify(`data:text/javascript,${encodeURIComponent(SQLITE_STUB)}`)}, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}`;

/** Imports fauxqs once, first making `node:sqlite` resolvable for it where Node lacks it. */
export function loadFauxqs(): Promise<Fauxqs> {
  fauxqs ??= (async () => {
    if (!isBuiltin('node:sqlite')) {
      try {
        register(`data:text/javascript,${encodeURIComponent(SQLITE_HOOKS)}`);
      } catch {
        // A sandbox with its own module loader (Jest) refuses hooks and must map node:sqlite itself.
      }
    }
    try {
      return await import('fauxqs');
    } catch (error) {
      if (!String((error as Error).message).includes('node:sqlite')) throw error;
      throw new Error(
        `fauxqs cannot load: it imports node:sqlite, which Node ${process.version} lacks. Under Jest, map it to a stub ` +
          `with moduleNameMapper '^node:sqlite$' (see jest.config.js).`,
        { cause: error },
      );
    }
  })();
  fauxqs.catch(() => {
    fauxqs = undefined;
  });
  return fauxqs;
}

async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const output = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return required(output.Attributes?.QueueArn, 'GetQueueAttributes QueueArn');
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`local AWS: the response has no ${what}`);
  return value;
}
