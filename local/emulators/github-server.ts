/**
 * A local stand-in for the parts of api.github.com the pipeline uses — Git Data API
 * (refs, commits, trees, blobs), repository contents and Actions secrets — backed by a
 * real git repository so tests can inspect the result with git itself.
 *
 * It is used by HTTP-level tests of the GitHub publisher (with fault injection and a hook
 * to race ref updates) and by the CLI's embedded `local --publish github` mode. It speaks
 * plain `node:http` on 127.0.0.1 by default and answers in GitHub's shapes, status codes,
 * error bodies and rate-limit headers, so a real Octokit (with its retry and throttling
 * plugins) can be pointed at it through `baseUrl`.
 *
 * It holds clients to github.com's limits (LIMITS.md; `limits: false` turns them off): tree
 * requests GitHub would time out on, request bodies over 100 MB, the secondary rate limits on
 * content-creating requests (on a clock tests may run fast), the contents API's 1 MB, the
 * truncation of large tree listings, 409 in an empty repository, and protected branches.
 *
 * Request pipeline: read body → body size → beforeRequest hooks → injected fault? → auth →
 * primary rate limit → secondary limits → route. Every request, whatever its outcome, is
 * appended to `requests` and counted in `stats`.
 *
 *   const emulator = await GitHubEmulator.start({ repoDir, owner: 'futel', repo: 'usage', token });
 *   const octokit = new Octokit({ baseUrl: emulator.url, auth: token });
 *   ...
 *   await emulator.close();
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sodium from 'libsodium-wrappers';
import { EmulatorRepository } from './github/emulator-repository.js';
import { contentsRoutes } from './github/contents.js';
import { gitDataRoutes } from './github/git-data.js';
import { ApiError, DOCUMENTATION_URL, type ApiResponse, type RequestContext, type Route } from './github/http.js';
import { RequestLimiter, resolveLimits, SimulatedClock, type GitHubLimits, type GitHubRequestStats } from './github/limits.js';
import { refRoutes, type BranchRefusal } from './github/refs.js';
import { RepoContext } from './github/repo-context.js';
import { generateSecretsKeyPair, openSecret, secretsRoutes, type SecretsKeyPair, type StoredSecret } from './github/secrets.js';
import { errorResponse, faultResponse, newRequestId, parseJsonBody, readBody, sendResponse, urlHost, type FaultRule } from './github/wire.js';

export { GITHUB_LIMITS, NO_LIMITS, SimulatedClock, type GitHubLimits, type GitHubRequestStats } from './github/limits.js';
export type { BranchRefusal } from './github/refs.js';
export type { FaultRule } from './github/wire.js';

export interface GitHubEmulatorOptions {
  /** A git repository (bare or not); created with `git init --bare` if missing or empty. */
  repoDir: string;
  owner: string;
  repo: string;
  /** When set, requests must carry `authorization: token X` or `bearer X`; otherwise 401. */
  token?: string;
  /** Default 127.0.0.1: the emulator has no business on other interfaces. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * github.com's limits (LIMITS.md), each overridable; `false` turns them all off for
   * experiments (a kind emulator that accepts anything up to 160 MiB).
   */
  limits?: Partial<GitHubLimits> | false;
  /**
   * The emulator's time in ms since the epoch, for the rate-limit windows (default
   * `Date.now`). A SimulatedClock lets tests move an hour ahead at once.
   */
  clock?: () => number;
  /** Runs the emulator's clock this many times faster than real time (default 1); ignored with `clock`. */
  timeScale?: number;
  /**
   * What `requests` keeps: `full` (default) records each request's parsed body; `summary`
   * leaves bodies out, so a long run (a whole-history publish) does not hold every byte sent.
   */
  requestLog?: 'full' | 'summary';
  /** Branches (by name) whose ref updates are refused, and how. */
  protectedBranches?: Record<string, BranchRefusal>;
  /** Requests per hour before 403 "API rate limit exceeded" (default 5000, GitHub's); false: unlimited. */
  rateLimit?: number | false;
  /** Author/committer of commits created without one (GitHub uses the token's user). */
  identity?: { name: string; email: string };
}

export interface RecordedRequest {
  method: string;
  /** Percent-decoded path, without the query string (`/repos/o/r/git/ref/heads/main`). */
  path: string;
  status: number;
  /** The parsed JSON request body, when there was one. */
  body?: unknown;
  /** Raw query string without `?`, when there was one. */
  query?: string;
}

export interface BeforeRequestInfo {
  method: string;
  path: string;
  body?: unknown;
}

export type BeforeRequestHook = (request: BeforeRequestInfo) => Promise<void> | void;

const DEFAULT_RATE_LIMIT = 5000;
const RATE_WINDOW_MS = 60 * 60 * 1000;
const DEFAULT_IDENTITY = { name: 'GitHub Emulator', email: 'github-emulator@users.noreply.localhost' };

