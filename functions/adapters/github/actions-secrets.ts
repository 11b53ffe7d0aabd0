/** `SecretStore` over GitHub Actions repository secrets: libsodium sealed boxes, via Octokit. */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import sodium from 'libsodium-wrappers';
import type { Redacted } from '../../core/redacted.js';
import type { SecretStore } from '../../rotation/model.js';
import { REPOSITORY_NAME } from '../../config/environment.js';

const RotationOctokit = Octokit.plugin(retry, throttling);
export type RotationOctokit = InstanceType<typeof RotationOctokit>;

export interface OctokitOptions {
  token: string;
  /** `https://api.github.com` unless given (GitHub Enterprise, or an emulator). */
  baseUrl?: string;
  /** Milliseconds the retry plugin's backoff is built on (its default, 1000, suits GitHub). */
  retryAfterBaseValue?: number;
  /**
   * The throttling plugin spaces writes a second apart, as GitHub asks; tests against the
   * emulator turn it off to stay fast.
   */
  throttle?: boolean;
}

/** Octokit's request log would print to the console; failures reach the caller as errors. */
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** Rate limits: wait and retry twice, then let the error through. */
const MAX_RATE_LIMIT_RETRIES = 2;

export function createRotationOctokit(options: OctokitOptions): RotationOctokit {
  return new RotationOctokit({
    auth: options.token,
    userAgent: 'usage-pipeline rotate-secrets',
    log: silent,
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
    retry: { retryAfterBaseValue: options.retryAfterBaseValue ?? 1000 },
    throttle: {
      enabled: options.throttle ?? true,
      onRateLimit: (_after: number, _options: unknown, _kit: unknown, retryCount: number) => retryCount < MAX_RATE_LIMIT_RETRIES,
      onSecondaryRateLimit: (_after: number, _options: unknown, _kit: unknown, retryCount: number) => retryCount < MAX_RATE_LIMIT_RETRIES,
    },
  });
}

export function parseRepository(text: string): { owner: string; repo: string } | null {
  const match = REPOSITORY_NAME.exec(text.trim());
  return match ? { owner: match[1]!, repo: match[2]! } : null;
}

interface RequestErrorShape {
  status?: number;
  message?: string;
  request?: { method?: string; url?: string };
}

export class GitHubSecretStore implements SecretStore {
  readonly repository: string;
  private publicKey: { keyId: string; key: Uint8Array } | undefined;

  constructor(
    private readonly octokit: RotationOctokit,
    private readonly owner: string,
    private readonly repo: string,
  ) {
    this.repository = `${owner}/${repo}`;
  }

  async prepare(): Promise<void> {
    await sodium.ready;
    const { data } = await this.call(`read the Actions public key`, () => this.octokit.rest.actions.getRepoPublicKey({ owner: this.owner, repo: this.repo }));
    let key: Uint8Array;
    try {
      key = sodium.from_base64(data.key, sodium.base64_variants.ORIGINAL);
    } catch {
      throw new Error('the repository public key is not base64');
    }
    if (key.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new Error(`the repository public key is ${key.length} bytes, not ${sodium.crypto_box_PUBLICKEYBYTES}`);
    this.publicKey = { keyId: data.key_id, key };
  }

  async updatedAt(names: readonly string[]): Promise<Map<string, Date>> {
    const found = new Map<string, Date>();
    for (const name of names) {
      try {
        const { data } = await this.octokit.rest.actions.getRepoSecret({ owner: this.owner, repo: this.repo, secret_name: name });
        found.set(name, new Date(data.updated_at));
      } catch (error) {
        if ((error as RequestErrorShape).status === 404) continue;
        throw new Error(describeRequestError(`read secret ${name}`, error));
      }
    }
    return found;
  }

  async put(name: string, value: Redacted): Promise<void> {
    if (!this.publicKey) await this.prepare();
    const { keyId, key } = this.publicKey!;
    // A sealed box: only the holder of the repository's private key (GitHub) can open it.
    const sealed = sodium.crypto_box_seal(sodium.from_string(value.reveal()), key);
    await this.call(`write secret ${name}`, () =>
      this.octokit.rest.actions.createOrUpdateRepoSecret({
        owner: this.owner,
        repo: this.repo,
        secret_name: name,
        encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
        key_id: keyId,
      }),
    );
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new Error(describeRequestError(what, error));
    }
  }
}

/** Status and GitHub's message; never the request (its body holds the sealed value). */
function describeRequestError(what: string, error: unknown): string {
  const shape = error as RequestErrorShape;
  const message = (shape.message ?? String(error)).split('\n', 1)[0];
  return `GitHub: could not ${what}: ${shape.status ? `HTTP ${shape.status} ` : ''}${message}`;
}
