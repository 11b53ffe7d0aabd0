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
