/**
 * What the synthesized stack holds, resource by resource (cdktf's matchers, Terraform's
 * snake_case names). The code is stubbed here; test/infra/terraform.test.ts bundles the real
 * functions and validates the result with Terraform.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group/index.js';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user/index.js';
import { IamUserGroupMembership } from '@cdktf/provider-aws/lib/iam-user-group-membership/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function/index.js';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy/index.js';
import { adoptedAddresses, RETAINED_TYPES, retainedAddresses } from '../../infra/destroy.js';
import { FUNCTION_SPECS, PIPELINE_STEPS } from '../../functions/config/functions.js';
import { STATE_OF_STEP } from '../../workflows/pipeline.js';
import { SERVICE_NAMES } from '../../functions/config/environment.js';
import {
  EVERY_OPTION,
  lambdaNamed,
  list,
  only,
  parsePolicy,
  ref,
  referencedName,
  resourcesOf,
  rolePolicies,
  statementsOfFunction,
  synthesize,
  withPlaceholders,
  type Block,
  type PolicyStatement,
  type Synthesized,
} from './support.js';

Testing.setupJest();

const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

let plain: Synthesized;
let full: Synthesized;

beforeAll(async () => {
  plain = await synthesize();
  full = await synthesize(EVERY_OPTION);
});

/** Statements without Sids, for comparing permissions. */
const grants = (statements: PolicyStatement[]) =>
  statements.map((s) => ({ Effect: s.Effect, Action: list(s.Action).sort(), Resource: list(s.Resource).sort(), ...(s.Condition ? { Condition: s.Condition } : {}) }));

describe('provider and Terraform settings', () => {
  it('pins the AWS provider to the release the prebuilt binding targets, in the configured region', () => {
    expect(plain.tf.terraform.required_providers).toEqual({ aws: { source: 'hashicorp/aws', version: '5.100.0' } });
    expect(plain.json).toHaveProviderWithProperties(AwsProvider, { region: 'us-west-2' });
    expect(plain.tf.terraform.backend).toEqual({ local: { path: '../../../terraform.usage-pipeline.tfstate' } });
  });

  it('keeps state in S3 with native locking when a state bucket is configured', () => {
    expect(full.tf.terraform.backend).toEqual({
      s3: { bucket: 'usage-pipeline-terraform-state', key: 'usage-pipeline/terraform.tfstate', region: 'us-west-2', encrypt: true, use_lockfile: true },
    });
  });
});