export class GitHubEmulator {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  /** The sealed-box key pair behind `GET /actions/secrets/public-key`; replace it to rotate. */
  actionsSecretsKeyPair: SecretsKeyPair;
  /** Stored secrets by (upper-case) name; the endpoints share this very map. */
  readonly secrets = new Map<string, StoredSecret>();
  /** The repository's git directory as resolved at start (`<repoDir>` or `<repoDir>/.git`). */
  readonly gitDir: string;

  private readonly faults: { rule: FaultRule; remaining: number }[] = [];
  private readonly hooks: BeforeRequestHook[] = [];
  private readonly routes: Route[];
  private readonly inFlight = new Set<Promise<void>>();
  private writeQueue: Promise<unknown> = Promise.resolve();
  private rateWindow = { used: 0, resetAt: 0 };
  private closing: Promise<void> | undefined;
  private readonly tokenDigest: Buffer | undefined;
  private readonly limiter: RequestLimiter;
  private readonly clock: () => number;
  private readonly protections = new Map<string, BranchRefusal>();

  private constructor(
    private readonly server: http.Server,
    url: string,
    git: EmulatorRepository,
    private readonly options: GitHubEmulatorOptions,
    limits: GitHubLimits,
  ) {
    this.url = url;
    this.gitDir = git.gitDir;
    this.actionsSecretsKeyPair = generateSecretsKeyPair();
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.clock = options.clock ?? new SimulatedClock(options.timeScale ?? 1).now;
    this.limiter = new RequestLimiter(limits, this.clock);
    for (const [branch, refusal] of Object.entries(options.protectedBranches ?? {})) this.protectBranch(branch, refusal);
    const now = () => new Date(this.clock());
    const context = new RepoContext({
      git,
      owner: options.owner,
      repo: options.repo,
      baseUrl: url,
      serialize: (task) => this.serialize(task),
      limiter: this.limiter,
      identity: options.identity ?? DEFAULT_IDENTITY,
      now,
    });
    const protection = (ref: string) => this.protections.get(ref);
    this.routes = [
      ...contentsRoutes(context, protection),
      ...refRoutes(context, protection),
      ...gitDataRoutes(context),
      ...secretsRoutes({
        keyPair: () => this.actionsSecretsKeyPair,
        secrets: this.secrets,
        repoUrl: `${url}/repos/${options.owner}/${options.repo}`,
        now,
      }),
    ];
  }

  static async start(options: GitHubEmulatorOptions): Promise<GitHubEmulator> {
    if (!/^[A-Za-z0-9_.-]+$/.test(options.owner) || !/^[A-Za-z0-9_.-]+$/.test(options.repo)) {
      throw new Error(`invalid repository name ${options.owner}/${options.repo}`);
    }
    if (options.token !== undefined && options.token.length === 0) throw new Error('token must not be empty');
    // Checked before anything listens: a refused option must leave no server behind.
    const limits = resolveLimits(options.limits);
    if (options.timeScale !== undefined && !(options.timeScale >= 0)) throw new Error('timeScale must be zero (stopped) or more');
    await sodium.ready;
    const git = await EmulatorRepository.open(options.repoDir);

    let emulator: GitHubEmulator | undefined;
    const server = http.createServer((req, res) => emulator!.dispatch(req, res));
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    emulator = new GitHubEmulator(server, `http://${urlHost(host)}:${port}`, git, options, limits);
    return emulator;
  }

  /** The next `rule.times` requests matching `rule` get its response instead of being handled. */
  injectFault(rule: FaultRule): void {
    if (!Number.isInteger(rule.times) || rule.times < 1) throw new Error('FaultRule.times must be a positive integer');
    if (!Number.isInteger(rule.status) || rule.status < 100 || rule.status > 599) throw new Error('FaultRule.status must be an HTTP status');
    this.faults.push({ rule, remaining: rule.times });
  }

  /** Drops faults not yet consumed. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests received so far: total, content-creating, largest body, refused by a limit. */
  get stats(): GitHubRequestStats {
    return this.limiter.stats;
  }

  /** The limits in force. */
  get limits(): GitHubLimits {
    return this.limiter.limits;
  }

  /** Refuses every update of `branch` as `refusal` says, or (null) lifts the protection. */
  protectBranch(branch: string, refusal: BranchRefusal | null): void {
    if (refusal === null) this.protections.delete(`refs/heads/${branch}`);
    else this.protections.set(`refs/heads/${branch}`, refusal);
  }

  /**
   * Runs `hook` before every request is handled (before fault injection and before the
   * request joins the write queue, so a hook may itself call the emulator or run git on
   * the repository — e.g. to move a branch between a client's read and its ref update).
   * Returns a function that removes the hook.
   */
  beforeRequest(hook: BeforeRequestHook): () => void {
    this.hooks.push(hook);
    return () => {
      const index = this.hooks.indexOf(hook);
      if (index !== -1) this.hooks.splice(index, 1);
    };
  }

  /** The plaintext of a stored secret, opened with the emulator's key pair. */
  decryptSecret(name: string): string | undefined {
    const secret = this.secrets.get(name.toUpperCase());
    return secret ? (openSecret(secret.encryptedValue, this.actionsSecretsKeyPair) ?? undefined) : undefined;
  }

