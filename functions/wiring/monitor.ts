/**
 * The scheduled monitor, wired for Lambda: checks the published data's age (from the branch
 * itself when a GitHub token is configured), the queues and the last execution, and publishes
 * `DataAgeSeconds` and friends as embedded metrics for the alarms.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { emfMetricsSink } from '../adapters/emf-metrics.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { SqsMessageQueue } from '../adapters/sqs-queue.js';
import { awsStatusSources } from '../adapters/aws-status-sources.js';
import { MONITOR_ENVIRONMENT, SERVICE_NAMES } from '../config/environment.js';
import { checkStatus, statusMetrics, type PipelineStatus } from '../monitor/status.js';
import { githubPublisher, logger } from './lambda-deps.js';

export interface MonitorClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
}

const defaultClients = (): MonitorClients => ({ s3: new S3Client({}), sqs: new SQSClient({}), sfn: new SFNClient({}) });

export async function monitor(env: NodeJS.ProcessEnv = process.env, clients: MonitorClients = defaultClients(), metrics = emfMetricsSink({ serviceName: SERVICE_NAMES.monitor })): Promise<PipelineStatus> {
  const settings = MONITOR_ENVIRONMENT.read(env);
  const { s3, sqs, sfn } = clients;
  const status = await checkStatus(
    awsStatusSources({
      bucket: new S3ObjectStore({ client: s3, bucket: settings.bucket }),
      ...(settings.queueUrl ? { queue: new SqsMessageQueue({ client: sqs, queueUrl: settings.queueUrl }) } : {}),
      ...(settings.deadLetterQueueUrl ? { deadLetters: new SqsMessageQueue({ client: sqs, queueUrl: settings.deadLetterQueueUrl }) } : {}),
      ...(settings.stateMachineArn ? { stepFunctions: { client: sfn, stateMachineArn: settings.stateMachineArn } } : {}),
      ...(settings.github?.tokenSecretId ? { publisher: githubPublisher(settings.github) } : {}),
    }),
    { maxAgeSeconds: settings.maxDataAgeSeconds },
  );
  metrics.publish(statusMetrics(status));
  if (status.problems.length > 0) logger.warn('the pipeline needs attention', { problems: [...status.problems] });
  else logger.info('the pipeline is healthy', { dataAgeSeconds: status.dataAgeSeconds });
  return status;
}
