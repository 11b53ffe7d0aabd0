/** Builds the IAM and GitHub adapters the CLI and the Lambda both rotate with. */
import { createRotationOctokit, GitHubSecretStore, parseRepository } from '../adapters/github/actions-secrets.js';
import { IamKeyManager } from '../adapters/iam-access-keys.js';
import { IAM_USER_NAME } from '../config/environment.js';
import type { RotationReport } from '../rotation/model.js';
import { rotateAccessKey, type RotationOptions } from '../rotation/rotate.js';
import { ConfigurationError } from '../config/errors.js';

export interface RotationConfig {
  /** `OWNER/NAME`. */
  repository: string;
  user: string;
  githubToken: string;
  githubApiUrl?: string;
  iamEndpoint?: string;
  iamRegion?: string;
  /** The credentials that manage the user's keys; the SDK's default chain when absent. */
  iamCredentials?: { accessKeyId: string; secretAccessKey: string };
  queueUrl?: string;
  dryRun?: boolean;
  verify?: RotationOptions['verify'];
  onStep?: RotationOptions['onStep'];
  /** See `OctokitOptions`; for tests against the emulator. */
  githubRetryAfterBaseValue?: number;
  githubThrottle?: boolean;
}

export function checkRotationConfig(config: Pick<RotationConfig, 'repository' | 'user' | 'queueUrl'>): { owner: string; repo: string } {
  const repository = parseRepository(config.repository);
  if (!repository) throw new ConfigurationError(`repository ${JSON.stringify(config.repository)} is not OWNER/NAME`);
  if (!IAM_USER_NAME.test(config.user)) throw new ConfigurationError(`IAM user ${JSON.stringify(config.user)} is not a valid user name`);
  if (config.queueUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(config.queueUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new ConfigurationError(`queue URL ${JSON.stringify(config.queueUrl)} is not an http(s) URL`);
  }
  return repository;
}

export async function rotateWithConfig(config: RotationConfig): Promise<RotationReport> {
  const { owner, repo } = checkRotationConfig(config);
  const keys = new IamKeyManager({
    user: config.user,
    ...(config.iamEndpoint ? { endpoint: config.iamEndpoint } : {}),
    ...(config.iamRegion ? { region: config.iamRegion } : {}),
    ...(config.iamCredentials ? { credentials: config.iamCredentials } : {}),
  });
  const octokit = createRotationOctokit({
    token: config.githubToken,
    ...(config.githubApiUrl ? { baseUrl: config.githubApiUrl } : {}),
    ...(config.githubRetryAfterBaseValue !== undefined ? { retryAfterBaseValue: config.githubRetryAfterBaseValue } : {}),
    ...(config.githubThrottle !== undefined ? { throttle: config.githubThrottle } : {}),
  });
  try {
    return await rotateAccessKey({
      keys,
      secrets: new GitHubSecretStore(octokit, owner, repo),
      ...(config.queueUrl !== undefined ? { queueUrl: config.queueUrl } : {}),
      dryRun: config.dryRun ?? false,
      ...(config.verify ? { verify: config.verify } : {}),
      ...(config.onStep ? { onStep: config.onStep } : {}),
    });
  } finally {
    keys.destroy();
  }
}
