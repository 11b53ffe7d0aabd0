/**
 * What the AWS adapters and commands share about SDK calls: counting them, telling transient
 * failures from lasting ones, and saying in one line what went wrong.
 */

/** Calls made through an adapter: what the benchmarks report. Several adapters may share one. */
export interface RequestStats {
  /** API calls, as the adapter made them. */
  requests: number;
  /** HTTP attempts, including the SDK's own retries. */
  attempts: number;
  /** API calls by operation name (`GetObject`, `ListObjectsV2`, `DeleteMessageBatch`, …). */
  byOperation: Record<string, number>;
}

export function createRequestStats(): RequestStats {
  return { requests: 0, attempts: 0, byOperation: {} };
}

/** Runs one API call and counts it, with the SDK's retries, whether it succeeds or fails. */
export async function countedCall<T extends { $metadata?: { attempts?: number } }>(
  stats: RequestStats,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  stats.requests += 1;
  stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
  try {
    const output = await run();
    stats.attempts += output.$metadata?.attempts ?? 1;
    return output;
  } catch (error) {
    stats.attempts += (error as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts ?? 1;
    throw error;
  }
}

export interface AwsErrorDetails {
  /** The service's error code (`AccessDenied`, `SlowDown`), else the SDK's or Node's (`TimeoutError`, `ECONNRESET`). */
  readonly code: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly message: string;
  /** Worth retrying: a server error, throttling, a timeout or a network failure. */
  readonly transient: boolean;
}

const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** What an AWS SDK (or network) error says, and whether it is worth retrying. */
export function describeAwsError(error: unknown): AwsErrorDetails {
  const e = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  // Where the SDK runs in a VM sandbox (Jest), errors from Node's own http module fail its
  // `instanceof Error` test and it replaces them with a plain Error that only names them.
  const wrapped = /^AWS SDK error wrapper for (\w+)(?::\s*([^]*))?$/.exec(message);
  const wrappedErrno = wrapped ? /\b(E[A-Z]{3,})\b/.exec(wrapped[2] ?? '')?.[1] : undefined;
  const code =
    [e.Code, e.name !== 'Error' ? e.name : undefined, e.code, wrapped && wrapped[1] !== 'Error' ? wrapped[1] : wrappedErrno, e.name].find(
      (c): c is string => typeof c === 'string' && c !== '',
    ) ?? 'UnknownError';
  const statusCode = e.$metadata?.httpStatusCode;
  const errno = typeof e.code === 'string' ? e.code : wrappedErrno;
  const transient =
    (statusCode !== undefined && (statusCode >= 500 || statusCode === 429)) ||
    THROTTLING_CODES.has(code) ||
    TRANSIENT_CODES.has(code) ||
    (errno !== undefined && TRANSIENT_CODES.has(errno)) ||
    Boolean(e.$retryable);
  return {
    code,
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    message,
    transient,
  };
}

/**
 * One line for an AWS SDK (or network) failure, for the CLI's one-line errors. The SDK's
 * errors carry the service's error code as `name` and the HTTP status in `$metadata`; a stack
 * would only bury that.
 */

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const shape = error as Error & SdkErrorShape;
  const message = firstLine(shape.message || '(no message)');
  if (shape.name === 'CredentialsProviderError') return `no AWS credentials: ${message}`;
  const status = shape.$metadata?.httpStatusCode;
  const code = shape.name && shape.name !== 'Error' ? shape.name : shape.code;
  return `${code ? `${code}: ` : ''}${message}${status ? ` (HTTP ${status})` : ''}`;
}

/** The service's error code (`ExecutionAlreadyExists`), when the error is an SDK service error. */
export function awsErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return (error as SdkErrorShape).$metadata ? error.name : undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
