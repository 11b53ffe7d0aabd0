/**
 * One Lambda per entry of the function catalogue (functions/config/functions.ts), each with its own log
 * group (with retention) and its own role, derived from what the catalogue says it touches.
 */
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function/index.js';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js';
import type { LambdaBundle } from '../bundle.js';
import type { FunctionSpec } from '../../functions/config/functions.js';
import { MONITOR_ENVIRONMENT, PIPELINE_STEP_ENVIRONMENT, ROTATION_ENVIRONMENT } from '../../functions/config/environment.js';
import type { PipelineConfig } from '../../functions/config/pipeline.js';
import { allow, ServiceRole, XRAY_WRITE_ACTIONS, type Statement } from '../iam.js';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';

export interface FunctionSizing {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency?: number;
}

/** What the functions are wired to; references (tokens) as much as literals. */
export interface FunctionContext {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  /** Built from its name, so functions that watch it need not wait for it. */
  readonly stateMachineArn: string;
  /** The ARN pattern of its executions (`arn:…:execution:NAME:*`). */
  readonly stateMachineExecutionsArn: string;
  /** The monitor reports a problem (and the data-stale alarm fires) past this age. */
  readonly maxDataAgeSeconds: number;
  readonly tokenSecretArn: string;
  readonly githubActionsUserName: string;
  readonly githubActionsUserArn: string;
  readonly githubRepository: string;
  readonly githubBranch: string;
  readonly kmsKeyArn?: string;
  /** The settings every pipeline step is given, identical for all. */
  readonly pipelineSettings: PipelineConfig;
  readonly rotationVerifyTimeoutSeconds: number;
}

/**
 * A function's environment, written by the runtime contract its handler reads
 * (functions/config/environment.ts): only the names and ARNs it needs, never a secret value
 * (the token is read from Secrets Manager at run time).
 */
export function environmentFor(spec: FunctionSpec, ctx: FunctionContext): Record<string, string> {
  const github = { repository: ctx.githubRepository, branch: ctx.githubBranch, ...(spec.readsGithubToken ? { tokenSecretId: ctx.tokenSecretArn } : {}) };
  const queue = spec.consumesQueue || spec.needsQueueUrl || spec.readsQueueDepths ? { queueUrl: ctx.queueUrl } : {};
  switch (spec.kind) {
    case 'pipeline-step':
      return PIPELINE_STEP_ENVIRONMENT.write({ bucket: ctx.bucketName, ...queue, github, pipeline: ctx.pipelineSettings });
    case 'monitor':
      return MONITOR_ENVIRONMENT.write({
        bucket: ctx.bucketName,
        ...queue,
        ...(spec.readsQueueDepths ? { deadLetterQueueUrl: ctx.deadLetterQueueUrl } : {}),
        ...(spec.watchesStateMachine ? { stateMachineArn: ctx.stateMachineArn } : {}),
        maxDataAgeSeconds: ctx.maxDataAgeSeconds,
        github,
      });
    case 'rotation':
      return ROTATION_ENVIRONMENT.write({
        repository: ctx.githubRepository,
        user: ctx.githubActionsUserName,
        tokenSecretId: ctx.tokenSecretArn,
        ...queue,
        verifyTimeoutSeconds: ctx.rotationVerifyTimeoutSeconds,
      });
  }
}

