/**
 * The monthly rotation of the IAM access key kept in the repository's Actions secrets, as the
 * Lambda runs it: settings from the environment (ROTATION_ENVIRONMENT in
 * functions/config/environment.ts), the GitHub token from Secrets Manager, the event `{}` or
 * `{"dryRun": true}`.
 *
 * It returns, and logs, only non-secret facts: key id suffixes, secret names, timestamps. A
 * rotation that did not complete fails the invocation (so it alarms) with a message that says
 * which state it left.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { tokenFromSecretsManager, type TokenProvider } from '../adapters/github-token.js';
import { ROTATION_ENVIRONMENT } from '../config/environment.js';
import type { RotationOutcome, RotationReport } from '../rotation/model.js';
import { rotateWithConfig, type RotationConfig } from './rotation.js';
import { RotationError } from '../rotation/errors.js';

export interface RotateSecretsResult {
  outcome: RotationOutcome;
  user: string;
  repository: string;
  oldKey?: string;
  newKey?: string;
  newKeyCreatedAt?: string;
  deletedInactiveKey?: string;
  secrets: readonly string[];
  keys?: readonly { key: string; status: string }[];
  startedAt: string;
  finishedAt: string;
}

export class RotationFailedError extends RotationError {
  constructor(
    message: string,
    readonly result: RotateSecretsResult,
  ) {
    super(message);
  }
}

/** An invocation the rotation cannot act on (a malformed event). */
export class RotationSetupError extends RotationError {}

export interface RotateSecretsOptions {
  readonly env: NodeJS.ProcessEnv;
  /** The GitHub token of the configured secret. */
  readonly token: (secretId: string) => TokenProvider;
  readonly logger: Logger;
  /** Overrides for tests (GitHub retry pacing, verification timing). */
  readonly overrides?: Partial<Pick<RotationConfig, 'githubRetryAfterBaseValue' | 'githubThrottle' | 'verify'>>;
}

const Event = z
  .object({ dryRun: z.boolean().optional() })
  .passthrough()
  .nullish();

export async function rotateSecrets(event: unknown, options: RotateSecretsOptions): Promise<RotateSecretsResult> {
  const parsedEvent = Event.safeParse(event);
  if (!parsedEvent.success) throw new RotationSetupError('event must be {} or {"dryRun": true}');
  const settings = ROTATION_ENVIRONMENT.read(options.env);
  const { logger } = options;
  const report = await rotateWithConfig({
    repository: settings.repository,
    user: settings.user,
    githubToken: await options.token(settings.tokenSecretId)(),
    ...(settings.queueUrl !== undefined ? { queueUrl: settings.queueUrl } : {}),
    ...(settings.githubApiUrl ? { githubApiUrl: settings.githubApiUrl } : {}),
    ...(settings.iamEndpoint ? { iamEndpoint: settings.iamEndpoint } : {}),
    dryRun: parsedEvent.data?.dryRun ?? false,
    verify: { timeoutMs: settings.verifyTimeoutSeconds * 1000 },
    ...options.overrides,
    onStep: (step) => logger.info(`rotation step ${step.step}: ${step.status}`, { ...step }),
  });
  const result = resultOf(report);
  if (!report.ok) {
    logger.error('rotation did not complete', { ...result, error: report.error, warnings: report.warnings });
    throw new RotationFailedError(`rotation ${report.outcome}: ${report.error ?? 'see the logs'}`, result);
  }
  for (const warning of report.warnings) logger.warn(warning);
  logger.info(report.dryRun ? 'rotation dry run' : 'rotated', { ...result });
  return result;
}

/**
 * The token of a secret from Secrets Manager, one provider per secret for the container's
 * life: a warm invocation reuses the token the last one read.
 */
export function secretsManagerTokens(): (secretId: string) => TokenProvider {
  let cached: { secretId: string; provider: TokenProvider } | undefined;
  return (secretId) => {
    if (cached?.secretId !== secretId) cached = { secretId, provider: tokenFromSecretsManager({ client: new SecretsManagerClient({}), secretId }) };
    return cached.provider;
  };
}

function resultOf(report: RotationReport): RotateSecretsResult {
  return {
    outcome: report.outcome,
    user: report.user,
    repository: report.repository,
    ...(report.oldKey ? { oldKey: report.oldKey } : {}),
    ...(report.newKey ? { newKey: report.newKey } : {}),
    ...(report.newKeyCreatedAt ? { newKeyCreatedAt: report.newKeyCreatedAt } : {}),
    ...(report.deletedInactiveKey ? { deletedInactiveKey: report.deletedInactiveKey } : {}),
    secrets: report.secrets,
    ...(report.keys ? { keys: report.keys } : {}),
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
  };
}
