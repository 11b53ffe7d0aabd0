/**
 * The adapters' base class, and the storage and queue errors. These live apart from the SDK
 * clients so that the state machine definition can name the retryable ones without loading an
 * AWS SDK (workflows/pipeline.ts).
 */
import { UsagePipelineError } from '../core/errors.js';

/** Errors of the edges: S3, SQS, GitHub, git, the file system. */
export abstract class AdapterError extends UsagePipelineError {}

export interface StorageErrorDetails {
  readonly operation: string;
  readonly bucket: string;
  /** The full S3 key (with the store's prefix), or the listed prefix. */
  readonly key: string;
  readonly code: string;
  readonly statusCode?: number;
  readonly requestId?: string;
}

/** A storage failure that is not "not found". Never to be read as "the object is absent". */
export class StorageError extends AdapterError {
  constructor(
    message: string,
    readonly details: StorageErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get code(): string {
    return this.details.code;
  }
}

/** A storage failure that may pass if retried: 5xx, throttling, timeouts, network errors. */
export class TransientStorageError extends StorageError {
  static override readonly retryable = true;
}

export interface QueueErrorDetails {
  readonly operation: string;
  readonly queueUrl: string;
  readonly code: string;
  readonly statusCode?: number;
  readonly requestId?: string;
}

/** A queue failure other than a message that cannot be deleted. */
export class QueueError extends AdapterError {
  constructor(
    message: string,
    readonly details: QueueErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A queue failure that may pass if retried: 5xx, throttling, timeouts, network errors. */
export class TransientQueueError extends QueueError {
  static override readonly retryable = true;
}
