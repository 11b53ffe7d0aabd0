/**
 * The events queue the SNS topic feeds, with its dead-letter queue. Optionally subscribes the
 * queue to an existing topic, with a queue policy that lets that topic, and nothing else, send.
 */
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy/index.js';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy/index.js';
import { policyDocument } from '../iam.js';

/** SQS's maximum: a message waits two weeks for a pipeline that is down. */
export const RETENTION_SECONDS = 14 * 24 * 3600;
/** Deliveries before a message is set aside in the DLQ. */
export const MAX_RECEIVE_COUNT = 5;
/**
 * AWS's guidance for a queue consumed by Lambda: a visibility timeout of at least six times
 * the function's timeout, so a message being worked on is not handed out again.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface PipelineQueueProps {
  readonly queueName: string;
  /** The drain Lambda's timeout; the visibility timeout is derived from it. */
  readonly consumerTimeoutSeconds: number;
  readonly kmsKeyArn?: string;
  /** An existing topic to subscribe to. */
  readonly snsTopicArn?: string;
  /** The stack's region: a topic elsewhere is subscribed through a provider for its region. */
  readonly region: string;
}

export class PipelineQueue extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly subscription?: SnsTopicSubscription;

  constructor(scope: Construct, id: string, props: PipelineQueueProps) {
    super(scope, id);
    const encryption = props.kmsKeyArn
      ? { kmsMasterKeyId: props.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }
      : { sqsManagedSseEnabled: true };

    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: `${props.queueName}-dlq`,
      messageRetentionSeconds: RETENTION_SECONDS,
      ...encryption,
    });

    this.queue = new SqsQueue(this, 'queue', {
      name: props.queueName,
      messageRetentionSeconds: RETENTION_SECONDS,
      visibilityTimeoutSeconds: Math.min(VISIBILITY_TIMEOUT_FACTOR * props.consumerTimeoutSeconds, 43_200),
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      ...encryption,
    });

    // Only this queue may use the DLQ as its dead-letter target.
    new SqsQueueRedriveAllowPolicy(this, 'dead-letter-queue-redrive-allow', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });

    if (props.snsTopicArn) {
      new SqsQueuePolicy(this, 'queue-policy', {
        queueUrl: this.queue.url,
        policy: policyDocument([
          {
            Sid: 'AllowTheEventsTopicOnly',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': props.snsTopicArn } },
          },
        ]),
      });
      // A subscription is made in the topic's region.
      const topicRegion = props.snsTopicArn.split(':')[3];
      const provider =
        topicRegion && topicRegion !== props.region ? new AwsProvider(this, 'topic-region', { region: topicRegion, alias: 'topic_region' }) : undefined;
      this.subscription = new SnsTopicSubscription(this, 'subscription', {
        topicArn: props.snsTopicArn,
        protocol: 'sqs',
        endpoint: this.queue.arn,
        // The drain reads the SNS envelope (Message, Timestamp): keep it.
        rawMessageDelivery: false,
        ...(provider ? { provider } : {}),
      });
    }
  }
}