  /** Stops listening, lets requests in progress finish, then drops keep-alive connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await Promise.allSettled([...this.inFlight]);
      await this.writeQueue;
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  /** Git writes of this repository run one at a time, in arrival order. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(task);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const task = this.process(req, res).catch((error: unknown) => {
      // Only reachable when writing the response failed (e.g. an injected fault's header
      // value is not a legal header): answer 500 if nothing went out yet, else reset.
      try {
        if (res.headersSent) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        sendResponse(res, { status: 500, body: { message: 'Server Error', documentation_url: DOCUMENTATION_URL, emulator_error: detail } }, {});
      } catch {
        res.destroy();
      }
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async process(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    // Prefixing (rather than resolving against a base) keeps `//x` a path, not a host.
    const target = req.url ?? '/';
    const url = new URL(target.startsWith('/') ? `http://emulator.invalid${target}` : target, 'http://emulator.invalid');
    let path = url.pathname;
    try {
      // Octokit sends `heads%2Fmain` and `data%2Ffile.json`; routes and faults see the decoded form.
      path = decodeURIComponent(url.pathname);
    } catch {
      // Malformed escapes: keep the raw path, which then matches no route (404).
    }
    const query = url.search.slice(1);

    let body: unknown;
    let response: ApiResponse;
    const requestId = newRequestId();
    try {
      const { text, bytes } = await readBody(req, this.limiter.limits.requestBytes);
      this.limiter.record(method, bytes);
      this.limiter.checkBody(bytes);
      body = parseJsonBody(text ?? '');
      for (const hook of [...this.hooks]) await hook({ method, path, ...(body !== undefined ? { body } : {}) });
      const fault = this.takeFault(method, path);
      if (fault) {
        response = faultResponse(fault);
      } else {
        this.authenticate(req.headers.authorization);
        this.consumeRateLimit();
        this.limiter.admitContentRequest(method, requestId);
        response = await this.route({ method, path, query: url.searchParams, body, bodyBytes: bytes, accept: String(req.headers.accept ?? '') });
      }
    } catch (error) {
      response = errorResponse(error);
    }

    const record: RecordedRequest = { method, path, status: response.status };
    if (body !== undefined && this.options.requestLog !== 'summary') record.body = body;
    if (query) record.query = query;
    // Recorded before the response goes out, so a client that awaited it always finds it here.
    this.requests.push(record);
    sendResponse(res, response, { ...this.rateLimitHeaders(), 'x-github-request-id': requestId });
  }

  private takeFault(method: string, path: string): FaultRule | undefined {
    const index = this.faults.findIndex(({ rule }) => {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
      if (rule.path) {
        rule.path.lastIndex = 0; // a /g or /y pattern would otherwise alternate between hits and misses
        if (!rule.path.test(path)) return false;
      }
      return true;
    });
    if (index === -1) return undefined;
    const fault = this.faults[index]!;
    if (--fault.remaining === 0) this.faults.splice(index, 1);
    return fault.rule;
  }

  private authenticate(header: string | undefined): void {
    if (!this.tokenDigest) return;
    if (!header) throw new ApiError(401, 'Requires authentication');
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on a prefix.
    if (!match || !timingSafeEqual(digest(match[1]!), this.tokenDigest)) throw new ApiError(401, 'Bad credentials');
  }

  private consumeRateLimit(): void {
    const now = this.clock();
    if (now >= this.rateWindow.resetAt) this.rateWindow = { used: 0, resetAt: now + RATE_WINDOW_MS };
    const limit = this.options.rateLimit ?? DEFAULT_RATE_LIMIT;
    if (limit !== false && this.rateWindow.used >= limit) {
      throw new ApiError(403, 'API rate limit exceeded for this token. Check out the documentation for more details.');
    }
    this.rateWindow.used++;
  }

  private rateLimitHeaders(): Record<string, string> {
    const configured = this.options.rateLimit ?? DEFAULT_RATE_LIMIT;
    const limit = configured === false ? DEFAULT_RATE_LIMIT : configured;
    const { used, resetAt } = this.rateWindow;
    // Unlimited mode must never report 0 left: Octokit's throttling plugin would read any
    // 403 (e.g. an injected secondary-limit fault) as a primary rate limit.
    const remaining = configured === false ? Math.max(1, limit - used) : Math.max(0, limit - used);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(used),
      'x-ratelimit-reset': String(Math.ceil((resetAt || this.clock() + RATE_WINDOW_MS) / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }

  private async route(context: RequestContext): Promise<ApiResponse> {
    const prefix = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(context.path);
    if (
      !prefix ||
      prefix[1]!.toLowerCase() !== this.options.owner.toLowerCase() ||
      prefix[2]!.toLowerCase() !== this.options.repo.toLowerCase()
    ) {
      throw new ApiError(404, 'Not Found');
    }
    const inner: RequestContext = { ...context, path: prefix[3] ?? '' };
    for (const route of this.routes) {
      if (route.method !== context.method) continue;
      const match = route.pattern.exec(inner.path);
      if (match) return route.handle(inner, match);
    }
    throw new ApiError(404, 'Not Found');
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
