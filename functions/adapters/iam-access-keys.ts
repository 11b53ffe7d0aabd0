/** `KeyManager` over IAM: the user's access keys, and a probe that signs with a new key. */
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  type IAMClientConfig,
} from '@aws-sdk/client-iam';
import { awsErrorMessage } from './aws-error.js';
import { Redacted } from '../core/redacted.js';
import type { AccessKeyInfo, KeyManager, KeyStatus, NewAccessKey } from '../rotation/model.js';

export interface IamKeyManagerOptions {
  user: string;
  /** An endpoint override (tests, or a private endpoint); IAM is global otherwise. */
  endpoint?: string;
  /** IAM lives in us-east-1 (aws partition); other partitions need their own. */
  region?: string;
  /** The credentials that manage the user's keys; the SDK's default chain when absent. */
  credentials?: IAMClientConfig['credentials'];
}

/** Error codes that mean "these credentials are not (yet) accepted", as opposed to a failure. */
const REJECTED_KEY_CODES = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'InvalidAccessKeyId']);

export class IamKeyManager implements KeyManager {
  readonly user: string;
  private readonly base: IAMClientConfig;
  private readonly client: IAMClient;
  /** CreateAccessKey is not idempotent: a retried call could mint a second key. One attempt only. */
  private readonly createClient: IAMClient;

  constructor(options: IamKeyManagerOptions) {
    this.user = options.user;
    this.base = { region: options.region ?? 'us-east-1', ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    const credentials = options.credentials ? { credentials: options.credentials } : {};
    this.client = new IAMClient({ ...this.base, ...credentials });
    this.createClient = new IAMClient({ ...this.base, ...credentials, maxAttempts: 1 });
  }

  async listKeys(): Promise<AccessKeyInfo[]> {
    const keys: AccessKeyInfo[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new ListAccessKeysCommand({ UserName: this.user, ...(marker ? { Marker: marker } : {}) })));
      for (const key of page.AccessKeyMetadata ?? []) {
        if (!key.AccessKeyId) continue;
        keys.push({ id: key.AccessKeyId, status: key.Status === 'Active' ? 'Active' : 'Inactive', ...(key.CreateDate ? { createdAt: key.CreateDate } : {}) });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return keys;
  }

  async createKey(): Promise<NewAccessKey> {
    const response = await this.call(() => this.createClient.send(new CreateAccessKeyCommand({ UserName: this.user })));
    const key = response.AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
    return { id: key.AccessKeyId, secret: new Redacted(key.SecretAccessKey), ...(key.CreateDate ? { createdAt: key.CreateDate } : {}) };
  }

  async setKeyStatus(id: string, status: KeyStatus): Promise<void> {
    await this.call(() => this.client.send(new UpdateAccessKeyCommand({ UserName: this.user, AccessKeyId: id, Status: status })));
  }

  async deleteKey(id: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteAccessKeyCommand({ UserName: this.user, AccessKeyId: id })));
  }

  /**
   * GetUser signed with the new key. Success, or AccessDenied (the key authenticated; the user
   * may simply lack iam:GetUser on itself), means AWS knows the key.
   */
  async checkKey(key: NewAccessKey): Promise<'accepted' | 'rejected'> {
    const probe = new IAMClient({ ...this.base, maxAttempts: 1, credentials: { accessKeyId: key.id, secretAccessKey: key.secret.reveal() } });
    try {
      const response = await probe.send(new GetUserCommand({}));
      const name = response.User?.UserName;
      if (name !== undefined && name !== this.user) throw new Error(`the new key authenticates as ${name}, not ${this.user}`);
      return 'accepted';
    } catch (error) {
      const code = (error as Error).name;
      if (code === 'AccessDenied' || code === 'AccessDeniedException') return 'accepted';
      if (REJECTED_KEY_CODES.has(code)) return 'rejected';
      throw error instanceof Error && error.message.startsWith('the new key') ? error : new Error(awsErrorMessage(error));
    } finally {
      probe.destroy();
    }
  }

  destroy(): void {
    this.client.destroy();
    this.createClient.destroy();
  }

  /** SDK errors become plain errors with one line: code, message, HTTP status. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new Error(awsErrorMessage(error));
    }
  }
}
