/** The queue the drain reads: SQS in production, an in-process emulator locally. */

export interface QueueMessage {
  /** The queue's message id (unique per message, stable across redeliveries). */
  readonly id: string;
  /** The handle that deletes this delivery. */
  readonly receiptHandle: string;
  readonly body: string;
  /** How many times the queue has delivered it, when the queue says. */
  readonly receiveCount?: number;
  /** When the queue received it (SQS `SentTimestamp`), when the queue says. */
  readonly sentAt?: Date;
}

export interface DeleteFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** True when the queue says the caller, not the service, is at fault (e.g. an expired handle). */
  readonly senderFault: boolean;
}

export interface MessageQueue {
  /** A human-readable name, for logs and errors. */
  readonly name: string;
  /** Up to `max` (≤ 10) messages, waiting up to `waitSeconds` for the first (long polling). */
  receive(max: number, waitSeconds: number): Promise<QueueMessage[]>;
  /**
   * Deletes the deliveries, in as few calls as the queue allows (10 per call for SQS). Entries
   * the queue refuses are returned, not thrown: their messages will simply be delivered again.
   */
  deleteBatch(messages: readonly QueueMessage[]): Promise<{ deleted: number; failed: DeleteFailure[] }>;
  /** Approximate number of messages waiting (visible) and in flight, for monitoring. */
  depth(): Promise<{ visible: number; inFlight: number }>;
}
