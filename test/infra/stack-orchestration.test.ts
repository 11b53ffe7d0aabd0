/**
 * What the synthesized stack holds, resource by resource (cdktf's matchers, Terraform's
 * snake_case names): the state machine, its schedules and the alarms. The code is stubbed here;
 * test/infra/terraform.test.ts bundles the real functions and validates the result with Terraform.
 */
import aslValidator from 'asl-validator';
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest.js';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule/index.js';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { PIPELINE_STEPS } from '../../functions/config/functions.js';
import { STATE_OF_STEP } from '../../workflows/pipeline.js';
import { SERVICE_NAMES } from '../../functions/config/environment.js';
import {
  EVERY_OPTION,
  grants,
  lambdaNamed,
  list,
  only,
  parsePolicy,
  ref,
  referencedName,
  resourcesOf,
  rolePolicies,
  synthesize,
  withPlaceholders,
  type Block,
  type Synthesized,
  bothConfigurations,
} from './support.js';

Testing.setupJest();

const stacks = bothConfigurations();

describe('state machine', () => {
  const definitionOf = (s: Synthesized) => JSON.parse(withPlaceholders(only(s.tf, 'aws_sfn_state_machine')[1].definition)) as Block;

  it('is the workflows/pipeline.ts definition, valid ASL, with each task on its own function', () => {
    const definition = definitionOf(stacks.plain);
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
      const [logical] = lambdaNamed(stacks.plain.tf, `usage-pipeline-${step}`);
      expect(taskResources.get(STATE_OF_STEP[step])).toBe(`arn:aws:lambda:us-west-2:123456789012:function:${logical}`);
    }
    expect(definition.TimeoutSeconds).toBe(3600);
    // Tasks may run as long as the longest function.
    expect(definition.States.Finalize.TimeoutSeconds).toBe(900);
  });

  it('logs without execution data to a log group with retention, and is traced', () => {
    const [logGroup] = resourcesOf(stacks.plain.tf, 'aws_cloudwatch_log_group').find(([, group]) => group.name === '/aws/vendedlogs/states/usage-pipeline')!;
    expect(stacks.plain.json).toHaveResourceWithProperties(SfnStateMachine, {
      name: 'usage-pipeline',
      type: 'STANDARD',
      logging_configuration: { level: 'ALL', include_execution_data: false, log_destination: `${ref('aws_cloudwatch_log_group', logGroup, 'arn')}:*` },
      tracing_configuration: { enabled: true },
    });
  });

  it('may invoke exactly the pipeline step functions', () => {
    const [, sm] = only(stacks.plain.tf, 'aws_sfn_state_machine');
    const entry = rolePolicies(stacks.plain.tf).get(referencedName(sm.role_arn)!)!;
    const invoke = entry.statements.filter((s) => list(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(list(invoke[0]!.Resource).sort()).toEqual(PIPELINE_STEPS.map((step) => ref('aws_lambda_function', lambdaNamed(stacks.plain.tf, `usage-pipeline-${step}`)[0], 'arn')).sort());
    const trust = parsePolicy(entry.role.assume_role_policy).Statement[0]!;
    expect(trust.Principal).toEqual({ Service: 'states.amazonaws.com' });
    expect(trust.Condition?.StringEquals?.['aws:SourceAccount']).toBe('${data.aws_caller_identity.account.account_id}');
  });
});

describe('schedules', () => {
  const schedule = (name: string) => resourcesOf(stacks.plain.tf, 'aws_scheduler_schedule').find(([, s]) => s.name === name)![1];

  it('starts the state machine every 4 hours with input {}, through a role that may start only it', () => {
    const smArn = ref('aws_sfn_state_machine', only(stacks.plain.tf, 'aws_sfn_state_machine')[0], 'arn');
    expect(stacks.plain.json).toHaveResourceWithProperties(SchedulerSchedule, {
      name: 'usage-pipeline-run',
      schedule_expression: 'rate(4 hours)',
      state: 'ENABLED',
      flexible_time_window: { mode: 'OFF' },
      target: expect.objectContaining({ arn: smArn, input: '{}' }),
    });
    const role = rolePolicies(stacks.plain.tf).get(referencedName(schedule('usage-pipeline-run').target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [smArn] }]);
    expect(parsePolicy(role.role.assume_role_policy).Statement[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  });

  it('invokes the monitor every 15 minutes, through a role that may invoke only it', () => {
    const monitor = schedule('usage-pipeline-monitor');
    const fnArn = ref('aws_lambda_function', lambdaNamed(stacks.plain.tf, 'usage-pipeline-monitor')[0], 'arn');
    expect(monitor.schedule_expression).toBe('rate(15 minutes)');
    expect(monitor.target).toMatchObject({ arn: fnArn, input: '{}' });
    const role = rolePolicies(stacks.plain.tf).get(referencedName(monitor.target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn] }]);
    expect(resourcesOf(stacks.plain.tf, 'aws_scheduler_schedule').map(([, s]) => s.name).sort()).toEqual(['usage-pipeline-monitor', 'usage-pipeline-rotate-secrets', 'usage-pipeline-run']);
  });

  it('invokes the rotation monthly, through a role that may invoke only it', () => {
    const rotation = schedule('usage-pipeline-rotate-secrets');
    const fnArn = ref('aws_lambda_function', lambdaNamed(stacks.plain.tf, 'usage-pipeline-rotate-secrets')[0], 'arn');
    expect(rotation.schedule_expression).toBe('cron(0 16 1 * ? *)');
    expect(rotation.target).toMatchObject({ arn: fnArn, input: '{}', retry_policy: { maximum_retry_attempts: 0 } });
    const role = rolePolicies(stacks.plain.tf).get(referencedName(rotation.target.role_arn)!)!;
    expect(grants(role.statements)).toEqual([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn] }]);
  });

  it('follows the configuration', async () => {
    const custom = await synthesize({ schedule: 'rate(1 hour)', scheduleEnabled: false });
    expect(custom.json).toHaveResourceWithProperties(SchedulerSchedule, { name: 'usage-pipeline-run', schedule_expression: 'rate(1 hour)', state: 'DISABLED' });
  });
});