/** A function's permissions, beyond writing its own logs and traces. */
export function statementsFor(spec: FunctionSpec, ctx: FunctionContext): Statement[] {
  const statements: Statement[] = [];
  const objects = (keys: readonly string[] = []) => keys.map((key) => `${ctx.bucketArn}/${key}`);
  const access = spec.bucket;
  if (access) {
    // ListBucket also makes S3 answer 404 rather than 403 for a missing key (see BucketAccess.list).
    if ((access.read?.length ?? 0) > 0 || (access.list?.length ?? 0) > 0) statements.push(allow(['s3:ListBucket'], [ctx.bucketArn], 'ListTheBucket'));
    if (access.read?.length) statements.push(allow(['s3:GetObject'], objects(access.read), 'ReadObjects'));
    if (access.write?.length) statements.push(allow(['s3:PutObject'], objects(access.write), 'WriteObjects'));
    if (access.delete?.length) statements.push(allow(['s3:DeleteObject'], objects(access.delete), 'DeleteObjects'));
  }
  if (spec.consumesQueue) {
    // DeleteMessageBatch is authorised by sqs:DeleteMessage.
    statements.push(allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], [ctx.queueArn], 'ConsumeTheQueue'));
  }
  if (spec.readsQueueDepths) statements.push(allow(['sqs:GetQueueAttributes'], [ctx.queueArn, ctx.deadLetterQueueArn], 'ReadQueueDepths'));
  if (spec.watchesStateMachine) {
    statements.push(allow(['states:ListExecutions'], [ctx.stateMachineArn], 'ListExecutions'));
    statements.push(allow(['states:DescribeExecution'], [ctx.stateMachineExecutionsArn], 'DescribeExecutions'));
  }
  if (spec.checksLockHolder && !spec.watchesStateMachine) {
    statements.push(allow(['states:DescribeExecution'], [ctx.stateMachineExecutionsArn], 'CheckTheLockHolder'));
  }
  if (spec.readsGithubToken) statements.push(allow(['secretsmanager:GetSecretValue'], [ctx.tokenSecretArn], 'ReadTheGithubToken'));
  if (spec.rotatesGithubActionsKeys) {
    statements.push(
      allow(
        ['iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey', 'iam:GetUser'],
        [ctx.githubActionsUserArn],
        'RotateTheGithubActionsKeys',
      ),
    );
  }
  const touchesEncryptedData = Boolean(access || spec.consumesQueue || spec.readsQueueDepths || spec.readsGithubToken);
  if (ctx.kmsKeyArn && touchesEncryptedData) statements.push(allow(['kms:Decrypt', 'kms:GenerateDataKey'], [ctx.kmsKeyArn], 'UseTheDeploymentKey'));
  return statements;
}

export interface PipelineFunctionsProps {
  readonly namePrefix: string;
  readonly specs: readonly FunctionSpec[];
  readonly bundles: ReadonlyMap<string, LambdaBundle>;
  readonly sizing: (spec: FunctionSpec) => FunctionSizing;
  readonly logRetentionDays: number;
  readonly context: FunctionContext;
}

export interface DeployedFunction {
  readonly spec: FunctionSpec;
  readonly lambda: LambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly sizing: FunctionSizing;
}

export class PipelineFunctions extends Construct {
  readonly functions = new Map<string, DeployedFunction>();

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    for (const spec of props.specs) {
      const bundle = props.bundles.get(spec.name);
      if (!bundle) throw new Error(`no bundle for function ${spec.name}`);
      this.functions.set(spec.name, this.deploy(spec, bundle, props));
    }
  }

  get(name: string): DeployedFunction {
    const deployed = this.functions.get(name);
    if (!deployed) throw new Error(`no function ${name}`);
    return deployed;
  }

  private deploy(spec: FunctionSpec, bundle: LambdaBundle, props: PipelineFunctionsProps): DeployedFunction {
    const scope = new Construct(this, spec.name);
    const functionName = `${props.namePrefix}-${spec.name}`;
    const sizing = props.sizing(spec);
    const ctx = props.context;

    // Created here, with retention, rather than by Lambda on first write (which never expires).
    const logGroup = new CloudwatchLogGroup(scope, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    const role = new ServiceRole(scope, 'execution', {
      roleName: `${functionName}`,
      description: `Runs the ${functionName} Lambda: ${spec.description}`,
      service: 'lambda.amazonaws.com',
      statements: [
        allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${logGroup.arn}:*`], 'WriteOwnLogs'),
        allow(XRAY_WRITE_ACTIONS.slice(0, 2), ['*'], 'WriteTraces'),
        ...statementsFor(spec, ctx),
      ],
    });

    const code = new TerraformAsset(scope, 'code', { path: bundle.directory, type: AssetType.ARCHIVE });

    const lambda = new LambdaFunction(scope, 'function', {
      functionName,
      description: spec.description,
      role: role.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: Fn.filebase64sha256(code.path),
      memorySize: sizing.memoryMb,
      timeout: sizing.timeoutSeconds,
      ...(sizing.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: sizing.reservedConcurrency } : {}),
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      environment: { variables: environmentFor(spec, ctx) },
      ...(ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {}),
      // The role's permissions and the log group exist before the first invocation.
      dependsOn: [role.policy, logGroup],
    });

    if (spec.schedule) {
      // Invoked asynchronously by its schedule, never retried: a rotation that failed part-way
      // is left in a safe state for a person (it alarms), and an automatic retry could only
      // add keys; the monitor runs again within minutes anyway.
      new LambdaFunctionEventInvokeConfig(scope, 'async', {
        functionName: lambda.functionName,
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: 3600,
      });
    }

    return { spec, lambda, role, logGroup, sizing };
  }
}
