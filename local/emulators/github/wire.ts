/**
 * The GitHub emulator's side of the wire: reading request bodies, writing responses with
 * GitHub's headers, and turning injected faults and errors into responses.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { ApiError, DOCUMENTATION_URL, type ApiResponse } from './http.js';

export interface FaultRule {
  /** Matches any method when absent (case-insensitive otherwise). */
  method?: string;
  /** Tested against the decoded path (as in `requests`); any path when absent. */
  path?: RegExp;
  /** How many matching requests get this response. */
  times: number;
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string; default GitHub's `{ message, documentation_url }`. */
  body?: unknown;
}

export function newRequestId(): string {
  return `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(4).toString('hex').toUpperCase()}`;
}

/**
 * The whole body, or only its size when it is over `maxBytes`: the rest is drained (not
 * kept) so the connection stays usable for the error response.
 */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<{ text: string | null; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes <= maxBytes) chunks.push(chunk);
  }
  return { text: bytes > maxBytes ? null : Buffer.concat(chunks).toString('utf8'), bytes };
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'Problems parsing JSON');
  }
}

export function faultResponse(rule: FaultRule): ApiResponse {
  const headers = rule.headers ?? {};
  if (rule.status === 204 || rule.status === 304) return { status: rule.status, headers };
  if (typeof rule.body === 'string') {
    return { status: rule.status, headers, raw: { data: Buffer.from(rule.body, 'utf8'), contentType: 'text/plain; charset=utf-8' } };
  }
  const body = rule.body ?? { message: http.STATUS_CODES[rule.status] ?? 'Error', documentation_url: DOCUMENTATION_URL };
  return { status: rule.status, headers, body };
}

export function errorResponse(error: unknown): ApiResponse {
  if (error instanceof ApiError) return { status: error.status, body: error.toBody(), headers: error.headers };
  // Unexpected failures (a git command failing, a hook throwing) are 500s with enough detail
  // to debug a test; GitHub itself only says "Server Error".
  const detail = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { message: 'Server Error', documentation_url: DOCUMENTATION_URL, emulator_error: detail } };
}

export function sendResponse(res: http.ServerResponse, response: ApiResponse, extraHeaders: Record<string, string>): void {
  const headers: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': newRequestId(),
    ...extraHeaders,
  };
  let payload: Buffer | undefined;
  if (response.raw) {
    headers['content-type'] = response.raw.contentType;
    payload = response.raw.data;
  } else if (response.body !== undefined && response.status !== 204 && response.status !== 304) {
    headers['content-type'] = 'application/json; charset=utf-8';
    payload = Buffer.from(JSON.stringify(response.body), 'utf8');
  }
  // Explicit headers (an injected fault's retry-after, a Location) win over the defaults.
  Object.assign(headers, response.headers);
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(response.status, headers);
  res.end(payload);
}

export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
