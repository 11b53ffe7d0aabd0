/**
 * What the synthesized stack holds, resource by resource (cdktf's matchers, Terraform's
 * snake_case names): the bucket and the events queue. The code is stubbed here;
 * test/infra/terraform.test.ts bundles the real functions and validates the result with Terraform.
 */
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy/index.js';
import {
  EVERY_OPTION,
  lambdaNamed,
  only,
  parsePolicy,
  ref,
  resourcesOf,
  type Block,
  type Synthesized,
  bothConfigurations,
} from './support.js';

Testing.setupJest();

const stacks = bothConfigurations();

describe('bucket', () => {
  const bucketId = (s: Synthesized) => ref('aws_s3_bucket', only(s.tf, 'aws_s3_bucket')[0], 'id');

  it('is the configured bucket, never force-destroyed', () => {
    expect(stacks.plain.json).toHaveResourceWithProperties(S3Bucket, { bucket: 'logpublish', force_destroy: false });
  });

  it('is versioned, private, owner-enforced and encrypted (SSE-S3 by default, SSE-KMS with a key)', () => {
    expect(stacks.plain.json).toHaveResourceWithProperties(S3BucketVersioningA, { bucket: bucketId(stacks.plain), versioning_configuration: { status: 'Enabled' } });
    expect(stacks.plain.json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      bucket: bucketId(stacks.plain),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(stacks.plain.json).toHaveResourceWithProperties(S3BucketOwnershipControls, { bucket: bucketId(stacks.plain), rule: { object_ownership: 'BucketOwnerEnforced' } });
    expect(stacks.plain.json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket: bucketId(stacks.plain),
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
    expect(stacks.full.json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: EVERY_OPTION.kmsKeyArn }, bucket_key_enabled: true }],
    });
  });

  it('refuses anything but TLS 1.2+ in its policy', () => {
    const [, policy] = only(stacks.plain.tf, 'aws_s3_bucket_policy');
    const arn = ref('aws_s3_bucket', only(stacks.plain.tf, 'aws_s3_bucket')[0], 'arn');
    expect(parsePolicy(policy.policy).Statement).toEqual([
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Sid: 'DenyOutdatedTls', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
    ]);
    expect(policy.depends_on).toEqual([`aws_s3_bucket_public_access_block.${only(stacks.plain.tf, 'aws_s3_bucket_public_access_block')[0]}`]);
  });

  it('expires staging/, rejected/ and runs/, old versions and abandoned uploads', () => {
    const [, lifecycle] = only(stacks.plain.tf, 'aws_s3_bucket_lifecycle_configuration');
    const rules = lifecycle.rule as Block[];
    const byPrefix = (prefix: string) => rules.find((rule) => rule.filter?.[0]?.prefix === prefix);
    expect(byPrefix('staging/')).toMatchObject({ status: 'Enabled', expiration: [{ days: 30 }] });
    expect(byPrefix('rejected/')).toMatchObject({ status: 'Enabled', expiration: [{ days: 90 }] });
    expect(byPrefix('runs/')).toMatchObject({ status: 'Enabled', expiration: [{ days: 90 }] });
    expect(byPrefix('')).toMatchObject({
      status: 'Enabled',
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      expiration: [{ expired_object_delete_marker: true }],
    });
    // Nothing under the daily objects or the site mirror ever expires.
    expect(rules.filter((rule) => rule.expiration?.[0]?.days !== undefined).map((rule) => rule.filter[0].prefix).sort()).toEqual(['rejected/', 'runs/', 'staging/']);
  });
});

describe('queue', () => {
  const queues = (s: Synthesized) => Object.fromEntries(resourcesOf(s.tf, 'aws_sqs_queue').map(([name, q]) => [q.name as string, { name, q }]));

  it('has a dead-letter queue taking messages after 5 receives, both encrypted and kept 14 days', () => {
    const { 'usage-pipeline-events': main, 'usage-pipeline-events-dlq': dlq } = queues(stacks.plain);
    expect(main && dlq).toBeTruthy();
    expect(JSON.parse(main!.q.redrive_policy)).toEqual({ deadLetterTargetArn: ref('aws_sqs_queue', dlq!.name, 'arn'), maxReceiveCount: 5 });
    for (const { q } of [main!, dlq!]) expect(q).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 14 * 24 * 3600 });
    const [, allow] = only(stacks.plain.tf, 'aws_sqs_queue_redrive_allow_policy');
    expect(JSON.parse(allow.redrive_allow_policy)).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [ref('aws_sqs_queue', main!.name, 'arn')] });
  });

  it('hides a message for at least six times the drain timeout', () => {
    const drain = lambdaNamed(stacks.plain.tf, 'usage-pipeline-drain')[1];
    expect(queues(stacks.plain)['usage-pipeline-events']!.q.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * drain.timeout);
    expect(queues(stacks.full)['usage-pipeline-events']!.q.visibility_timeout_seconds).toBe(6 * 600);
  });

  it('uses the configured KMS key instead of SQS-managed encryption', () => {
    for (const { q } of Object.values(queues(stacks.full))) {
      expect(q).toMatchObject({ kms_master_key_id: EVERY_OPTION.kmsKeyArn, kms_data_key_reuse_period_seconds: 300 });
      expect(q.sqs_managed_sse_enabled).toBeUndefined();
    }
  });

  it('subscribes to the configured topic (through a provider in its region), which alone may send', () => {
    expect(stacks.plain.json).not.toHaveResource(SqsQueuePolicy);
    expect(stacks.plain.json).not.toHaveResource(SnsTopicSubscription);
    const main = queues(stacks.full)['usage-pipeline-events']!;
    expect(stacks.full.json).toHaveResourceWithProperties(SnsTopicSubscription, {
      topic_arn: EVERY_OPTION.snsTopicArn,
      protocol: 'sqs',
      endpoint: ref('aws_sqs_queue', main.name, 'arn'),
      raw_message_delivery: false,
      provider: 'aws.topic_region',
    });
    expect(stacks.full.tf.provider.aws).toContainEqual(expect.objectContaining({ alias: 'topic_region', region: 'us-east-1' }));
    const [, policy] = only(stacks.full.tf, 'aws_sqs_queue_policy');
    expect(parsePolicy(policy.policy).Statement).toEqual([
      {
        Sid: 'AllowTheEventsTopicOnly',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: ref('aws_sqs_queue', main.name, 'arn'),
        Condition: { ArnEquals: { 'aws:SourceArn': EVERY_OPTION.snsTopicArn } },
      },
    ]);
  });
});
