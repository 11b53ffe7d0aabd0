/**
 * Dependencies of the step handlers in Lambda: S3, SQS and the GitHub API, configured from the
 * environment the infrastructure sets (functions/config/environment.ts). Created once per
 * container, on first use; the GitHub token is read from Secrets Manager only by the steps that
 * publish or adopt the branch state.
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
import { PIPELINE_STEP_ENVIRONMENT, REPOSITORY_NAME, SERVICE_NAMES, VARIABLES, type GitHubSettings, type PipelineStepSettings } from '../config/environment.js';
import { ConfigurationError } from '../config/errors.js';
import { noCheckpoints, type PipelineDeps } from '../pipeline/deps.js';

export const logger = new Logger({ serviceName: SERVICE_NAMES.pipeline });

/** The publisher of the configured branch; without a token secret, publishing fails naming the variable. */
export function githubPublisher(github: GitHubSettings): GitHubPublisher {
  const [, owner = '', repo = ''] = REPOSITORY_NAME.exec(github.repository) ?? [];
  const secretId = github.tokenSecretId;
  return new GitHubPublisher({
    owner,
    repo,
    branch: github.branch,
    token: secretId
      ? tokenFromSecretsManager({ client: new SecretsManagerClient({}), secretId })
      : () => Promise.reject(new ConfigurationError(`environment variable ${VARIABLES.githubTokenSecretId.name} is not set: this step cannot reach GitHub`)),
    log: (level, message, data) => logger[level](message, { ...data }),
  });
}

export function createLambdaDeps(settings: PipelineStepSettings): PipelineDeps {
  return {
    bucket: new S3ObjectStore({ client: new S3Client({}), bucket: settings.bucket }),
    ...(settings.queueUrl ? { queue: new SqsMessageQueue({ client: new SQSClient({}), queueUrl: settings.queueUrl }) } : {}),
    publisher: githubPublisher(settings.github),
    config: settings.pipeline,
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
  deps ??= Promise.resolve().then(() => createLambdaDeps(PIPELINE_STEP_ENVIRONMENT.read(process.env)));
  deps.catch(() => (deps = undefined));
  return deps;
}

export const lambdaMiddlewares = () => [injectLambdaContext(logger, { resetKeys: true })];
