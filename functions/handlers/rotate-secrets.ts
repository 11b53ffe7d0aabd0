/**
 * Lambda entry point of the monthly access-key rotation (functions/wiring/rotate-secrets.ts).
 * The event may be `{"dryRun": true}`.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { SERVICE_NAMES } from '../config/environment.js';
import { rotateSecrets, secretsManagerTokens, type RotateSecretsOptions, type RotateSecretsResult } from '../wiring/rotate-secrets.js';

type TokenProvider = ReturnType<RotateSecretsOptions['token']>;

export interface RotateSecretsHandlerDeps {
  /** Read on every invocation (default `process.env`). */
  env?: () => NodeJS.ProcessEnv;
  /** Where the GitHub token comes from (default: Secrets Manager, the secret the environment names). */
  token?: TokenProvider;
  logger?: Logger;
  overrides?: RotateSecretsOptions['overrides'];
}

export function createRotateSecretsHandler(deps: RotateSecretsHandlerDeps = {}) {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAMES.rotation });
  const fromSecret = secretsManagerTokens();
  const token = deps.token;
  return middy<unknown, RotateSecretsResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler((event) =>
      rotateSecrets(event, {
        env: deps.env?.() ?? process.env,
        token: token ? () => token : fromSecret,
        logger,
        ...(deps.overrides ? { overrides: deps.overrides } : {}),
      }),
    );
}

export const handler = createRotateSecretsHandler();
