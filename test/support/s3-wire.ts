/**
 * S3 on the wire, for the recording server: which operation a path-style request is, and the
 * error responses S3 itself sends (XML `<Error>` bodies with S3's codes, messages and headers).
 */
import type { CannedResponse, RecordedRequest } from './recording-server.js';

export type S3Operation = 'GetObject' | 'HeadObject' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2' | 'Other';

export interface S3Call {
  readonly operation: S3Operation;
  readonly bucket: string;
  /** The object key (decoded), or the listed prefix for ListObjectsV2. */
  readonly key: string;
}

/** A path-style request (`/bucket/key?…`) as the S3 operation it calls. */
export function s3Call(request: RecordedRequest): S3Call {
  const url = new URL(request.url, 'http://s3.local');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  if (key === '' && request.method === 'GET' && url.searchParams.get('list-type') === '2') {
    return { operation: 'ListObjectsV2', bucket, key: url.searchParams.get('prefix') ?? '' };
  }
  const byMethod: Record<string, S3Operation> = { GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' };
  return { operation: key === '' ? 'Other' : (byMethod[request.method] ?? 'Other'), bucket, key };
}

/** An S3 error response, as S3 sends it. */
export function s3Error(status: number, code: string, message: string, extra = ''): CannedResponse {
  return {
    status,
    headers: {
      'content-type': 'application/xml',
      'x-amz-request-id': 'TX0123456789ABCD',
      'x-amz-id-2': 'dGVzdC1ob3N0LWlk',
      server: 'AmazonS3',
    },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}` +
      `<RequestId>TX0123456789ABCD</RequestId><HostId>dGVzdC1ob3N0LWlk</HostId></Error>`,
  };
}

/** The answers S3 gives that a program must survive, word for word. */
export const S3_FAULTS = {
  slowDown: () => s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
  internalError: () => s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
  accessDenied: () => s3Error(403, 'AccessDenied', 'Access Denied'),
  preconditionFailed: (condition: 'If-Match' | 'If-None-Match') =>
    s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', `<Condition>${condition}</Condition>`),
} as const;
