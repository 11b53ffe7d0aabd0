/**
 * The alarm topic and the alarms: messages in the DLQ, an execution that failed or timed out,
 * a failed key rotation, published data older than a threshold, a day refused because its daily
 * object shrank, and a publish backlog that does not drain.
 *
 * The topic is encrypted. CloudWatch can only publish to an encrypted topic if the key's
 * policy lets it; the AWS managed key (alias/aws/sns) has a fixed policy that does not, so
 * alarms to such a topic are silently dropped. Without a configured key, the stack therefore
 * makes a small customer managed key for the topic, with rotation on.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { NAMESPACE } from '../../functions/core/metrics.js';
import { SERVICE_NAMES } from '../../functions/config/environment.js';
import { policyDocument } from '../iam.js';

/**
 * The freshness metric the monitor Lambda publishes (functions/wiring/monitor.ts): the age,
 * in seconds, of the published data (`data/last_updated.txt`). Powertools Metrics adds the
 * service name as a `service` dimension, and an alarm must name every dimension to match.
 */
export const DATA_AGE_METRIC = {
  namespace: NAMESPACE,
  metricName: 'DataAgeSeconds',
  dimensions: { service: SERVICE_NAMES.monitor },
} as const;

/** Days a run refused because their daily object holds fewer events than are published (the steps' run metrics). */
export const DAYS_REFUSED_METRIC = {
  namespace: NAMESPACE,
  metricName: 'DaysRefused',
  dimensions: { service: SERVICE_NAMES.pipeline },
} as const;

/** Paths built but not yet on the branch, as the monitor reads them from the pending list. */
export const PUBLISH_BACKLOG_METRIC = {
  namespace: NAMESPACE,
  metricName: 'PublishBacklog',
  dimensions: { service: SERVICE_NAMES.monitor },
} as const;

export interface PipelineAlarmsProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly kmsKeyArn?: string;
  readonly alarmEmail?: string;
  readonly deadLetterQueueName: string;
  readonly stateMachineArn: string;
  readonly rotationFunctionName: string;
  readonly dataAgeHours: number;
  /** Hours the publish backlog may stay above zero before the alarm: a large change drains over a few hourly runs. */
  readonly publishBacklogHours: number;
  readonly periodMinutes: number;
}

/** What differs between the alarms. */
interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: 'Maximum' | 'Minimum' | 'Sum';
  readonly period: number;
  readonly threshold?: number;
  readonly evaluationPeriods?: number;
  readonly treatMissingData?: 'breaching' | 'notBreaching';
}

export class PipelineAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const alarmArns = `arn:${props.partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${props.namePrefix}-*`;

    let topicKey = props.kmsKeyArn;
    if (!topicKey) {
      const key = new KmsKey(this, 'topic-key', {
        description: `Encrypts the ${props.namePrefix} alarm topic (CloudWatch may use it to publish)`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument([
          {
            // The account's default key policy: key administration is decided by IAM policies.
            Sid: 'AccountAdministersTheKeyThroughIam',
            Effect: 'Allow',
            Principal: { AWS: `arn:${props.partition}:iam::${props.accountId}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'CloudWatchAlarmsPublishToTheTopic',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]),
      });
      new KmsAlias(this, 'topic-key-alias', { name: `alias/${props.namePrefix}-alarms`, targetKeyId: key.keyId });
      topicKey = key.arn;
    }

    this.topic = new SnsTopic(this, 'topic', {
      name: `${props.namePrefix}-alarms`,
      displayName: `${props.namePrefix} alarms`,
      kmsMasterKeyId: topicKey,
    });
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: 'ThisStacksAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: this.topic.arn,
          Condition: { ArnLike: { 'aws:SourceArn': alarmArns }, StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ]),
    });
    if (props.alarmEmail) {
      new SnsTopicSubscription(this, 'email', { topicArn: this.topic.arn, protocol: 'email', endpoint: props.alarmEmail });
    }

    const period = props.periodMinutes * 60;
    // Every alarm fires above a threshold over one period and notifies the topic both ways.
    const alarm = (id: string, description: string, metric: AlarmMetric) =>
      this.alarms.push(
        new CloudwatchMetricAlarm(this, id, {
          alarmName: `${props.namePrefix}-${id}`,
          alarmDescription: description,
          evaluationPeriods: 1,
          comparisonOperator: 'GreaterThanThreshold',
          threshold: 0,
          treatMissingData: 'notBreaching',
          alarmActions: [this.topic.arn],
          okActions: [this.topic.arn],
          ...metric,
        }),
      );

    // A queue holding messages always reports; silence means empty.
    alarm('dlq-not-empty', `Messages were set aside in ${props.deadLetterQueueName} after repeated failed deliveries: inspect them, then redrive them to the queue.`, {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: props.deadLetterQueueName },
      statistic: 'Maximum',
      period,
    });
    for (const [id, metricName, what] of [
      ['execution-failed', 'ExecutionsFailed', 'failed'],
      ['execution-timed-out', 'ExecutionsTimedOut', 'timed out'],
    ] as const) {
      alarm(id, `A pipeline execution ${what}: see runs/<run id>/failure.json in the bucket and the execution's history.`, {
        namespace: 'AWS/States',
        metricName,
        dimensions: { StateMachineArn: props.stateMachineArn },
        statistic: 'Sum',
        period,
      });
    }
    alarm('rotation-failed', 'The access key rotation did not complete: its log says which state it left (it never leaves the repository without a working key).', {
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: props.rotationFunctionName },
      statistic: 'Sum',
      period: 3600,
    });
    alarm('data-stale', `The published data is more than ${props.dataAgeHours} h old (or its age is not being reported): check the latest executions.`, {
      namespace: DATA_AGE_METRIC.namespace,
      metricName: DATA_AGE_METRIC.metricName,
      dimensions: { ...DATA_AGE_METRIC.dimensions },
      statistic: 'Maximum',
      // The monitor reports every 15 minutes by default; the worst report of the hour counts.
      period: 3600,
      threshold: props.dataAgeHours * 3600,
      // No report is as bad as a stale one: the monitor itself may be broken.
      treatMissingData: 'breaching',
    });
    alarm(
      'days-refused',
      'A run refused a day whose daily object holds fewer events than are published (a truncated or replaced object): ' +
        'see the run report (runs/<run id>/report.json, refused) and restore the object, or re-run that day to accept it.',
      { ...DAYS_REFUSED_METRIC, dimensions: { ...DAYS_REFUSED_METRIC.dimensions }, statistic: 'Sum', period },
    );
    alarm(
      'publish-backlog',
      `Built files have waited more than ${props.publishBacklogHours} h to be published (state/pending-publish.json is not draining): ` +
        'see the latest runs\' publish errors; `usage-pipeline status` says which limit stopped them.',
      {
        ...PUBLISH_BACKLOG_METRIC,
        dimensions: { ...PUBLISH_BACKLOG_METRIC.dimensions },
        // The smallest backlog of each hour: above zero for every hour of the window means it never drained.
        statistic: 'Minimum',
        period: 3600,
        evaluationPeriods: props.publishBacklogHours,
      },
    );
  }
}
