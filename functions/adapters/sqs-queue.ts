/**
 * The MessageQueue over SQS: one long-polled receive and one batch delete per 10 messages, so
 * a drain of 1,000 messages costs about 200 calls (the Python drainer deleted one at a time).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type DeleteMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeleteFailure, MessageQueue, QueueMessage } from '../core/queue.js';
import { countedCall, createRequestStats, describeAwsError, type RequestStats } from './aws-error.js';
import { QueueError, TransientQueueError, type QueueErrorDetails } from './errors.js';

/** SQS's limit for ReceiveMessage and DeleteMessageBatch. */
const BATCH_LIMIT = 10;
/** SQS's limit for long polling. */
const MAX_WAIT_SECONDS = 20;


export interface SqsMessageQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Counters to add to, to share one between adapters; a fresh one by default. */
  readonly stats?: RequestStats;
  /** Pauses before re-sending delete entries the service failed (not the sender); one retry per entry. */
  readonly deleteRetryDelaysMs?: readonly number[];
}

/** DeleteMessageBatch calls in flight at once. */
const DELETES_IN_FLIGHT = 4;

export class SqsMessageQueue implements MessageQueue {
  readonly name: string;
  readonly queueUrl: string;
  readonly stats: RequestStats;
  private readonly client: SQSClient;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: SqsMessageQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.stats = options.stats ?? createRequestStats();
    this.retryDelaysMs = options.deleteRetryDelaysMs ?? [100, 400];
    this.name = queueNameOf(options.queueUrl);
  }

  /** API calls made so far (shared with every adapter using the same `stats`). */
  get requestCount(): number {
    return this.stats.requests;
  }

  async receive(max: number, waitSeconds: number): Promise<QueueMessage[]> {
    if (!Number.isInteger(max) || max < 1 || max > BATCH_LIMIT) throw new RangeError(`receive: max must be 1 to ${BATCH_LIMIT}, not ${max}`);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw new RangeError(`receive: waitSeconds must be 0 to ${MAX_WAIT_SECONDS}, not ${waitSeconds}`);
    }
    let output;
    try {
      output = await countedCall(this.stats, 'ReceiveMessage', () =>
        this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: max,
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        ),
      );
    } catch (error) {
      throw this.failure('ReceiveMessage', error);
    }
    return (output.Messages ?? []).map((message) => {
      if (!message.MessageId || !message.ReceiptHandle) {
        throw new QueueError(`SQS ReceiveMessage ${this.queueUrl}: a message without MessageId or ReceiptHandle`, {
          operation: 'ReceiveMessage',
          queueUrl: this.queueUrl,
          code: 'MalformedResponse',
        });
      }
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
      const sentAt = Number(message.Attributes?.SentTimestamp);
      return {
        id: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body ?? '',
        ...(Number.isFinite(receiveCount) && receiveCount > 0 ? { receiveCount } : {}),
        ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt: new Date(sentAt) } : {}),
      };
    });
  }

  async deleteBatch(messages: readonly QueueMessage[]): Promise<{ deleted: number; failed: DeleteFailure[] }> {
    let deleted = 0;
    const failed: DeleteFailure[] = [];
    const chunks: QueueMessage[][] = [];
    for (let start = 0; start < messages.length; start += BATCH_LIMIT) chunks.push(messages.slice(start, start + BATCH_LIMIT));
    // A few calls in flight at once: the round trips, not the service, bound a large delete.
    let next = 0;
    const deleteChunks = async () => {
      while (next < chunks.length) {
        let pending = chunks[next++] as QueueMessage[];
        for (let round = 0; ; round++) {
          const result = await this.deleteChunk(pending);
          deleted += result.deleted;
          const retryable = result.failures.filter(({ failure }) => !failure.senderFault);
          failed.push(...result.failures.filter(({ failure }) => failure.senderFault).map(({ failure }) => failure));
          if (retryable.length === 0) break;
          const delay = this.retryDelaysMs[round];
          if (delay === undefined) {
            failed.push(...retryable.map(({ failure }) => failure));
            break;
          }
          await sleep(delay);
          pending = retryable.map(({ message }) => message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETES_IN_FLIGHT, chunks.length) }, deleteChunks));
    return { deleted, failed };
  }

  async depth(): Promise<{ visible: number; inFlight: number }> {
    let output;
    try {
      output = await countedCall(this.stats, 'GetQueueAttributes', () =>
        this.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: this.queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        ),
      );
    } catch (error) {
      throw this.failure('GetQueueAttributes', error);
    }
    return {
      visible: Number(output.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /**
   * One DeleteMessageBatch call. A call that fails transiently (after the SDK's own retries)
   * reports every entry as a service fault, so the caller retries or reports them; the messages
   * are then simply delivered again. Any other failure of the call throws.
   */
  private async deleteChunk(
    messages: readonly QueueMessage[],
  ): Promise<{ deleted: number; failures: { message: QueueMessage; failure: DeleteFailure }[] }> {
    // Entry ids must be unique and [A-Za-z0-9_-]: positions are, message ids may repeat.
    const entries = messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle }));
    let output: DeleteMessageBatchCommandOutput;
    try {
      output = await countedCall(this.stats, 'DeleteMessageBatch', () =>
        this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })),
      );
    } catch (error) {
      const details = describeAwsError(error);
      if (!details.transient) throw this.failure('DeleteMessageBatch', error);
      return {
        deleted: 0,
        failures: messages.map((message) => ({
          message,
          failure: { id: message.id, code: details.code, message: details.message, senderFault: false },
        })),
      };
    }
    const succeeded = new Set((output.Successful ?? []).map((entry) => entry.Id));
    const failedById = new Map((output.Failed ?? []).map((entry) => [entry.Id, entry]));
    let deleted = 0;
    const failures: { message: QueueMessage; failure: DeleteFailure }[] = [];
    messages.forEach((message, index) => {
      const id = String(index);
      const entry = failedById.get(id);
      if (entry) {
        failures.push({
          message,
          failure: { id: message.id, code: entry.Code ?? 'Unknown', message: entry.Message ?? '', senderFault: entry.SenderFault === true },
        });
      } else if (succeeded.has(id)) {
        deleted += 1;
      } else {
        failures.push({ message, failure: { id: message.id, code: 'NoResult', message: 'the response did not mention this entry', senderFault: false } });
      }
    });
    return { deleted, failures };
  }

  private failure(operation: string, error: unknown): QueueError {
    const details = describeAwsError(error);
    const status = details.statusCode !== undefined ? ` (HTTP ${details.statusCode})` : '';
    const requestId = details.requestId ? ` [request id ${details.requestId}]` : '';
    const errorDetails: QueueErrorDetails = {
      operation,
      queueUrl: this.queueUrl,
      code: details.code,
      ...(details.statusCode !== undefined ? { statusCode: details.statusCode } : {}),
      ...(details.requestId !== undefined ? { requestId: details.requestId } : {}),
    };
    const message = `SQS ${operation} ${this.queueUrl} failed: ${details.code}${status}: ${details.message}${requestId}`;
    return details.transient ? new TransientQueueError(message, errorDetails, { cause: error }) : new QueueError(message, errorDetails, { cause: error });
  }
}

function queueNameOf(queueUrl: string): string {
  const name = queueUrl.replace(/\/+$/, '').split('/').pop();
  return name || queueUrl;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
