/**
 * The Octokit the GitHub adapters use: @octokit/rest with the retry plugin (5xx and network
 * errors, with backoff) and the throttling plugin (primary and secondary rate limits, honouring
 * `retry-after`, and GitHub's recommended spacing of content-creating requests). HTTP retries
 * live in these plugins only; callers never loop on HTTP errors themselves.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { AdapterError } from '../errors.js';

export const GitHubOctokit = Octokit.plugin(retry, throttling);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Structured log sink; `data` never holds a token. */
export type GitHubLog = (level: LogLevel, message: string, data?: Record<string, unknown>) => void;

/** A token, or a function returning the current one (called before each request: cache inside it). */
export type TokenSource = string | (() => Promise<string>);

export const DEFAULT_BASE_URL = 'https://api.github.com';

export interface GitHubClientOptions {
  token: TokenSource;
  baseUrl?: string;
  userAgent?: string;
  log?: GitHubLog;
  /** Retries of a request answered 5xx or lost on the network (default 3). */
  serverErrorRetries?: number;
  /** Retries of a request refused by a primary or secondary rate limit (default 3). */
  rateLimitRetries?: number;
  /** A rate limit that asks for a longer wait than this is not waited for (default 120 s): a Lambda has minutes, not an hour. */
  maxRateLimitWaitSeconds?: number;
  /**
   * Milliseconds per second of `retry-after` and of the 5xx backoff (1, 4, 9 … seconds);
   * default 1000. Tests shrink it.
   */
  retryAfterBaseValue?: number;
  /**
   * Spacing of content-creating requests (POST/PATCH/PUT/DELETE). Default: the throttling
   * plugin's process-wide 1 s, as GitHub recommends; tests set 0.
   */
  minWriteIntervalMs?: number;
  /** Called for every HTTP request sent (retries included), with its method and body size. */
  onRequest?: (method: string, bodyBytes: number) => void;
}

/**
 * Statuses the retry plugin leaves alone: client errors are final, and 403/429 belong to the
 * throttling plugin. Added to the plugin's defaults: 409, which GitHub answers for an empty
 * repository, 413 (the same body would be refused again) and 429.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 413, 422, 429, 451];

export function createGitHubClient(options: GitHubClientOptions): GitHubOctokit {
  const log = options.log ?? (() => undefined);
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxWait = options.maxRateLimitWaitSeconds ?? 120;
  const retryAfterBaseValue = options.retryAfterBaseValue ?? 1000;

  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const data = { method: request.method, url: request.url, retryAfter, retryCount };
      if (retryCount >= rateLimitRetries) {
        log('error', `GitHub ${kind} on ${request.method} ${request.url}: giving up after ${retryCount} retries`, data);
        return false;
      }
      if (retryAfter > maxWait) {
        log('error', `GitHub ${kind} on ${request.method} ${request.url}: asks to wait ${retryAfter} s, more than ${maxWait} s; giving up`, data);
        return false;
      }
      log('warn', `GitHub ${kind} on ${request.method} ${request.url}: retrying in ${retryAfter} s (retry ${retryCount + 1} of ${rateLimitRetries})`, data);
      return true;
    };

  const onRequest = options.onRequest;
  const octokit = new GitHubOctokit({
    baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    // Below the plugins, so every request on the wire is seen, retries included.
    ...(onRequest
      ? {
          request: {
            fetch: (url: string | URL | Request, init?: RequestInit) => {
              const body = init?.body;
              onRequest((init?.method ?? 'GET').toUpperCase(), typeof body === 'string' ? Buffer.byteLength(body) : 0);
              return fetch(url, init);
            },
          },
        }
      : {}),
    userAgent: options.userAgent ?? 'usage-pipeline',
    ...(typeof options.token === 'string' ? { auth: options.token } : {}),
    // Octokit's own request log goes to debug (the adapter reports what matters), and only
    // its message: the objects it passes along include request headers, hence the token.
    log: {
      debug: (message: string) => log('debug', String(message)),
      info: (message: string) => log('debug', String(message)),
      warn: (message: string) => log('warn', String(message)),
      error: (message: string) => log('debug', String(message)),
    },
    retry: { retries: options.serverErrorRetries ?? 3, retryAfterBaseValue, doNotRetry: DO_NOT_RETRY },
    throttle: {
      id: 'usage-pipeline',
      retryAfterBaseValue,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      ...(options.minWriteIntervalMs !== undefined
        ? { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.minWriteIntervalMs }) }
        : {}),
    },
  });

  const source = options.token;
  if (typeof source === 'function') {
    // Registered after the plugins, so it runs once per call and retries reuse the header.
    octokit.hook.before('request', async (request) => {
      const token = await source();
      if (!token) throw new Error('the GitHub token source returned an empty token');
      request.headers.authorization = `token ${token}`;
    });
  }
  return octokit;
}

/** The HTTP status of a failed Octokit call, if it got that far. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** GitHub's own message for a failed call (`response.data.message`), else the error's. */
export function githubMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const data = (error as { response?: { data?: unknown } }).response?.data;
    if (typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string') {
      return (data as { message: string }).message;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** A GitHub call that failed for good (after the plugins' retries), with what was being done. */
export class GitHubApiError extends AdapterError {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns an Octokit failure into an error that says what failed and what to check. */
export function explainFailure(error: unknown, action: string, repository: string): GitHubApiError {
  const status = statusOf(error);
  const message = githubMessage(error);
  let text: string;
  switch (status) {
    case undefined:
      text = `${action}: ${message}`;
      break;
    case 401:
      text = `${action}: GitHub rejected the token (401 ${message}); check that it is the right, unexpired token`;
      break;
    case 403:
      text = /rate limit/i.test(message)
        ? `${action}: GitHub rate limit (403 ${message})`
        : `${action}: forbidden (403 ${message}); the token needs contents write access to ${repository}`;
      break;
    case 404:
      text = `${action}: not found (404 ${message}); check that ${repository} exists and the token can see it`;
      break;
    default:
      text = `${action}: GitHub answered ${status} ${message}`;
  }
  return new GitHubApiError(text, status, { cause: error });
}
