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
 * Request pipeline: read body → beforeRequest hooks → injected fault? → auth → rate limit
 * → route. Every request, whatever its outcome, is appended to `requests`.
 *
 *   const emulator = await GitHubEmulator.start({ repoDir, owner: 'futel', repo: 'usage', token });
 *   const octokit = new Octokit({ baseUrl: emulator.url, auth: token });
 *   ...
 *   await emulator.close();
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sodium from 'libsodium-wrappers';
import { gitDataRoutes } from './github/git-data.js';
import { GitRepository } from '../adapters/git/repository.js';
import { ApiError, DOCUMENTATION_URL, type ApiResponse, type RequestContext, type Route } from './github/http.js';
import { generateSecretsKeyPair, openSecret, secretsRoutes, type SecretsKeyPair, type StoredSecret } from './github/secrets.js';

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
   * github.com answers 409 "Git Repository is empty." to blob, tree and commit requests in
   * a repository without any ref, so a branch cannot be bootstrapped there through the Git
   * Data API. Off by default so a fresh emulator repository can be published to; turn it on
   * to test a client against that github.com behaviour.
   */
  strictEmptyRepository?: boolean;
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

export interface BeforeRequestInfo {
  method: string;
  path: string;
  body?: unknown;
}

export type BeforeRequestHook = (request: BeforeRequestInfo) => Promise<void> | void;

const DEFAULT_RATE_LIMIT = 5000;
const RATE_WINDOW_MS = 60 * 60 * 1000;
/** GitHub's blob limit is 100 MB, which is ~134 MB as base64 inside JSON. */
const MAX_BODY_BYTES = 160 * 1024 * 1024;
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

  private constructor(
    private readonly server: http.Server,
    url: string,
    git: GitRepository,
    private readonly options: GitHubEmulatorOptions,
  ) {
    this.url = url;
    this.gitDir = git.gitDir;
    this.actionsSecretsKeyPair = generateSecretsKeyPair();
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    const now = () => new Date();
    this.routes = [
      ...gitDataRoutes({
        git,
        owner: options.owner,
        repo: options.repo,
        baseUrl: url,
        serialize: (task) => this.serialize(task),
        strictEmptyRepository: options.strictEmptyRepository ?? false,
        identity: options.identity ?? DEFAULT_IDENTITY,
        now,
      }),
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
    await sodium.ready;
    const git = await GitRepository.open(options.repoDir);

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
    emulator = new GitHubEmulator(server, `http://${urlHost(host)}:${port}`, git, options);
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
    try {
      body = await readJsonBody(req);
      for (const hook of [...this.hooks]) await hook({ method, path, ...(body !== undefined ? { body } : {}) });
      const fault = this.takeFault(method, path);
      if (fault) {
        response = faultResponse(fault);
      } else {
        this.authenticate(req.headers.authorization);
        this.consumeRateLimit();
        response = await this.route({ method, path, query: url.searchParams, body, accept: String(req.headers.accept ?? '') });
      }
    } catch (error) {
      response = errorResponse(error);
    }

    const record: RecordedRequest = { method, path, status: response.status };
    if (body !== undefined) record.body = body;
    if (query) record.query = query;
    // Recorded before the response goes out, so a client that awaited it always finds it here.
    this.requests.push(record);
    sendResponse(res, response, this.rateLimitHeaders());
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
    const now = Date.now();
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
      'x-ratelimit-reset': String(Math.ceil((resetAt || Date.now() + RATE_WINDOW_MS) / 1000)),
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

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining so the connection stays usable for the error response.
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  if (tooLarge) throw new ApiError(413, 'Request body too large');
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'Problems parsing JSON');
  }
}

function faultResponse(rule: FaultRule): ApiResponse {
  const headers = rule.headers ?? {};
  if (rule.status === 204 || rule.status === 304) return { status: rule.status, headers };
  if (typeof rule.body === 'string') {
    return { status: rule.status, headers, raw: { data: Buffer.from(rule.body, 'utf8'), contentType: 'text/plain; charset=utf-8' } };
  }
  const body = rule.body ?? { message: http.STATUS_CODES[rule.status] ?? 'Error', documentation_url: DOCUMENTATION_URL };
  return { status: rule.status, headers, body };
}

function errorResponse(error: unknown): ApiResponse {
  if (error instanceof ApiError) return { status: error.status, body: error.toBody(), headers: error.headers };
  // Unexpected failures (a git command failing, a hook throwing) are 500s with enough detail
  // to debug a test; GitHub itself only says "Server Error".
  const detail = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { message: 'Server Error', documentation_url: DOCUMENTATION_URL, emulator_error: detail } };
}

function sendResponse(res: http.ServerResponse, response: ApiResponse, rateHeaders: Record<string, string>): void {
  const headers: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    ...rateHeaders,
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
