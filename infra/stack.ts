/**
 * The whole deployment as one stack: bucket, queue (+ DLQ), GitHub Actions user and groups,
 * token secret, the Lambdas, the state machine, its schedules, alarms and outputs.
 */
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { FUNCTION_SPECS, type FunctionSpec, PIPELINE_STEPS, type PipelineStep } from '../functions/config/functions.js';
import type { PipelineConfig } from '../functions/config/pipeline.js';
import { parseIsoDay } from '../functions/core/days.js';
import type { LambdaBundle } from './bundle.js';
import type { InfraConfig } from './config.js';
import { PipelineAlarms } from './constructs/alarms.js';
import { PipelineBucket } from './constructs/bucket.js';
import { GithubTokenSecret } from './constructs/github-token.js';
import { GithubActionsAccess } from './constructs/iam-users.js';
import { PipelineFunctions, type FunctionSizing } from './constructs/pipeline-functions.js';
import { PipelineQueue } from './constructs/queue.js';
import { PipelineSchedules } from './constructs/schedules.js';
import { PipelineStateMachine } from './constructs/state-machine.js';
import { AWS_PROVIDER_VERSION } from './terraform-cli.js';

export const STACK_NAME = 'usage-pipeline';
export { AWS_PROVIDER_VERSION };
/** Terraform state of the default local backend, relative to the stack directory (cdktf.out/stacks/<stack>): the repository root. */
export const LOCAL_STATE_PATH = `../../../terraform.${STACK_NAME}.tfstate`;

export interface UsagePipelineStackProps {
  readonly config: InfraConfig;
  /** The bundled code of each function (infra/bundle.ts). */
  readonly bundles: ReadonlyMap<string, LambdaBundle>;
  readonly specs?: readonly FunctionSpec[];
}

export function sizingOf(spec: FunctionSpec, config: InfraConfig): FunctionSizing {
  const override = (config.functions as Record<string, InfraConfig['functions'][string]>)[spec.name] ?? {};
  const reserved = override.reservedConcurrency === undefined ? spec.reservedConcurrency : (override.reservedConcurrency ?? undefined);
  return {
    memoryMb: override.memoryMb ?? spec.memoryMb,
    timeoutSeconds: override.timeoutSeconds ?? spec.timeoutSeconds,
    ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
  };
}

/** The settings every pipeline step is given, from the deployment's configuration. */
export function pipelineSettings(config: InfraConfig): PipelineConfig {
  return {
    productionHosts: config.productionHosts,
    firstDay: config.firstDay === 'none' ? null : parseIsoDay(config.firstDay),
    layouts: config.layouts,
    drain: {
      maxMessages: config.drain.maxMessages,
      flushMessages: config.drain.flushMessages,
      receiveWaitSeconds: config.drain.receiveWaitSeconds,
      timeBudgetMs: config.drain.timeBudgetSeconds * 1000,
    },
    // The lock of a run outlives no execution: both end after the state machine's timeout.
    lockTtlSeconds: config.stateMachine.timeoutSeconds,
    summaryBackfillMonths: config.summaryBackfillMonths,
  };
}

