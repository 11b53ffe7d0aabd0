/**
 * How the deploy test reports a failed step: the resource and the service's answer, in a few
 * lines. The samples are Terraform's own output from real failed runs against moto.
 */
import { describePlannedChanges } from './deployment.js';
import { describeFailure, errorDiagnostics, plainTerraformErrors, terraformMessages, unfinishedResources, type ProcessResult } from './terraform-run.js';

const CREATE_SECRET_ERROR =
  'creating Secrets Manager Secret (usage-pipeline/github-token): operation error Secrets Manager: CreateSecret, https response error StatusCode: 400, RequestID: DVQH7r, ResourceExistsException: The operation failed because the secret usage-pipeline/github-token already exists.';

const applyJson = [
  '{"@level":"info","@message":"Terraform 1.11.4","type":"version"}',
  '{"@level":"info","hook":{"resource":{"addr":"aws_secretsmanager_secret.github-token_secret_B8620D4E"},"action":"create"},"type":"apply_start"}',
  '{"@level":"info","hook":{"resource":{"addr":"aws_sqs_queue.queue_140BE0E7"},"action":"create"},"type":"apply_start"}',
  '{"@level":"info","hook":{"resource":{"addr":"aws_iam_group.github-actions_s3-writers_59FDD3F8"},"action":"create"},"type":"apply_start"}',
  '{"@level":"info","hook":{"resource":{"addr":"aws_iam_group.github-actions_s3-writers_59FDD3F8"},"action":"create","elapsed_seconds":0},"type":"apply_complete"}',
  '{"@level":"info","hook":{"resource":{"addr":"aws_secretsmanager_secret.github-token_secret_B8620D4E"},"action":"create"},"type":"apply_errored"}',
  JSON.stringify({ '@level': 'error', type: 'diagnostic', diagnostic: { severity: 'error', summary: CREATE_SECRET_ERROR, detail: '', address: 'aws_secretsmanager_secret.github-token_secret_B8620D4E' } }),
  JSON.stringify({
    '@level': 'error',
    type: 'diagnostic',
    diagnostic: {
      severity: 'error',
      summary: 'Cannot import non-existent remote object',
      detail: 'While attempting to import an existing object to "aws_iam_group.github-actions_s3-writers_59FDD3F8", the provider detected that no object exists with the given id.',
    },
  }),
  '{"@level":"warn","type":"diagnostic","diagnostic":{"severity":"warning","summary":"Argument is deprecated"}}',
].join('\n');

const destroyOutput = [
  'aws_iam_user.github-actions_user_1A2B: Destroying... [id=usage-pipeline-github-actions]',
  '\u001b[31m╷\u001b[0m\u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m\u001b[1m\u001b[31mError: \u001b[0m\u001b[0m\u001b[1mdeleting IAM User (usage-pipeline-github-actions): operation error IAM: ListServiceSpecificCredentials, https response error StatusCode: 404, api error NotImplemented\u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m\u001b[0m  with aws_iam_user.github-actions_user_1A2B,',
  '\u001b[31m│\u001b[0m \u001b[0m  on cdk.tf.json line 1540, in resource.aws_iam_user.github-actions_user_1A2B:',
  '\u001b[31m╵\u001b[0m\u001b[0m',
].join('\n');

const result = (overrides: Partial<ProcessResult>): ProcessResult => ({ status: 1, stdout: '', stderr: '', timedOut: false, seconds: 81.4, ...overrides });

describe('failure reports of the deploy test', () => {
  it('name each failed resource with the error Terraform reports (and the AWS answer in it)', () => {
    expect(errorDiagnostics(terraformMessages(applyJson))).toEqual([
      `aws_secretsmanager_secret.github-token_secret_B8620D4E: ${CREATE_SECRET_ERROR}`,
      'aws_iam_group.github-actions_s3-writers_59FDD3F8: Cannot import non-existent remote object: While attempting to import an existing object to "aws_iam_group.github-actions_s3-writers_59FDD3F8", the provider detected that no object exists with the given id.',
    ]);
  });

  it('read the same out of Terraform\'s human-readable output (npm run destroy)', () => {
    expect(plainTerraformErrors(destroyOutput)).toEqual([
      'aws_iam_user.github-actions_user_1A2B: deleting IAM User (usage-pipeline-github-actions): operation error IAM: ListServiceSpecificCredentials, https response error StatusCode: 404, api error NotImplemented',
    ]);
  });

  it('say what was still in progress when a step timed out', () => {
    expect(unfinishedResources(terraformMessages(applyJson))).toEqual(['aws_sqs_queue.queue_140BE0E7 (create)']);
    const report = describeFailure({ step: 'new-account: apply', result: result({ status: null, timedOut: true, stdout: applyJson }), motoAnswers: "moto's error answers (1 distinct):\n  sqs GetQueueAttributes → 400 InvalidAttributeName: x", json: true });
    expect(report.split('\n')).toEqual([
      'new-account: apply failed (timed out after 81.4 s, 81.4 s)',
      `  aws_secretsmanager_secret.github-token_secret_B8620D4E: ${CREATE_SECRET_ERROR}`,
      expect.stringMatching(/^ {2}aws_iam_group\.github-actions_s3-writers_59FDD3F8: Cannot import/),
      '  still in progress: aws_sqs_queue.queue_140BE0E7 (create)',
      "moto's error answers (1 distinct):",
      '  sqs GetQueueAttributes → 400 InvalidAttributeName: x',
    ]);
  });

  it('fall back to the end of the output when Terraform reported no error of its own', () => {
    const report = describeFailure({ step: 'old-account: synth', result: result({ stderr: 'usage-pipeline: invalid usage-pipeline configuration: adoptExisting.iamPolicies: …\n' }), motoAnswers: 'moto answered no request with an error' });
    expect(report).toBe('old-account: synth failed (exit status 1, 81.4 s)\n  output ends: usage-pipeline: invalid usage-pipeline configuration: adoptExisting.iamPolicies: …\nmoto answered no request with an error');
  });

  it('list the changes of a second plan that is not empty, with the attributes that differ', () => {
    const plan = {
      resource_changes: [
        { address: 'aws_lambda_function.functions_drain_function_3CA1C945', change: { actions: ['update'], before: { logging_config: [{ log_format: 'Text' }], memory_size: 1024 }, after: { logging_config: [{ log_format: 'JSON' }], memory_size: 1024 } } },
        { address: 'aws_sqs_queue.queue_140BE0E7', change: { actions: ['no-op'], before: {}, after: {} } },
        { address: 'aws_kms_key.alarms_topic-key_6C8B50ED', change: { actions: ['delete', 'create'], before: {}, after: {} } },
      ],
    };
    expect(describePlannedChanges(JSON.stringify(plan)).split('\n')).toEqual([
      '  aws_lambda_function.functions_drain_function_3CA1C945: update (logging_config)',
      '  aws_kms_key.alarms_topic-key_6C8B50ED: delete+create',
    ]);
  });
});
