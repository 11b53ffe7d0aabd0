/**
 * Lambda entry point of the scheduled monitor: checks the published data's age (from the
 * branch itself when a GitHub token is configured), the queues and the last execution, and
 * publishes `DataAgeSeconds` and friends as embedded metrics for the alarms.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { emfMetricsSink } from '../adapters/emf-metrics.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { SqsMessageQueue } from '../adapters/sqs-queue.js';
import { awsStatusSources } from '../adapters/aws-status-sources.js';
import { checkStatus, DEFAULT_MAX_AGE_SECONDS, statusMetrics, type PipelineStatus } from '../monitor/status.js';
import { ConfigurationError } from '../config/errors.js';
import { createLambdaDeps, ENVIRONMENT, logger } from './lambda-deps.js';

export const MONITOR_ENVIRONMENT = {
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  stateMachineArn: 'STATE_MACHINE_ARN',
  maxAgeSeconds: 'MAX_DATA_AGE_SECONDS',
} as const;

export interface MonitorClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
}

const defaultClients = (): MonitorClients => ({ s3: new S3Client({}), sqs: new SQSClient({}), sfn: new SFNClient({}) });

export async function monitor(env: NodeJS.ProcessEnv = process.env, clients: MonitorClients = defaultClients(), metrics = emfMetricsSink({ serviceName: 'usage-pipeline-monitor' })): Promise<PipelineStatus> {
  const bucket = env[ENVIRONMENT.bucket];
  if (!bucket) throw new ConfigurationError(`environment variable ${ENVIRONMENT.bucket} is not set`);
  const maxAgeSeconds = Number(env[MONITOR_ENVIRONMENT.maxAgeSeconds] ?? DEFAULT_MAX_AGE_SECONDS);
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds <= 0) throw new ConfigurationError(`${MONITOR_ENVIRONMENT.maxAgeSeconds} must be a positive number of seconds`);
  const { s3, sqs, sfn } = clients;
  const queueUrl = env[ENVIRONMENT.queueUrl];
  const deadLetterQueueUrl = env[MONITOR_ENVIRONMENT.deadLetterQueueUrl];
  const stateMachineArn = env[MONITOR_ENVIRONMENT.stateMachineArn];
  const status = await checkStatus(
    awsStatusSources({
      bucket: new S3ObjectStore({ client: s3, bucket }),
      ...(queueUrl ? { queue: new SqsMessageQueue({ client: sqs, queueUrl }) } : {}),
      ...(deadLetterQueueUrl ? { deadLetters: new SqsMessageQueue({ client: sqs, queueUrl: deadLetterQueueUrl }) } : {}),
      ...(stateMachineArn ? { stepFunctions: { client: sfn, stateMachineArn } } : {}),
      ...(env[ENVIRONMENT.repository] && env[ENVIRONMENT.tokenSecret] ? { publisher: createLambdaDeps(env).publisher } : {}),
    }),
    { maxAgeSeconds },
  );
  metrics.publish(statusMetrics(status));
  if (status.problems.length > 0) logger.warn('the pipeline needs attention', { problems: [...status.problems] });
  else logger.info('the pipeline is healthy', { dataAgeSeconds: status.dataAgeSeconds });
  return status;
}

export const handler = middy(async () => monitor()).use(injectLambdaContext(logger, { resetKeys: true }));