describe('IAM groups and the GitHub Actions user', () => {
  const bucketArn = () => ref('aws_s3_bucket', only(plain.tf, 'aws_s3_bucket')[0], 'arn');
  const queueArn = () => ref('aws_sqs_queue', resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0], 'arn');
  const managedPolicy = (tf: Synthesized['tf'], name: string) => resourcesOf(tf, 'aws_iam_policy').find(([, p]) => p.name === name)!;
  const groupPolicy = (tf: Synthesized['tf'], name: string) => parsePolicy(managedPolicy(tf, name)[1].policy);
  const groupNamed = (tf: Synthesized['tf'], name: string) => resourcesOf(tf, 'aws_iam_group').find(([, g]) => g.name === name)![0];

  it('has s3-writers with s3-get-put-delete: object actions on the bucket\'s objects only', () => {
    expect(plain.json).toHaveResourceWithProperties(IamGroup, { name: 's3-writers' });
    const policy = groupPolicy(plain.tf, 's3-get-put-delete');
    // A managed policy at /, as the old setup guide made it, and no description (IAM cannot change one).
    expect(managedPolicy(plain.tf, 's3-get-put-delete')[1]).toMatchObject({ path: '/' });
    expect(managedPolicy(plain.tf, 's3-get-put-delete')[1].description).toBeUndefined();
    expect(grants(policy.Statement)).toEqual([{ Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: [`${bucketArn()}/*`] }]);
  });

  it('has sqs-queue-consumer with queue-message-delete: consumer actions on the queue only', () => {
    expect(plain.json).toHaveResourceWithProperties(IamGroup, { name: 'sqs-queue-consumer' });
    const policy = groupPolicy(plain.tf, 'queue-message-delete');
    expect(grants(policy.Statement)).toEqual([
      { Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], Resource: [queueArn()] },
    ]);
  });

  it('attaches each managed policy to its group, and nothing else to any group', () => {
    const attachments = resourcesOf(plain.tf, 'aws_iam_group_policy_attachment').map(([, a]) => [referencedName(a.group), referencedName(a.policy_arn)]);
    expect(attachments.sort()).toEqual(
      [
        [groupNamed(plain.tf, 's3-writers'), managedPolicy(plain.tf, 's3-get-put-delete')[0]],
        [groupNamed(plain.tf, 'sqs-queue-consumer'), managedPolicy(plain.tf, 'queue-message-delete')[0]],
      ].sort(),
    );
    for (const tf of [plain.tf, full.tf]) expect(resourcesOf(tf, 'aws_iam_group_policy')).toEqual([]);
  });

  it('puts the GitHub Actions user in both groups, and makes no access key', () => {
    expect(plain.json).toHaveResourceWithProperties(IamUser, { name: 'usage-pipeline-github-actions', force_destroy: true });
    const [, membership] = only(plain.tf, 'aws_iam_user_group_membership');
    expect(plain.json).toHaveResourceWithProperties(IamUserGroupMembership, { user: ref('aws_iam_user', only(plain.tf, 'aws_iam_user')[0], 'name') });
    expect((membership.groups as string[]).map(referencedName).sort()).toEqual(resourcesOf(plain.tf, 'aws_iam_group').map(([name]) => name).sort());
    for (const tf of [plain.tf, full.tf]) {
      expect(resourcesOf(tf, 'aws_iam_access_key')).toEqual([]);
      expect(resourcesOf(tf, 'aws_iam_user_policy')).toEqual([]);
      expect(resourcesOf(tf, 'aws_iam_user_policy_attachment')).toEqual([]);
    }
  });

  it('lets the groups use the configured KMS key', () => {
    for (const name of ['s3-get-put-delete', 'queue-message-delete']) {
      expect(grants(groupPolicy(full.tf, name).Statement)).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [EVERY_OPTION.kmsKeyArn] });
    }
  });

  it('adopts the bucket, the groups, and the managed policies by ARN with their attachments, each only when asked', async () => {
    const account = '${data.aws_caller_identity.account.account_id}';
    const arn = (name: string) => `arn:\${data.aws_partition.partition.partition}:iam::${account}:policy/${name}`;
    const attachment = (tf: Synthesized['tf'], policy: string) => resourcesOf(tf, 'aws_iam_group_policy_attachment').find(([, a]) => referencedName(a.policy_arn) === managedPolicy(tf, policy)[0])![0];
    expect([...full.tf.import!].sort((a, b) => a.to.localeCompare(b.to))).toEqual(
      [
        { id: 'logpublish', to: `aws_s3_bucket.${only(full.tf, 'aws_s3_bucket')[0]}` },
        { id: 's3-writers', to: `aws_iam_group.${groupNamed(full.tf, 's3-writers')}` },
        { id: 'sqs-queue-consumer', to: `aws_iam_group.${groupNamed(full.tf, 'sqs-queue-consumer')}` },
        { id: arn('s3-get-put-delete'), to: `aws_iam_policy.${managedPolicy(full.tf, 's3-get-put-delete')[0]}` },
        { id: arn('queue-message-delete'), to: `aws_iam_policy.${managedPolicy(full.tf, 'queue-message-delete')[0]}` },
        { id: `s3-writers/${arn('s3-get-put-delete')}`, to: `aws_iam_group_policy_attachment.${attachment(full.tf, 's3-get-put-delete')}` },
        { id: `sqs-queue-consumer/${arn('queue-message-delete')}`, to: `aws_iam_group_policy_attachment.${attachment(full.tf, 'queue-message-delete')}` },
      ].sort((a, b) => a.to.localeCompare(b.to)),
    );
    expect(plain.tf.import).toBeUndefined();
    const groupsOnly = await synthesize({ adoptExisting: { iamGroups: true } });
    expect(groupsOnly.tf.import!.map((block) => block.to.split('.')[0])).toEqual(['aws_iam_group', 'aws_iam_group']);
  });
});

