/**
 * The limits github.com holds every client to (see the project's LIMITS.md), enforced by the
 * emulator so that what passes locally also passes in production, and the request statistics a
 * run reports. On by default; `limits: false` turns every one off for experiments.
 */
import { ApiError } from './http.js';

export interface GitHubLimits {
  /** Body bytes of one `POST /git/trees` past which GitHub times out (public reports: ~2.5 MB). */
  readonly treeRequestBytes: number;
  /** Entries of one `POST /git/trees` past which GitHub times out (public reports: 200–250). */
  readonly treeRequestEntries: number;
  /** Body bytes of any request. */
  readonly requestBytes: number;
  /** Content-creating requests (POST, PATCH, PUT, DELETE) in any 60 s (secondary limit). */
  readonly contentRequestsPerMinute: number;
  /** Content-creating requests in any hour (secondary limit). */
  readonly contentRequestsPerHour: number;
  /** Largest file `GET /contents/{path}` returns with the default media type (403 `too_large` past it). */
  readonly contentsApiBytes: number;
  /** Entries of a recursive tree listing before `truncated: true`. */
  readonly treeListingEntries: number;
  /** JSON bytes of a recursive tree listing before `truncated: true`. */
  readonly treeListingBytes: number;
  /** Git Data writes and `GET /git/ref` in a repository without commits answer 409 "Git Repository is empty.". */
  readonly emptyRepository409: boolean;
}

const MB = 1024 * 1024;

/** github.com's values (LIMITS.md), with the tree request bounds at the low end of the reports. */
export const GITHUB_LIMITS: GitHubLimits = {
  treeRequestBytes: 2 * MB,
  treeRequestEntries: 200,
  requestBytes: 100 * MB,
  contentRequestsPerMinute: 80,
  contentRequestsPerHour: 500,
  contentsApiBytes: MB,
  treeListingEntries: 100_000,
  treeListingBytes: 7 * MB,
  emptyRepository409: true,
};

/** Every limit off (`limits: false`): the emulator then only protects its own memory. */
export const NO_LIMITS: GitHubLimits = {
  treeRequestBytes: Infinity,
  treeRequestEntries: Infinity,
  requestBytes: 160 * MB,
  contentRequestsPerMinute: Infinity,
  contentRequestsPerHour: Infinity,
  contentsApiBytes: Infinity,
  treeListingEntries: Infinity,
  treeListingBytes: Infinity,
  emptyRepository409: false,
};

export function resolveLimits(option: Partial<GitHubLimits> | false | undefined): GitHubLimits {
  if (option === false) return NO_LIMITS;
  const limits = { ...GITHUB_LIMITS, ...option };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value === 'number' && !(value > 0)) throw new Error(`GitHub emulator limit ${name} must be positive, not ${value}`);
  }
  return limits;
}

/** What the emulator saw, for a run's `limits` report. */
export interface GitHubRequestStats {
  /** Every request received, whatever its answer. */
  readonly requests: number;
  /** POST, PATCH, PUT and DELETE requests (GitHub's "content-creating" requests). */
  readonly contentRequests: number;
  /** The largest request body, in bytes. */
  readonly largestRequestBytes: number;
  /** Requests refused by one of the limits above (tree size, body size, secondary limit, contents size). */
  readonly limitRefusals: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const CONTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** GitHub's answer to a tree request it could not process in time. */
export const TREE_TIMEOUT_MESSAGE =
  "Sorry, your request timed out.  It's likely that your input was too large to process.  " +
  'Consider building the tree incrementally, or building the commits you need in a local clone of the repository and then pushing them to GitHub.';
const TREE_DOCUMENTATION_URL = 'https://docs.github.com/rest/git/trees#create-a-tree';
export const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID';
export const CONTENTS_TOO_LARGE_MESSAGE =
  'This API returns blobs up to 1 MB in size. The requested blob is too large to fetch via the API, ' +
  'but you can use the Git Data API to request blobs up to 100 MB in size.';

/**
 * Counts requests and holds content-creating ones to the secondary limits over sliding windows
 * of the emulator's clock (which tests may run fast: see SimulatedClock).
 */
export class RequestLimiter {
  private readonly contentTimes: number[] = [];
  private requests = 0;
  private contentRequests = 0;
  private largestRequestBytes = 0;
  private refusals = 0;