export class UsagePipelineStack extends TerraformStack {
  readonly config: InfraConfig;
  readonly bucket: PipelineBucket;
  readonly queue: PipelineQueue;
  readonly githubActions: GithubActionsAccess;
  readonly tokenSecret: GithubTokenSecret;
  readonly functions: PipelineFunctions;
  readonly stateMachine: PipelineStateMachine;
  readonly schedules: PipelineSchedules;
  readonly alarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: UsagePipelineStackProps) {
    super(scope, id);
    const config = (this.config = props.config);
    const specs = props.specs ?? FUNCTION_SPECS;
    const prefix = config.namePrefix;
    const kms = config.kmsKeyArn ? { kmsKeyArn: config.kmsKeyArn } : {};

    // Exactly the provider release the prebuilt binding was generated from.
    this.addOverride('terraform.required_providers.aws', { source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION });
    // Import blocks need 1.5; the S3 backend's native locking needs 1.10.
    this.addOverride('terraform.required_version', '>= 1.10.0');
    if (config.stateBackend) {
      new S3Backend(this, {
        bucket: config.stateBackend.bucket,
        key: config.stateBackend.key,
        region: config.stateBackend.region ?? config.region,
        encrypt: true,
      });
      // S3-native state locking (Terraform 1.10+); cdktf 0.21's S3Backend predates the option.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      new LocalBackend(this, { path: LOCAL_STATE_PATH });
    }

    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: { Project: 'usage-pipeline', ManagedBy: 'cdktf', Stack: id, ...config.tags } }],
    });
    const identity = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const accountId = identity.accountId;

    this.bucket = new PipelineBucket(this, 'bucket', { bucketName: config.bucketName, adoptExisting: config.adoptExisting.bucket, ...kms });

    const drain = specs.find((spec) => spec.consumesQueue);
    this.queue = new PipelineQueue(this, 'queue', {
      queueName: config.queueName,
      consumerTimeoutSeconds: drain ? sizingOf(drain, config).timeoutSeconds : 300,
      region: config.region,
      ...(config.snsTopicArn ? { snsTopicArn: config.snsTopicArn } : {}),
      ...kms,
    });

    this.githubActions = new GithubActionsAccess(this, 'github-actions', {
      userName: `${prefix}-github-actions`,
      bucketArn: this.bucket.bucket.arn,
      queueArn: this.queue.queue.arn,
      accountId,
      partition: partition.partition,
      adoptExistingGroups: config.adoptExisting.iamGroups,
      adoptExistingPolicies: config.adoptExisting.iamPolicies,
      ...kms,
    });

    this.tokenSecret = new GithubTokenSecret(this, 'github-token', {
      name: `${prefix}/github-token`,
      repository: config.github.repository,
      ...kms,
    });

    // The state machine's ARN from its name: the monitor watches it without waiting for it.
    const stateMachineName = prefix;
    const statesArn = `arn:${partition.partition}:states:${config.region}:${accountId}`;

    this.functions = new PipelineFunctions(this, 'functions', {
      namePrefix: prefix,
      specs,
      bundles: props.bundles,
      sizing: (spec) => sizingOf(spec, config),
      logRetentionDays: config.logRetentionDays,
      context: {
        bucketName: this.bucket.bucket.bucket,
        bucketArn: this.bucket.bucket.arn,
        queueUrl: this.queue.queue.url,
        queueArn: this.queue.queue.arn,
        deadLetterQueueUrl: this.queue.deadLetterQueue.url,
        deadLetterQueueArn: this.queue.deadLetterQueue.arn,
        stateMachineArn: `${statesArn}:stateMachine:${stateMachineName}`,
        stateMachineExecutionsArn: `${statesArn}:execution:${stateMachineName}:*`,
        maxDataAgeSeconds: config.alarms.dataAgeHours * 3600,
        tokenSecretArn: this.tokenSecret.secret.arn,
        githubActionsUserName: this.githubActions.user.name,
        githubActionsUserArn: this.githubActions.user.arn,
        githubRepository: config.github.repository,
        githubBranch: config.github.branch,
        pipelineSettings: pipelineSettings(config),
        rotationVerifyTimeoutSeconds: config.rotationVerifyTimeoutSeconds,
        ...kms,
      },
    });

    const steps = PIPELINE_STEPS.map((step) => this.functions.get(step));
    this.stateMachine = new PipelineStateMachine(this, 'state-machine', {
      name: stateMachineName,
      functionArns: Object.fromEntries(steps.map((fn) => [fn.spec.name, fn.lambda.arn])) as Record<PipelineStep, string>,
      timeoutSeconds: config.stateMachine.timeoutSeconds,
      taskTimeoutSeconds: Math.max(...steps.map((fn) => fn.sizing.timeoutSeconds)),
      mergeConcurrency: config.stateMachine.mergeConcurrency,
      buildConcurrency: config.stateMachine.buildConcurrency,
      maxDrainIterations: config.stateMachine.maxDrainIterations,
      logLevel: config.stateMachine.logLevel,
      logRetentionDays: config.logRetentionDays,
      accountId,
      partition: partition.partition,
      region: config.region,
    });

    this.schedules = new PipelineSchedules(this, 'schedules', {
      namePrefix: prefix,
      accountId,
      timezone: config.scheduleTimezone,
      pipeline: { expression: config.schedule, enabled: config.scheduleEnabled, stateMachineArn: this.stateMachine.stateMachine.arn },
      functions: [...this.functions.functions.values()].flatMap(({ spec, lambda }) =>
        spec.schedule
          ? [{ name: spec.name, description: spec.description, expression: config[spec.schedule.expressionSetting], enabled: config[spec.schedule.enabledSetting], functionArn: lambda.arn }]
          : [],
      ),
    });

    const rotation = this.functions.get('rotate-secrets');
    this.alarms = new PipelineAlarms(this, 'alarms', {
      namePrefix: prefix,
      accountId,
      partition: partition.partition,
      region: config.region,
      deadLetterQueueName: this.queue.deadLetterQueue.name,
      stateMachineArn: this.stateMachine.stateMachine.arn,
      rotationFunctionName: rotation.lambda.functionName,
      dataAgeHours: config.alarms.dataAgeHours,
      publishBacklogHours: config.alarms.publishBacklogHours,
      periodMinutes: config.alarms.periodMinutes,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      ...kms,
    });

    const output = (name: string, value: string, description: string) => new TerraformOutput(this, name, { value, description });
    output('queue_url', this.queue.queue.url, 'The queue the SNS topic feeds (GitHub Actions secret QUEUE_URL)');
    output('dead_letter_queue_url', this.queue.deadLetterQueue.url, 'Messages that failed 5 deliveries; the DLQ alarm watches it');
    output('bucket_name', this.bucket.bucket.bucket, 'The pipeline bucket (events/prod/, staging/, rejected/, site/, state/, runs/)');
    output('state_machine_arn', this.stateMachine.stateMachine.arn, 'The pipeline state machine (usage-pipeline rerun --state-machine-arn, or STATE_MACHINE_ARN)');
    output('github_actions_user_name', this.githubActions.user.name, 'The IAM user whose access key GitHub Actions holds (usage-pipeline rotate-secrets --user)');
    output('github_token_secret_arn', this.tokenSecret.secret.arn, 'Put the GitHub token here: aws secretsmanager put-secret-value --secret-id <this> --secret-string …');
    output('alarm_topic_arn', this.alarms.topic.arn, 'Alarm notifications; subscribe to it (or set alarmEmail)');
    output(
      'rerun_console_url',
      `https://${config.region}.console.aws.amazon.com/states/home?region=${config.region}#/statemachines/view/${this.stateMachine.stateMachine.arn}`,
      'Re-run a single day: open this, "Start execution", input {"day": "YYYY-MM-DD"} (or {"days": [...]}, {"rebuild": "all"})',
    );
  }
}