describe('bucket', () => {
  const bucketId = (s: Synthesized) => ref('aws_s3_bucket', only(s.tf, 'aws_s3_bucket')[0], 'id');

  it('is the configured bucket, never force-destroyed', () => {
    expect(plain.json).toHaveResourceWithProperties(S3Bucket, { bucket: 'logpublish', force_destroy: false });
  });

  it('is versioned, private, owner-enforced and encrypted (SSE-S3 by default, SSE-KMS with a key)', () => {
    expect(plain.json).toHaveResourceWithProperties(S3BucketVersioningA, { bucket: bucketId(plain), versioning_configuration: { status: 'Enabled' } });
    expect(plain.json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      bucket: bucketId(plain),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(plain.json).toHaveResourceWithProperties(S3BucketOwnershipControls, { bucket: bucketId(plain), rule: { object_ownership: 'BucketOwnerEnforced' } });
    expect(plain.json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket: bucketId(plain),
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
    expect(full.json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: EVERY_OPTION.kmsKeyArn }, bucket_key_enabled: true }],
    });
  });

  it('refuses anything but TLS 1.2+ in its policy', () => {
    const [, policy] = only(plain.tf, 'aws_s3_bucket_policy');
    const arn = ref('aws_s3_bucket', only(plain.tf, 'aws_s3_bucket')[0], 'arn');
    expect(parsePolicy(policy.policy).Statement).toEqual([
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Sid: 'DenyOutdatedTls', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
    ]);
    expect(policy.depends_on).toEqual([`aws_s3_bucket_public_access_block.${only(plain.tf, 'aws_s3_bucket_public_access_block')[0]}`]);
  });

  it('expires staging/, rejected/ and runs/, old versions and abandoned uploads', () => {
    const [, lifecycle] = only(plain.tf, 'aws_s3_bucket_lifecycle_configuration');
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
    const { 'usage-pipeline-events': main, 'usage-pipeline-events-dlq': dlq } = queues(plain);
    expect(main && dlq).toBeTruthy();
    expect(JSON.parse(main!.q.redrive_policy)).toEqual({ deadLetterTargetArn: ref('aws_sqs_queue', dlq!.name, 'arn'), maxReceiveCount: 5 });
    for (const { q } of [main!, dlq!]) expect(q).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 14 * 24 * 3600 });
    const [, allow] = only(plain.tf, 'aws_sqs_queue_redrive_allow_policy');
    expect(JSON.parse(allow.redrive_allow_policy)).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [ref('aws_sqs_queue', main!.name, 'arn')] });
  });

  it('hides a message for at least six times the drain timeout', () => {
    const drain = lambdaNamed(plain.tf, 'usage-pipeline-drain')[1];
    expect(queues(plain)['usage-pipeline-events']!.q.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * drain.timeout);
    expect(queues(full)['usage-pipeline-events']!.q.visibility_timeout_seconds).toBe(6 * 600);
  });

  it('uses the configured KMS key instead of SQS-managed encryption', () => {
    for (const { q } of Object.values(queues(full))) {
      expect(q).toMatchObject({ kms_master_key_id: EVERY_OPTION.kmsKeyArn, kms_data_key_reuse_period_seconds: 300 });
      expect(q.sqs_managed_sse_enabled).toBeUndefined();
    }
  });

  it('subscribes to the configured topic (through a provider in its region), which alone may send', () => {
    expect(plain.json).not.toHaveResource(SqsQueuePolicy);
    expect(plain.json).not.toHaveResource(SnsTopicSubscription);
    const main = queues(full)['usage-pipeline-events']!;
    expect(full.json).toHaveResourceWithProperties(SnsTopicSubscription, {
      topic_arn: EVERY_OPTION.snsTopicArn,
      protocol: 'sqs',
      endpoint: ref('aws_sqs_queue', main.name, 'arn'),
      raw_message_delivery: false,
      provider: 'aws.topic_region',
    });
    expect(full.tf.provider.aws).toContainEqual(expect.objectContaining({ alias: 'topic_region', region: 'us-east-1' }));
    const [, policy] = only(full.tf, 'aws_sqs_queue_policy');
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

describe('Lambda functions', () => {
  it('has one function per handler entry: the pipeline steps, rotate-secrets and the monitor', () => {
    const entries = readdirSync(path.join(PROJECT_ROOT, 'functions', 'handlers'))
      .filter((file) => file.endsWith('.ts') && /^export const handler\b/m.test(readFileSync(path.join(PROJECT_ROOT, 'functions', 'handlers', file), 'utf8')))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(FUNCTION_SPECS.map((spec) => spec.name).sort()).toEqual(entries);
    expect(entries).toEqual([...PIPELINE_STEPS, 'rotate-secrets', 'monitor'].sort());
    expect(resourcesOf(plain.tf, 'aws_lambda_function').map(([, fn]) => fn.function_name).sort()).toEqual(entries.map((name) => `usage-pipeline-${name}`));
  });

  it('runs each on nodejs22.x, arm64, traced, with its own log group and role', () => {
    const roles = new Set<string>();
    for (const spec of FUNCTION_SPECS) {
      const name = `usage-pipeline-${spec.name}`;
      const [, fn] = lambdaNamed(plain.tf, name);
      expect(plain.json).toHaveResourceWithProperties(LambdaFunction, {
        function_name: name,
        runtime: 'nodejs22.x',
        architectures: ['arm64'],
        handler: 'index.handler',
        tracing_config: { mode: 'Active' },
        memory_size: spec.memoryMb,
        timeout: spec.timeoutSeconds,
      });
      expect(fn.filename).toMatch(/^assets\/.+\/archive\.zip$/);
      expect(fn.source_code_hash).toBe(`\${filebase64sha256("${fn.filename}")}`);
      const logGroup = resourcesOf(plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === `/aws/lambda/${name}`);
      expect(logGroup?.[1].retention_in_days).toBe(365);
      expect(fn.logging_config.log_group).toBe(ref('aws_cloudwatch_log_group', logGroup![0], 'name'));
      roles.add(fn.role);
    }
    expect(roles.size).toBe(FUNCTION_SPECS.length);
    expect(plain.json).toHaveResource(CloudwatchLogGroup);
  });

  it('reserves concurrency 1 for the rotation, the monitor, the drain and publishing, and honours overrides', () => {
    const reserved = (s: Synthesized) =>
      Object.fromEntries(resourcesOf(s.tf, 'aws_lambda_function').filter(([, fn]) => fn.reserved_concurrent_executions !== undefined).map(([, fn]) => [fn.function_name, fn.reserved_concurrent_executions]));
    expect(reserved(plain)).toEqual({ 'usage-pipeline-rotate-secrets': 1, 'usage-pipeline-monitor': 1, 'usage-pipeline-drain': 1, 'usage-pipeline-publish': 1 });
    expect(reserved(full)).toEqual({ 'usage-pipeline-rotate-secrets': 1, 'usage-pipeline-monitor': 1, 'usage-pipeline-drain': 1 });
  });

  it('never retries the scheduled functions automatically', () => {
    for (const name of ['rotate-secrets', 'monitor']) {
      expect(plain.json).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, {
        function_name: ref('aws_lambda_function', lambdaNamed(plain.tf, `usage-pipeline-${name}`)[0], 'function_name'),
        maximum_retry_attempts: 0,
      });
    }
    expect(resourcesOf(plain.tf, 'aws_lambda_function_event_invoke_config')).toHaveLength(2);
  });

  it('gives each function the environment it reads, and no more', () => {
    const env = (name: string) => lambdaNamed(plain.tf, `usage-pipeline-${name}`)[1].environment.variables as Record<string, string>;
    const secret = ref('aws_secretsmanager_secret', only(plain.tf, 'aws_secretsmanager_secret')[0], 'arn');
    const queueName = resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0];
    const shared = {
      BUCKET_NAME: ref('aws_s3_bucket', only(plain.tf, 'aws_s3_bucket')[0], 'bucket'),
      GITHUB_REPOSITORY: 'futel/usage',
      GITHUB_BRANCH: 'gh-pages',
      PRODUCTION_HOSTS: 'futel-prod.phu73l.net,futel-prod-back,dialplan-functions-prod',
      FIRST_DAY: '2010-01-01',
      LAYOUTS: 'date,summary',
      DRAIN_MAX_MESSAGES: '20000',
      DRAIN_FLUSH_MESSAGES: '1000',
      DRAIN_WAIT_SECONDS: '2',
      DRAIN_TIME_BUDGET_SECONDS: '240',
      LOCK_TTL_SECONDS: '3600',
      SUMMARY_BACKFILL_MONTHS: '24',
    };
    expect(env('drain')).toEqual({ ...shared, QUEUE_URL: ref('aws_sqs_queue', queueName, 'url') });
    expect(env('publish')).toEqual({ ...shared, GITHUB_TOKEN_SECRET_ID: secret });
    expect(env('detect-changes')).toEqual({ ...shared, GITHUB_TOKEN_SECRET_ID: secret });
    for (const step of ['begin-run', 'list-staged', 'merge-month', 'build-month', 'finalize', 'finish-run', 'record-failure']) expect(env(step)).toEqual(shared);
    expect(env('rotate-secrets')).toEqual({
      GITHUB_REPOSITORY: 'futel/usage',
      ROTATION_IAM_USER: ref('aws_iam_user', only(plain.tf, 'aws_iam_user')[0], 'name'),
      GITHUB_TOKEN_SECRET_ID: secret,
      QUEUE_URL: ref('aws_sqs_queue', queueName, 'url'),
      ROTATION_VERIFY_TIMEOUT_SECONDS: '90',
    });
    const dlq = resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0];
    expect(env('monitor')).toEqual({
      BUCKET_NAME: shared.BUCKET_NAME,
      GITHUB_REPOSITORY: 'futel/usage',
      GITHUB_BRANCH: 'gh-pages',
      QUEUE_URL: ref('aws_sqs_queue', queueName, 'url'),
      DEAD_LETTER_QUEUE_URL: ref('aws_sqs_queue', dlq, 'url'),
      STATE_MACHINE_ARN: 'arn:${data.aws_partition.partition.partition}:states:us-west-2:${data.aws_caller_identity.account.account_id}:stateMachine:usage-pipeline',
      MAX_DATA_AGE_SECONDS: String(6 * 3600),
      GITHUB_TOKEN_SECRET_ID: secret,
    });
  });

  it('grants each role exactly what its function does', () => {
    const bucket = ref('aws_s3_bucket', only(plain.tf, 'aws_s3_bucket')[0], 'arn');
    const queue = ref('aws_sqs_queue', resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0], 'arn');
    const secret = ref('aws_secretsmanager_secret', only(plain.tf, 'aws_secretsmanager_secret')[0], 'arn');
    const user = ref('aws_iam_user', only(plain.tf, 'aws_iam_user')[0], 'arn');
    const logs = (name: string) => {
      const [logGroup] = resourcesOf(plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === `/aws/lambda/usage-pipeline-${name}`)!;
      return [
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${ref('aws_cloudwatch_log_group', logGroup, 'arn')}:*`] },
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
      ];
    };
    const of = (name: string) => grants(statementsOfFunction(plain.tf, `usage-pipeline-${name}`));

    expect(of('drain')).toEqual([
      ...logs('drain'),
      { Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucket}/rejected/*`, `${bucket}/runs/*`, `${bucket}/staging/*`] },
      { Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], Resource: [queue] },
    ]);
    expect(of('publish')).toEqual([
      ...logs('publish'),
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/site/*`, `${bucket}/state/pending-publish.json`] },
      { Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: [`${bucket}/state/pending-publish.json`] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secret] },
    ]);
    const states = 'arn:${data.aws_partition.partition.partition}:states:us-west-2:${data.aws_caller_identity.account.account_id}';
    expect(of('begin-run')).toEqual([
      ...logs('begin-run'),
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/state/lock.json`] },
      { Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucket}/state/lock.json`] },
      // Only to tell whether the execution holding the lock still runs.
      { Effect: 'Allow', Action: ['states:DescribeExecution'], Resource: [`${states}:execution:usage-pipeline:*`] },
    ]);
    expect(of('rotate-secrets')).toEqual([
      ...logs('rotate-secrets'),
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secret] },
      { Effect: 'Allow', Action: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:GetUser', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'], Resource: [user] },
    ]);
    const dlq = ref('aws_sqs_queue', resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0], 'arn');
    expect(of('monitor')).toEqual([
      ...logs('monitor'),
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/runs/*`, `${bucket}/site/data/last_updated.txt`, `${bucket}/state/lock.json`, `${bucket}/state/pending-publish.json`] },
      { Effect: 'Allow', Action: ['sqs:GetQueueAttributes'], Resource: [dlq, queue].sort() },
      { Effect: 'Allow', Action: ['states:ListExecutions'], Resource: [`${states}:stateMachine:usage-pipeline`] },
      { Effect: 'Allow', Action: ['states:DescribeExecution'], Resource: [`${states}:execution:usage-pipeline:*`] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secret] },
    ]);
    // Only the publishing steps, the rotation and the monitor read the token; only the drain consumes the queue.
    for (const spec of FUNCTION_SPECS) {
      const actions = of(spec.name).flatMap((s) => s.Action);
      expect(actions.includes('secretsmanager:GetSecretValue')).toBe(['publish', 'detect-changes', 'rotate-secrets', 'monitor'].includes(spec.name));
      expect(actions.some((a) => a.startsWith('sqs:') && a !== 'sqs:GetQueueAttributes')).toBe(spec.name === 'drain');
      expect(actions.some((a) => a.startsWith('iam:'))).toBe(spec.name === 'rotate-secrets');
    }
  });

  it('uses the configured KMS key for environments and data', () => {
    for (const [, fn] of resourcesOf(full.tf, 'aws_lambda_function')) expect(fn.kms_key_arn).toBe(EVERY_OPTION.kmsKeyArn);
    expect(grants(statementsOfFunction(full.tf, 'usage-pipeline-drain'))).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [EVERY_OPTION.kmsKeyArn] });
    for (const [, fn] of resourcesOf(plain.tf, 'aws_lambda_function')) expect(fn.kms_key_arn).toBeUndefined();
  });
});

describe('state machine', () => {
  const definitionOf = (s: Synthesized) => JSON.parse(withPlaceholders(only(s.tf, 'aws_sfn_state_machine')[1].definition)) as Block;

  it('is the workflows/pipeline.ts definition, valid ASL, with each task on its own function', () => {
    const definition = definitionOf(plain);
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
    const taskResources = new Map<string, string>();
    const visit = (states: Record<string, Block>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') taskResources.set(name, state.Resource);
        if (state.ItemProcessor) visit(state.ItemProcessor.States);
      }
    };
    visit(definition.States);
    for (const step of PIPELINE_STEPS) {
      const [logical] = lambdaNamed(plain.tf, `usage-pipeline-${step}`);
      expect(taskResources.get(STATE_OF_STEP[step])).toBe(`arn:aws:lambda:us-west-2:123456789012:function:${logical}`);
    }
    expect(definition.TimeoutSeconds).toBe(3600);
    // Tasks may run as long as the longest function.
    expect(definition.States.Finalize.TimeoutSeconds).toBe(900);
  });

  it('logs without execution data to a log group with retention, and is traced', () => {
    const [logGroup] = resourcesOf(plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === '/aws/vendedlogs/states/usage-pipeline')!;
    expect(plain.json).toHaveResourceWithProperties(SfnStateMachine, {
      name: 'usage-pipeline',
      type: 'STANDARD',
      logging_configuration: { level: 'ALL', include_execution_data: false, log_destination: `${ref('aws_cloudwatch_log_group', logGroup, 'arn')}:*` },
      tracing_configuration: { enabled: true },
    });
  });

  it('may invoke exactly the pipeline step functions', () => {
    const [, sm] = only(plain.tf, 'aws_sfn_state_machine');
    const entry = rolePolicies(plain.tf).get(referencedName(sm.role_arn)!)!;
    const invoke = entry.statements.filter((s) => list(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(list(invoke[0]!.Resource).sort()).toEqual(PIPELINE_STEPS.map((step) => ref('aws_lambda_function', lambdaNamed(plain.tf, `usage-pipeline-${step}`)[0], 'arn')).sort());
    const trust = parsePolicy(entry.role.assume_role_policy).Statement[0]!;
    expect(trust.Principal).toEqual({ Service: 'states.amazonaws.com' });
    expect(trust.Condition?.StringEquals?.['aws:SourceAccount']).toBe('${data.aws_caller_identity.account.account_id}');
  });
});

describe('schedules', () => {
  const schedule = (name: string) => resourcesOf(plain.tf, 'aws_scheduler_schedule').find(([, s]) => s.name === name)![1];

  it('starts the state machine every 4 hours with input {}, through a role that may start only it', () => {
    const smArn = ref('aws_sfn_state_machine', only(plain.tf, 'aws_sfn_state_machine')[0], 'arn');
    expect(plain.json).toHaveResourceWithProperties(SchedulerSchedule, {
      name: 'usage-pipeline-run',
      schedule_expression: 'rate(4 hours)',
      state: 'ENABLED',
      flexible_time_window: { mode: 'OFF' },
      target: expect.objectContaining({ arn: smArn, input: '{}' }),
    });
    const role = rolePolicies(plain.tf).get(referencedName(schedule('usage-pipeline-run').target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [smArn] }]);
    expect(parsePolicy(role.role.assume_role_policy).Statement[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  });

  it('invokes the monitor every 15 minutes, through a role that may invoke only it', () => {
    const monitor = schedule('usage-pipeline-monitor');
    const fnArn = ref('aws_lambda_function', lambdaNamed(plain.tf, 'usage-pipeline-monitor')[0], 'arn');
    expect(monitor.schedule_expression).toBe('rate(15 minutes)');
    expect(monitor.target).toMatchObject({ arn: fnArn, input: '{}' });
    const role = rolePolicies(plain.tf).get(referencedName(monitor.target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn] }]);
    expect(resourcesOf(plain.tf, 'aws_scheduler_schedule').map(([, s]) => s.name).sort()).toEqual(['usage-pipeline-monitor', 'usage-pipeline-rotate-secrets', 'usage-pipeline-run']);
  });

  it('invokes the rotation monthly, through a role that may invoke only it', () => {
    const rotation = schedule('usage-pipeline-rotate-secrets');
    const fnArn = ref('aws_lambda_function', lambdaNamed(plain.tf, 'usage-pipeline-rotate-secrets')[0], 'arn');
    expect(rotation.schedule_expression).toBe('cron(0 16 1 * ? *)');
    expect(rotation.target).toMatchObject({ arn: fnArn, input: '{}', retry_policy: { maximum_retry_attempts: 0 } });
    const role = rolePolicies(plain.tf).get(referencedName(rotation.target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn] }]);
  });

  it('follows the configuration', async () => {
    const custom = await synthesize({ schedule: 'rate(1 hour)', scheduleEnabled: false });
    expect(custom.json).toHaveResourceWithProperties(SchedulerSchedule, { name: 'usage-pipeline-run', schedule_expression: 'rate(1 hour)', state: 'DISABLED' });
  });
});

describe('GitHub token secret', () => {
  it('is a secret without a value: no version resource, nothing in state', () => {
    // Deleted at once by `npm run destroy`: no live credential left behind, and the name is free for a re-deploy.
    expect(plain.json).toHaveResourceWithProperties(SecretsmanagerSecret, { name: 'usage-pipeline/github-token', recovery_window_in_days: 0 });
    expect(full.json).toHaveResourceWithProperties(SecretsmanagerSecret, { kms_key_id: EVERY_OPTION.kmsKeyArn });
    for (const s of [plain, full]) expect(resourcesOf(s.tf, 'aws_secretsmanager_secret_version')).toEqual([]);
  });
});

describe('alarms', () => {
  const alarm = (s: Synthesized, name: string) => resourcesOf(s.tf, 'aws_cloudwatch_metric_alarm').find(([, a]) => a.alarm_name === name)?.[1];

  it('notifies an encrypted topic, through a key CloudWatch may use', () => {
    const [keyName, key] = only(plain.tf, 'aws_kms_key');
    expect(plain.json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(parsePolicy(key.policy).Statement.find((s) => s.Sid === 'CloudWatchAlarmsPublishToTheTopic')?.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(plain.json).toHaveResourceWithProperties(SnsTopic, { name: 'usage-pipeline-alarms', kms_master_key_id: ref('aws_kms_key', keyName, 'arn') });
    // With a configured key, that key (and no new one).
    expect(full.json).toHaveResourceWithProperties(SnsTopic, { kms_master_key_id: EVERY_OPTION.kmsKeyArn });
    expect(resourcesOf(full.tf, 'aws_kms_key')).toEqual([]);
    expect(full.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: 'email', endpoint: 'ops@example.org' });
    for (const [, a] of resourcesOf(plain.tf, 'aws_cloudwatch_metric_alarm')) expect(a.alarm_actions).toEqual([ref('aws_sns_topic', only(plain.tf, 'aws_sns_topic')[0], 'arn')]);
  });

  it('alarms on messages in the DLQ', () => {
    const dlq = resourcesOf(plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0];
    expect(alarm(plain, 'usage-pipeline-dlq-not-empty')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ref('aws_sqs_queue', dlq, 'name') },
      comparison_operator: 'GreaterThanThreshold',
      threshold: 0,
    });
  });

  it('alarms on failed and timed-out executions of this state machine', () => {
    const smArn = ref('aws_sfn_state_machine', only(plain.tf, 'aws_sfn_state_machine')[0], 'arn');
    for (const [name, metric] of [
      ['usage-pipeline-execution-failed', 'ExecutionsFailed'],
      ['usage-pipeline-execution-timed-out', 'ExecutionsTimedOut'],
    ]) {
      expect(alarm(plain, name!)).toMatchObject({ namespace: 'AWS/States', metric_name: metric, dimensions: { StateMachineArn: smArn }, threshold: 0, comparison_operator: 'GreaterThanThreshold' });
    }
  });

  it('alarms when the data is older than 6 hours, or its age is not reported', () => {
    // The monitor publishes through Powertools Metrics, which adds its service name as a dimension.
    expect(plain.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'usage-pipeline-data-stale',
      namespace: 'UsagePipeline',
      metric_name: 'DataAgeSeconds',
      dimensions: { service: SERVICE_NAMES.monitor },
      threshold: 6 * 3600,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'breaching',
    });
    expect(alarm(plain, 'usage-pipeline-rotation-failed')).toMatchObject({ namespace: 'AWS/Lambda', metric_name: 'Errors' });
  });
});

describe('outputs', () => {
  it('names the queue, bucket, state machine, user, secret and a re-run link', () => {
    const outputs = plain.tf.output!;
    expect(Object.keys(outputs).sort()).toEqual(
      ['alarm_topic_arn', 'bucket_name', 'dead_letter_queue_url', 'github_actions_user_name', 'github_token_secret_arn', 'queue_url', 'rerun_console_url', 'state_machine_arn'].sort(),
    );
    const sm = only(plain.tf, 'aws_sfn_state_machine')[0];
    expect(outputs.rerun_console_url!.value).toBe(`https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/statemachines/view/${ref('aws_sfn_state_machine', sm, 'arn')}`);
    expect(outputs.rerun_console_url!.description).toContain('{"day": "YYYY-MM-DD"}');
    expect(outputs.queue_url!.value).toMatch(/^\$\{aws_sqs_queue\..+\.url\}$/);
    expect(outputs.github_token_secret_arn!.value).toMatch(/^\$\{aws_secretsmanager_secret\..+\.arn\}$/);
  });
});

describe('tear-down', () => {
  const stateOf = (tf: Synthesized['tf']) => ['data.aws_caller_identity.account', ...Object.entries(tf.resource).flatMap(([type, all]) => Object.keys(all).map((name) => `${type}.${name}`))].join('\n');

  it('keeps the bucket and every resource that configures it, and nothing else', () => {
    const bucketTypes = Object.keys(full.tf.resource).filter((type) => type.startsWith('aws_s3_bucket')).sort();
    expect([...RETAINED_TYPES].sort()).toEqual(bucketTypes);
    expect(adoptedAddresses(plain.tf)).toEqual([]);
    expect(retainedAddresses(stateOf(plain.tf), adoptedAddresses(plain.tf)).map((address) => address.split('.')[0]).sort()).toEqual(bucketTypes);
  });

  it('also keeps what the configuration adopted: the groups, their managed policies and attachments', () => {
    const kept = retainedAddresses(stateOf(full.tf), adoptedAddresses(full.tf));
    const types = kept.map((address) => address.split('.')[0]!).filter((type) => !(RETAINED_TYPES as readonly string[]).includes(type));
    expect(types.sort()).toEqual(['aws_iam_group', 'aws_iam_group', 'aws_iam_group_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_policy', 'aws_iam_policy']);
    expect(kept).not.toContain(`aws_iam_user.${only(full.tf, 'aws_iam_user')[0]}`);
  });
});
