/**
 * The state machine of workflows/pipeline.ts with the real function ARNs, logging (never
 * execution data) and tracing, and a role that may invoke exactly the pipeline's functions.
 */
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { buildPipelineDefinition } from '../../workflows/pipeline.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import { ACTIONS_REQUIRING_WILDCARD_RESOURCE, allow, ServiceRole, XRAY_WRITE_ACTIONS } from '../iam.js';

export interface PipelineStateMachineProps {
  readonly name: string;
  /** The ARN (a Terraform reference) of each step's function. */
  readonly functionArns: Readonly<Record<PipelineStep, string>>;
  readonly timeoutSeconds: number;
  /** Per-task limit: at least the longest function timeout. */
  readonly taskTimeoutSeconds: number;
  readonly mergeConcurrency: number;
  readonly buildConcurrency: number;
  readonly maxDrainIterations: number;
  readonly logLevel: 'ALL' | 'ERROR' | 'FATAL';
  readonly logRetentionDays: number;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
}

/** The definition as JSON; function ARNs are Terraform references inside strings (`${aws_lambda_function.x.arn}`). */
export function pipelineDefinitionJson(props: Pick<PipelineStateMachineProps, 'functionArns' | 'timeoutSeconds' | 'taskTimeoutSeconds' | 'mergeConcurrency' | 'buildConcurrency' | 'maxDrainIterations'>): string {
  return JSON.stringify(
    buildPipelineDefinition({
      functions: props.functionArns,
      timeoutSeconds: props.timeoutSeconds,
      taskTimeoutSeconds: props.taskTimeoutSeconds,
      mergeConcurrency: props.mergeConcurrency,
      buildConcurrency: props.buildConcurrency,
      maxDrainIterations: props.maxDrainIterations,
    }),
  );
}

export class PipelineStateMachine extends Construct {
  readonly stateMachine: SfnStateMachine;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    // The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy within its size limit.
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/vendedlogs/states/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });

    const stateMachineArn = `arn:${props.partition}:states:${props.region}:${props.accountId}:stateMachine:${props.name}`;
    const functionArns = PIPELINE_STEPS.map((step) => props.functionArns[step]);
    this.role = new ServiceRole(this, 'execution', {
      roleName: `${props.name}-state-machine`,
      description: `Runs the ${props.name} state machine: invokes its step functions`,
      service: 'states.amazonaws.com',
      trustConditions: { StringEquals: { 'aws:SourceAccount': props.accountId }, ArnLike: { 'aws:SourceArn': stateMachineArn } },
      statements: [
        allow(['lambda:InvokeFunction'], functionArns, 'InvokeThePipelineSteps'),
        // Log delivery and tracing take no resource ARN (AWS requires "*" for these).
        allow(
          ACTIONS_REQUIRING_WILDCARD_RESOURCE.filter((action) => action.startsWith('logs:')),
          ['*'],
          'DeliverExecutionLogs',
        ),
        allow(XRAY_WRITE_ACTIONS, ['*'], 'WriteTraces'),
      ],
    });

    this.stateMachine = new SfnStateMachine(this, 'state-machine', {
      name: props.name,
      type: 'STANDARD',
      roleArn: this.role.role.arn,
      definition: pipelineDefinitionJson(props),
      loggingConfiguration: {
        logDestination: `${this.logGroup.arn}:*`,
        level: props.logLevel,
        // Inputs and outputs stay out of the logs, whatever the level.
        includeExecutionData: false,
      },
      tracingConfiguration: { enabled: true },
      dependsOn: [this.role.policy],
    });
  }
}
