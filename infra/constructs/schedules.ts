/**
 * EventBridge Scheduler schedules: the pipeline every few hours (a state machine execution
 * with input `{}`), and each function that runs on its own timetable — the monthly key
 * rotation, the monitor — as an asynchronous Lambda invocation. Each schedule has its own
 * role, allowed to start exactly its target.
 */
import { Construct } from 'constructs';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule/index.js';
import { allow, ServiceRole } from '../iam.js';

export interface FunctionScheduleProps {
  /** The function's short name (`rotate-secrets`): the schedule is `<prefix>-<name>`. */
  readonly name: string;
  readonly description: string;
  readonly expression: string;
  readonly enabled: boolean;
  readonly functionArn: string;
}

export interface PipelineSchedulesProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly timezone: string;
  readonly pipeline: { readonly expression: string; readonly enabled: boolean; readonly stateMachineArn: string };
  readonly functions: readonly FunctionScheduleProps[];
}

export class PipelineSchedules extends Construct {
  readonly pipeline: SchedulerSchedule;
  readonly functions = new Map<string, SchedulerSchedule>();

  constructor(scope: Construct, id: string, props: PipelineSchedulesProps) {
    super(scope, id);
    // Scheduler assumes the roles on behalf of this account only (confused-deputy protection).
    const trustConditions = { StringEquals: { 'aws:SourceAccount': props.accountId } };

    const pipelineRole = new ServiceRole(this, 'pipeline-role', {
      roleName: `${props.namePrefix}-schedule`,
      description: `Starts the ${props.namePrefix} state machine on its schedule`,
      service: 'scheduler.amazonaws.com',
      trustConditions,
      statements: [allow(['states:StartExecution'], [props.pipeline.stateMachineArn], 'StartThePipeline')],
    });
    this.pipeline = new SchedulerSchedule(this, 'pipeline', {
      name: `${props.namePrefix}-run`,
      description: 'Runs the usage pipeline: drain the queue, rebuild what changed, publish',
      scheduleExpression: props.pipeline.expression,
      scheduleExpressionTimezone: props.timezone,
      state: props.pipeline.enabled ? 'ENABLED' : 'DISABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.pipeline.stateMachineArn,
        roleArn: pipelineRole.role.arn,
        input: '{}',
        // A start that fails is retried for an hour; a later run picks up the rest anyway.
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
      dependsOn: [pipelineRole.policy],
    });

    for (const fn of props.functions) {
      const role = new ServiceRole(this, `${fn.name}-role`, {
        roleName: `${props.namePrefix}-${fn.name}-schedule`,
        description: `Invokes ${props.namePrefix}-${fn.name} on its schedule`,
        service: 'scheduler.amazonaws.com',
        trustConditions,
        statements: [allow(['lambda:InvokeFunction'], [fn.functionArn], 'InvokeTheFunction')],
      });
      this.functions.set(
        fn.name,
        new SchedulerSchedule(this, fn.name, {
          name: `${props.namePrefix}-${fn.name}`,
          description: fn.description,
          scheduleExpression: fn.expression,
          scheduleExpressionTimezone: props.timezone,
          state: fn.enabled ? 'ENABLED' : 'DISABLED',
          flexibleTimeWindow: { mode: 'OFF' },
          target: {
            arn: fn.functionArn,
            roleArn: role.role.arn,
            input: '{}',
            // Never retried: a failed rotation alarms and waits for a person; the monitor runs again soon.
            retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
          },
          dependsOn: [role.policy],
        }),
      );
    }
  }
}