describe('alarms', () => {
  const alarm = (s: Synthesized, name: string) => resourcesOf(s.tf, 'aws_cloudwatch_metric_alarm').find(([, a]) => a.alarm_name === name)?.[1];

  it('notifies an encrypted topic, through a key CloudWatch may use', () => {
    const [keyName, key] = only(stacks.plain.tf, 'aws_kms_key');
    expect(stacks.plain.json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(parsePolicy(key.policy).Statement.find((s) => s.Sid === 'CloudWatchAlarmsPublishToTheTopic')?.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(stacks.plain.json).toHaveResourceWithProperties(SnsTopic, { name: 'usage-pipeline-alarms', kms_master_key_id: ref('aws_kms_key', keyName, 'arn') });
    // With a configured key, that key (and no new one).
    expect(stacks.full.json).toHaveResourceWithProperties(SnsTopic, { kms_master_key_id: EVERY_OPTION.kmsKeyArn });
    expect(resourcesOf(stacks.full.tf, 'aws_kms_key')).toEqual([]);
    expect(stacks.full.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: 'email', endpoint: 'ops@example.org' });
    for (const [, a] of resourcesOf(stacks.plain.tf, 'aws_cloudwatch_metric_alarm')) expect(a.alarm_actions).toEqual([ref('aws_sns_topic', only(stacks.plain.tf, 'aws_sns_topic')[0], 'arn')]);
  });

  it('alarms on messages in the DLQ', () => {
    const dlq = resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events-dlq')![0];
    expect(alarm(stacks.plain, 'usage-pipeline-dlq-not-empty')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ref('aws_sqs_queue', dlq, 'name') },
      comparison_operator: 'GreaterThanThreshold',
      threshold: 0,
    });
  });

  it('alarms on failed and timed-out executions of this state machine', () => {
    const smArn = ref('aws_sfn_state_machine', only(stacks.plain.tf, 'aws_sfn_state_machine')[0], 'arn');
    for (const [name, metric] of [
      ['usage-pipeline-execution-failed', 'ExecutionsFailed'],
      ['usage-pipeline-execution-timed-out', 'ExecutionsTimedOut'],
    ]) {
      expect(alarm(stacks.plain, name!)).toMatchObject({ namespace: 'AWS/States', metric_name: metric, dimensions: { StateMachineArn: smArn }, threshold: 0, comparison_operator: 'GreaterThanThreshold' });
    }
  });

  it('alarms when the data is older than 6 hours, or its age is not reported', () => {
    // The monitor publishes through Powertools Metrics, which adds its service name as a dimension.
    expect(stacks.plain.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'usage-pipeline-data-stale',
      namespace: 'UsagePipeline',
      metric_name: 'DataAgeSeconds',
      dimensions: { service: SERVICE_NAMES.monitor },
      threshold: 6 * 3600,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'breaching',
    });
    expect(alarm(stacks.plain, 'usage-pipeline-rotation-failed')).toMatchObject({ namespace: 'AWS/Lambda', metric_name: 'Errors' });
  });
});
