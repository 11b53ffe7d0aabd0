/**
 * HTTP plumbing shared by the GitHub emulator's endpoint modules: GitHub-shaped errors,
 * responses, routes and request-body validation.
 */
import type { z } from 'zod';
import { LocalError } from '../../errors.js';

export const DOCUMENTATION_URL = 'https://docs.github.com/rest';

/** An error answered to the client as GitHub does: `{ message, documentation_url }` (+ `errors`). */
export class ApiError extends LocalError {
  constructor(
    readonly status: number,
    message: string,
    /** GitHub's validation details; Octokit appends them to the RequestError message. */
    readonly errors?: readonly unknown[],
    readonly headers?: Record<string, string>,
    readonly documentationUrl = DOCUMENTATION_URL,
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, documentation_url: this.documentationUrl };
    if (this.errors && this.errors.length > 0) body.errors = this.errors;
    // Current GitHub repeats the status as a string in error bodies.
    body.status = String(this.status);
    return body;
  }
}

export const notFound = (message = 'Not Found'): ApiError => new ApiError(404, message);
export const unprocessable = (message: string, errors?: readonly unknown[]): ApiError =>
  new ApiError(422, message, errors);
export const repositoryEmpty = (): ApiError => new ApiError(409, 'Git Repository is empty.');

export interface ApiResponse {
  status: number;
  /** Serialized as JSON unless `raw` is given. */
  body?: unknown;
  /** Sent as is (raw media type downloads). */
  raw?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

export interface RequestContext {
  method: string;
  /** Percent-decoded path below `/repos/{owner}/{repo}`, e.g. `/git/ref/heads/main`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Size of the request body as received. */
  bodyBytes: number;
  accept: string;
}

export interface Route {
  method: string;
  pattern: RegExp;
  handle(context: RequestContext, match: RegExpExecArray): Promise<ApiResponse> | ApiResponse;
}

/** Validates a request body the way GitHub reports it: 422 "Invalid request." with details. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'Body should be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  throw new ApiError(422, `Invalid request.\n\n${details.join('\n')}`, details.map((message) => ({ message })));
}

/** Base64 as GitHub sends file content: lines of 60 characters, each ending in a newline. */
export function wrappedBase64(data: Buffer): string {
  const flat = data.toString('base64');
  let out = '';
  for (let index = 0; index < flat.length; index += 60) out += flat.slice(index, index + 60) + '\n';
  return out;
}

/** Clients ask for raw bytes with `application/vnd.github.raw` (or the older `.v3.raw`). */
export function wantsRaw(accept: string): boolean {
  return /application\/vnd\.github(?:\.v3)?\.raw/i.test(accept);
}

/** The `object` media type, which GitHub serves for files up to 100 MB (with empty content past 1 MB). */
export function wantsObject(accept: string): boolean {
  return /application\/vnd\.github(?:\.v3)?\.object/i.test(accept);
}

/** GitHub's timestamps: ISO 8601 in UTC, second precision. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A strict base64 check: Buffer.from(x, 'base64') silently drops anything it does not understand. */
export function isBase64(value: string): boolean {
  const compact = value.replace(/\s+/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}
