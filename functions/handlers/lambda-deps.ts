/**
 * Dependencies of the step handlers in Lambda: S3, SQS and the GitHub API, configured from the
 * environment the infrastructure sets. Created once per container, on first use; the GitHub
 * token is read from Secrets Manager only by the steps that publish or adopt the branch state.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GitHubPublisher } from '../adapters/github-publisher.js';
import { executionLockHolders } from '../adapters/lock-holders.js';
import { tokenFromSecretsManager } from '../adapters/github-token.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { SqsMessageQueue } from '../adapters/sqs-queue.js';
import { chartsFiles } from '../charts/prebuilt.js';
import { emfMetricsSink } from '../adapters/emf-metrics.js';
import { configFromEnvironment } from '../pipeline/config.js';
import { ConfigurationError } from '../config/errors.js';
import { noCheckpoints, type PipelineDeps } from '../pipeline/deps.js';

export const logger = new Logger({ serviceName: 'usage-pipeline' });

/** The environment the infrastructure gives every step (see infra/). */
export const ENVIRONMENT = {
  bucket: 'BUCKET_NAME',
  queueUrl: 'QUEUE_URL',
  repository: 'GITHUB_REPOSITORY',
  branch: 'GITHUB_BRANCH',
  tokenSecret: 'GITHUB_TOKEN_SECRET_ID',
} as const;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

export function createLambdaDeps(env: NodeJS.ProcessEnv = process.env): PipelineDeps {
  const repository = required(env, ENVIRONMENT.repository);
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) throw new ConfigurationError(`${ENVIRONMENT.repository} must be OWNER/NAME, not ${JSON.stringify(repository)}`);
  const secretId = env[ENVIRONMENT.tokenSecret];
  const queueUrl = env[ENVIRONMENT.queueUrl];
  return {
    bucket: new S3ObjectStore({ client: new S3Client({}), bucket: required(env, ENVIRONMENT.bucket) }),
    ...(queueUrl ? { queue: new SqsMessageQueue({ client: new SQSClient({}), queueUrl }) } : {}),
    publisher: new GitHubPublisher({
      owner,
      repo,
      branch: env[ENVIRONMENT.branch] || 'gh-pages',
      token: secretId
        ? tokenFromSecretsManager({ client: new SecretsManagerClient({}), secretId })
        : () => Promise.reject(new ConfigurationError(`environment variable ${ENVIRONMENT.tokenSecret} is not set: this step cannot reach GitHub`)),
      log: (level, message, data) => logger[level](message, { ...data }),
    }),
    config: configFromEnvironment(env),
    log: logger,
    clock: () => new Date(),
    checkpoint: noCheckpoints,
    metrics: emfMetricsSink(),
    lockHolders: executionLockHolders(new SFNClient({}), (message, extra) => logger.warn(message, extra)),
    chartsFiles,
  };
}

let deps: Promise<PipelineDeps> | undefined;

/** One set of clients per container, so connections and the token cache are reused. */
export function lambdaDeps(): Promise<PipelineDeps> {
  deps ??= Promise.resolve().then(() => createLambdaDeps());
  deps.catch(() => (deps = undefined));
  return deps;
}

export const lambdaMiddlewares = () => [injectLambdaContext(logger, { resetKeys: true })];
