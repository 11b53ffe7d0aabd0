/**
 * The monthly Lambda that rotates the IAM access key kept in the repository's Actions secrets.
 *
 * Configuration (environment): GITHUB_REPOSITORY (`owner/name`), ROTATION_IAM_USER,
 * GITHUB_TOKEN_SECRET_ID (a Secrets Manager secret holding the token, or `{"token": …}`),
 * QUEUE_URL (optional: written to the QUEUE_URL secret), GITHUB_API_URL and
 * AWS_ENDPOINT_URL_IAM (optional overrides), ROTATION_VERIFY_TIMEOUT_SECONDS (default 90; the
 * function's timeout must exceed it). The event may be `{"dryRun": true}`.
 *
 * It returns, and logs, only non-secret facts: key id suffixes, secret names, timestamps. A
 * rotation that did not complete fails the invocation (so it alarms) with a message that says
 * which state it left.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { tokenFromSecretsManager, type TokenProvider } from '../adapters/github-token.js';
import type { RotationOutcome, RotationReport } from '../rotation/rotate.js';
import { checkRotationConfig, rotateWithConfig, type RotationConfig } from './rotation-setup.js';
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

export class RotationSetupError extends RotationError {
  static override readonly userFacing = true;
}

export interface RotateSecretsHandlerDeps {
  /** Read on every invocation (default `process.env`). */
  env?: () => NodeJS.ProcessEnv;
  /** Where the GitHub token comes from (default: Secrets Manager, GITHUB_TOKEN_SECRET_ID). */
  token?: TokenProvider;
  logger?: Logger;
  /** Overrides for tests (GitHub retry pacing, verification timing). */
  overrides?: Partial<Pick<RotationConfig, 'githubRetryAfterBaseValue' | 'githubThrottle' | 'verify'>>;
}

const Event = z
  .object({ dryRun: z.boolean().optional() })
  .passthrough()
  .nullish();

export function createRotateSecretsHandler(deps: RotateSecretsHandlerDeps = {}) {
  const logger = deps.logger ?? new Logger({ serviceName: 'usage-pipeline-rotate-secrets' });
  // Module scope (per container): a warm invocation reuses the token read by the last one.
  let tokenFor: { secretId: string; provider: TokenProvider } | undefined;

  const run = async (event: unknown, _context: Context): Promise<RotateSecretsResult> => {
    const parsedEvent = Event.safeParse(event);
    if (!parsedEvent.success) throw new RotationSetupError('event must be {} or {"dryRun": true}');
    const env = deps.env?.() ?? process.env;
    const config = readConfig(env);
    let token = deps.token;
    if (!token) {
      if (tokenFor?.secretId !== config.tokenSecretId) {
        tokenFor = { secretId: config.tokenSecretId, provider: tokenFromSecretsManager({ client: new SecretsManagerClient({}), secretId: config.tokenSecretId }) };
      }
      token = tokenFor.provider;
    }
    const report = await rotateWithConfig({
      repository: config.repository,
      user: config.user,
      githubToken: await token(),
      ...(config.queueUrl !== undefined ? { queueUrl: config.queueUrl } : {}),
      ...(config.githubApiUrl ? { githubApiUrl: config.githubApiUrl } : {}),
      ...(config.iamEndpoint ? { iamEndpoint: config.iamEndpoint } : {}),
      dryRun: parsedEvent.data?.dryRun ?? false,
      verify: { timeoutMs: config.verifyTimeoutSeconds * 1000 },
      ...deps.overrides,
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
  };

  return middy<unknown, RotateSecretsResult, Error, Context>().use(injectLambdaContext(logger)).handler(run);
}

interface HandlerConfig {
  repository: string;
  user: string;
  tokenSecretId: string;
  queueUrl?: string;
  githubApiUrl?: string;
  iamEndpoint?: string;
  verifyTimeoutSeconds: number;
}

function readConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const required = ['GITHUB_REPOSITORY', 'ROTATION_IAM_USER', 'GITHUB_TOKEN_SECRET_ID'] as const;
  const missing = required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new RotationSetupError(`missing configuration: ${missing.join(', ')}`);
  const verifyTimeoutSeconds = env.ROTATION_VERIFY_TIMEOUT_SECONDS ? Number(env.ROTATION_VERIFY_TIMEOUT_SECONDS) : 90;
  if (!(verifyTimeoutSeconds > 0)) throw new RotationSetupError('ROTATION_VERIFY_TIMEOUT_SECONDS must be a positive number');
  const config: HandlerConfig = {
    repository: env.GITHUB_REPOSITORY!.trim(),
    user: env.ROTATION_IAM_USER!.trim(),
    tokenSecretId: env.GITHUB_TOKEN_SECRET_ID!.trim(),
    verifyTimeoutSeconds,
    ...(env.QUEUE_URL?.trim() ? { queueUrl: env.QUEUE_URL.trim() } : {}),
    ...(env.GITHUB_API_URL?.trim() ? { githubApiUrl: env.GITHUB_API_URL.trim() } : {}),
    ...(env.AWS_ENDPOINT_URL_IAM?.trim() ? { iamEndpoint: env.AWS_ENDPOINT_URL_IAM.trim() } : {}),
  };
  try {
    checkRotationConfig(config);
  } catch (error) {
    throw new RotationSetupError((error as Error).message);
  }
  return config;
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

export const handler = createRotateSecretsHandler();
