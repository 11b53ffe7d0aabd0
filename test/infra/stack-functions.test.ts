/**
 * What the synthesized stack holds, resource by resource (cdktf's matchers, Terraform's
 * snake_case names): the Lambda functions: runtime, sizing, environment, roles. The code is stubbed here;
 * test/infra/terraform.test.ts bundles the real functions and validates the result with Terraform.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function/index.js';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js';
import { FUNCTION_SPECS, PIPELINE_STEPS } from '../../functions/config/functions.js';
import {
  EVERY_OPTION,
  grants,
  lambdaNamed,
  only,
  ref,
  resourcesOf,
  statementsOfFunction,
  type Synthesized,
  bothConfigurations,
} from './support.js';

Testing.setupJest();

const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const stacks = bothConfigurations();

describe('Lambda functions', () => {
  it('has one function per handler entry: the pipeline steps, rotate-secrets and the monitor', () => {
    const entries = readdirSync(path.join(PROJECT_ROOT, 'functions', 'handlers'))
      .filter((file) => file.endsWith('.ts') && /^export const handler\b/m.test(readFileSync(path.join(PROJECT_ROOT, 'functions', 'handlers', file), 'utf8')))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(FUNCTION_SPECS.map((spec) => spec.name).sort()).toEqual(entries);
    expect(entries).toEqual([...PIPELINE_STEPS, 'rotate-secrets', 'monitor'].sort());
    expect(resourcesOf(stacks.plain.tf, 'aws_lambda_function').map(([, fn]) => fn.function_name).sort()).toEqual(entries.map((name) => `usage-pipeline-${name}`));
  });

  it('runs each on nodejs22.x, arm64, traced, with its own log group and role', () => {
    const roles = new Set<string>();
    for (const spec of FUNCTION_SPECS) {
      const name = `usage-pipeline-${spec.name}`;
      const [, fn] = lambdaNamed(stacks.plain.tf, name);
      expect(stacks.plain.json).toHaveResourceWithProperties(LambdaFunction, {
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
      const logGroup = resourcesOf(stacks.plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === `/aws/lambda/${name}`);
      expect(logGroup?.[1].retention_in_days).toBe(365);
      expect(fn.logging_config.log_group).toBe(ref('aws_cloudwatch_log_group', logGroup![0], 'name'));
      roles.add(fn.role);
    }
    expect(roles.size).toBe(FUNCTION_SPECS.length);
    expect(stacks.plain.json).toHaveResource(CloudwatchLogGroup);
  });

  it('reserves concurrency 1 for the rotation, the monitor, the drain and publishing, and honours overrides', () => {
    const reserved = (s: Synthesized) =>
      Object.fromEntries(resourcesOf(s.tf, 'aws_lambda_function').filter(([, fn]) => fn.reserved_concurrent_executions !== undefined).map(([, fn]) => [fn.function_name, fn.reserved_concurrent_executions]));
    expect(reserved(stacks.plain)).toEqual({ 'usage-pipeline-rotate-secrets': 1, 'usage-pipeline-monitor': 1, 'usage-pipeline-drain': 1, 'usage-pipeline-publish': 1 });
    expect(reserved(stacks.full)).toEqual({ 'usage-pipeline-rotate-secrets': 1, 'usage-pipeline-monitor': 1, 'usage-pipeline-drain': 1 });
  });

  it('never retries the scheduled functions automatically', () => {
    for (const name of ['rotate-secrets', 'monitor']) {
      expect(stacks.plain.json).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, {
        function_name: ref('aws_lambda_function', lambdaNamed(stacks.plain.tf, `usage-pipeline-${name}`)[0], 'function_name'),
        maximum_retry_attempts: 0,
      });
    }
    expect(resourcesOf(stacks.plain.tf, 'aws_lambda_function_event_invoke_config')).toHaveLength(2);
  });

  it('gives each function the environment it reads, and no more', () => {
    const env = (name: string) => lambdaNamed(stacks.plain.tf, `usage-pipeline-${name}`)[1].environment.variables as Record<string, string>;
    const secret = ref('aws_secretsmanager_secret', only(stacks.plain.tf, 'aws_secretsmanager_secret')[0], 'arn');
    const queueName = resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0];
    const shared = {
      BUCKET_NAME: ref('aws_s3_bucket', only(stacks.plain.tf, 'aws_s3_bucket')[0], 'bucket'),
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
      ROTATION_IAM_USER: ref('aws_iam_user', only(stacks.plain.tf, 'aws_iam_user')[0], 'name'),
      GITHUB_TOKEN_SECRET_ID: secret,
      QUEUE_URL: ref('aws_sqs_queue', queueName, 'url'),
      ROTATION_VERIFY_TIMEOUT_SECONDS: '90',
    });
    const dlq = resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0];
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
    const bucket = ref('aws_s3_bucket', only(stacks.plain.tf, 'aws_s3_bucket')[0], 'arn');
    const queue = ref('aws_sqs_queue', resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0], 'arn');
    const secret = ref('aws_secretsmanager_secret', only(stacks.plain.tf, 'aws_secretsmanager_secret')[0], 'arn');
    const user = ref('aws_iam_user', only(stacks.plain.tf, 'aws_iam_user')[0], 'arn');
    const logs = (name: string) => {
      const [logGroup] = resourcesOf(stacks.plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === `/aws/lambda/usage-pipeline-${name}`)!;
      return [
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${ref('aws_cloudwatch_log_group', logGroup, 'arn')}:*`] },
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
      ];
    };
    const of = (name: string) => grants(statementsOfFunction(stacks.plain.tf, `usage-pipeline-${name}`));

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
    const dlq = ref('aws_sqs_queue', resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0], 'arn');
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
    for (const [, fn] of resourcesOf(stacks.full.tf, 'aws_lambda_function')) expect(fn.kms_key_arn).toBe(EVERY_OPTION.kmsKeyArn);
    expect(grants(statementsOfFunction(stacks.full.tf, 'usage-pipeline-drain'))).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [EVERY_OPTION.kmsKeyArn] });
    for (const [, fn] of resourcesOf(stacks.plain.tf, 'aws_lambda_function')) expect(fn.kms_key_arn).toBeUndefined();
  });
});