  constructor(
    readonly limits: GitHubLimits,
    private readonly now: () => number,
  ) {}

  get stats(): GitHubRequestStats {
    return { requests: this.requests, contentRequests: this.contentRequests, largestRequestBytes: this.largestRequestBytes, limitRefusals: this.refusals };
  }

  /** Records a request as it arrives (before anything can refuse it). */
  record(method: string, bodyBytes: number): void {
    this.requests++;
    if (CONTENT_METHODS.has(method)) this.contentRequests++;
    this.largestRequestBytes = Math.max(this.largestRequestBytes, bodyBytes);
  }

  /** Throws GitHub's answer when a limit refuses the request. */
  refuse(error: ApiError): never {
    this.refusals++;
    throw error;
  }

  checkBody(bodyBytes: number): void {
    if (bodyBytes > this.limits.requestBytes) this.refuse(new ApiError(413, 'Request body too large'));
  }

  /** Applies the secondary limits to a content-creating request, and counts it when it passes. */
  admitContentRequest(method: string, requestId: string): void {
    if (!CONTENT_METHODS.has(method)) return;
    const now = this.now();
    while (this.contentTimes.length > 0 && this.contentTimes[0]! <= now - HOUR_MS) this.contentTimes.shift();
    const wait = (oldest: number, window: number) => Math.max(1, Math.ceil((oldest + window - now) / 1000));
    const inLastMinute = this.contentTimes.filter((time) => time > now - MINUTE_MS);
    let retryAfter: number | null = null;
    if (this.contentTimes.length >= this.limits.contentRequestsPerHour) {
      retryAfter = wait(this.contentTimes[this.contentTimes.length - this.limits.contentRequestsPerHour]!, HOUR_MS);
    } else if (inLastMinute.length >= this.limits.contentRequestsPerMinute) {
      retryAfter = wait(inLastMinute[inLastMinute.length - this.limits.contentRequestsPerMinute]!, MINUTE_MS);
    }
    if (retryAfter !== null) {
      this.refuse(new ApiError(403, `${SECONDARY_LIMIT_MESSAGE} ${requestId}.`, undefined, { 'retry-after': String(retryAfter) }));
    }
    this.contentTimes.push(now);
  }

  /** A tree request GitHub would not finish within its 10 s. */
  checkTreeRequest(bodyBytes: number, entries: number): void {
    if (bodyBytes > this.limits.treeRequestBytes || entries > this.limits.treeRequestEntries) {
      this.refuse(new ApiError(422, TREE_TIMEOUT_MESSAGE, undefined, undefined, TREE_DOCUMENTATION_URL));
    }
  }

  checkContentsSize(size: number): void {
    if (size > this.limits.contentsApiBytes) {
      this.refuse(new ApiError(403, CONTENTS_TOO_LARGE_MESSAGE, [{ resource: 'Blob', field: 'data', code: 'too_large' }]));
    }
  }
}

/**
 * A clock for the emulator that runs `scale` times faster than real time (0: stopped), and can
 * be moved ahead at once: a test makes an hour pass between two runs without waiting for it. A
 * client waits consistently when its `retryAfterBaseValue` and write spacing are `1000 / scale` ms.
 */
export class SimulatedClock {
  private readonly realStart = performance.now();
  private offset = 0;

  constructor(
    private readonly scale = 1,
    private readonly start = Date.now(),
  ) {
    if (!(scale >= 0)) throw new Error('SimulatedClock scale must be zero (stopped) or more');
  }

  readonly now = (): number => this.start + this.offset + (performance.now() - this.realStart) * this.scale;

  advance(ms: number): void {
    this.offset += ms;
  }
}
