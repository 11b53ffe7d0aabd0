/**
 * What the synthesized stack holds, resource by resource (cdktf's matchers, Terraform's
 * snake_case names): the stack's settings, the GitHub Actions user and its groups, the token secret, the outputs and what tear-down keeps. The code is stubbed here;
 * test/infra/terraform.test.ts bundles the real functions and validates the result with Terraform.
 */
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest.js';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group/index.js';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user/index.js';
import { IamUserGroupMembership } from '@cdktf/provider-aws/lib/iam-user-group-membership/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { adoptedAddresses, RETAINED_TYPES, retainedAddresses } from '../../infra/destroy.js';
import {
  EVERY_OPTION,
  grants,
  only,
  parsePolicy,
  ref,
  referencedName,
  resourcesOf,
  synthesize,
  type Synthesized,
  bothConfigurations,
} from './support.js';

Testing.setupJest();

const stacks = bothConfigurations();

describe('provider and Terraform settings', () => {
  it('pins the AWS provider to the release the prebuilt binding targets, in the configured region', () => {
    expect(stacks.plain.tf.terraform.required_providers).toEqual({ aws: { source: 'hashicorp/aws', version: '5.100.0' } });
    expect(stacks.plain.json).toHaveProviderWithProperties(AwsProvider, { region: 'us-west-2' });
    expect(stacks.plain.tf.terraform.backend).toEqual({ local: { path: '../../../terraform.usage-pipeline.tfstate' } });
  });

  it('keeps state in S3 with native locking when a state bucket is configured', () => {
    expect(stacks.full.tf.terraform.backend).toEqual({
      s3: { bucket: 'usage-pipeline-terraform-state', key: 'usage-pipeline/terraform.tfstate', region: 'us-west-2', encrypt: true, use_lockfile: true },
    });
  });
});

describe('IAM groups and the GitHub Actions user', () => {
  const bucketArn = () => ref('aws_s3_bucket', only(stacks.plain.tf, 'aws_s3_bucket')[0], 'arn');
  const queueArn = () => ref('aws_sqs_queue', resourcesOf(stacks.plain.tf, 'aws_sqs_queue').find(([, q]) => q.name === 'usage-pipeline-events')![0], 'arn');
  const managedPolicy = (tf: Synthesized['tf'], name: string) => resourcesOf(tf, 'aws_iam_policy').find(([, p]) => p.name === name)!;
  const groupPolicy = (tf: Synthesized['tf'], name: string) => parsePolicy(managedPolicy(tf, name)[1].policy);
  const groupNamed = (tf: Synthesized['tf'], name: string) => resourcesOf(tf, 'aws_iam_group').find(([, g]) => g.name === name)![0];

  it('has s3-writers with s3-get-put-delete: object actions on the bucket\'s objects only', () => {
    expect(stacks.plain.json).toHaveResourceWithProperties(IamGroup, { name: 's3-writers' });
    const policy = groupPolicy(stacks.plain.tf, 's3-get-put-delete');
    // A managed policy at /, as the old setup guide made it, and no description (IAM cannot change one).
    expect(managedPolicy(stacks.plain.tf, 's3-get-put-delete')[1]).toMatchObject({ path: '/' });
    expect(managedPolicy(stacks.plain.tf, 's3-get-put-delete')[1].description).toBeUndefined();
    expect(grants(policy.Statement)).toEqual([{ Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: [`${bucketArn()}/*`] }]);
  });

  it('has sqs-queue-consumer with queue-message-delete: consumer actions on the queue only', () => {
    expect(stacks.plain.json).toHaveResourceWithProperties(IamGroup, { name: 'sqs-queue-consumer' });
    const policy = groupPolicy(stacks.plain.tf, 'queue-message-delete');
    expect(grants(policy.Statement)).toEqual([
      { Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], Resource: [queueArn()] },
    ]);
  });

  it('attaches each managed policy to its group, and nothing else to any group', () => {
    const attachments = resourcesOf(stacks.plain.tf, 'aws_iam_group_policy_attachment').map(([, a]) => [referencedName(a.group), referencedName(a.policy_arn)]);
    expect(attachments.sort()).toEqual(
      [
        [groupNamed(stacks.plain.tf, 's3-writers'), managedPolicy(stacks.plain.tf, 's3-get-put-delete')[0]],
        [groupNamed(stacks.plain.tf, 'sqs-queue-consumer'), managedPolicy(stacks.plain.tf, 'queue-message-delete')[0]],
      ].sort(),
    );
    for (const tf of [stacks.plain.tf, stacks.full.tf]) expect(resourcesOf(tf, 'aws_iam_group_policy')).toEqual([]);
  });

  it('puts the GitHub Actions user in both groups, and makes no access key', () => {
    expect(stacks.plain.json).toHaveResourceWithProperties(IamUser, { name: 'usage-pipeline-github-actions', force_destroy: true });
    const [, membership] = only(stacks.plain.tf, 'aws_iam_user_group_membership');
    expect(stacks.plain.json).toHaveResourceWithProperties(IamUserGroupMembership, { user: ref('aws_iam_user', only(stacks.plain.tf, 'aws_iam_user')[0], 'name') });
    expect((membership.groups as string[]).map(referencedName).sort()).toEqual(resourcesOf(stacks.plain.tf, 'aws_iam_group').map(([name]) => name).sort());
    for (const tf of [stacks.plain.tf, stacks.full.tf]) {
      expect(resourcesOf(tf, 'aws_iam_access_key')).toEqual([]);
      expect(resourcesOf(tf, 'aws_iam_user_policy')).toEqual([]);
      expect(resourcesOf(tf, 'aws_iam_user_policy_attachment')).toEqual([]);
    }
  });

  it('lets the groups use the configured KMS key', () => {
    for (const name of ['s3-get-put-delete', 'queue-message-delete']) {
      expect(grants(groupPolicy(stacks.full.tf, name).Statement)).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [EVERY_OPTION.kmsKeyArn] });
    }
  });

  it('adopts the bucket, the groups, and the managed policies by ARN with their attachments, each only when asked', async () => {
    const account = '${data.aws_caller_identity.account.account_id}';
    const arn = (name: string) => `arn:\${data.aws_partition.partition.partition}:iam::${account}:policy/${name}`;
    const attachment = (tf: Synthesized['tf'], policy: string) => resourcesOf(tf, 'aws_iam_group_policy_attachment').find(([, a]) => referencedName(a.policy_arn) === managedPolicy(tf, policy)[0])![0];
    expect([...stacks.full.tf.import!].sort((a, b) => a.to.localeCompare(b.to))).toEqual(
      [
        { id: 'logpublish', to: `aws_s3_bucket.${only(stacks.full.tf, 'aws_s3_bucket')[0]}` },
        { id: 's3-writers', to: `aws_iam_group.${groupNamed(stacks.full.tf, 's3-writers')}` },
        { id: 'sqs-queue-consumer', to: `aws_iam_group.${groupNamed(stacks.full.tf, 'sqs-queue-consumer')}` },
        { id: arn('s3-get-put-delete'), to: `aws_iam_policy.${managedPolicy(stacks.full.tf, 's3-get-put-delete')[0]}` },
        { id: arn('queue-message-delete'), to: `aws_iam_policy.${managedPolicy(stacks.full.tf, 'queue-message-delete')[0]}` },
        { id: `s3-writers/${arn('s3-get-put-delete')}`, to: `aws_iam_group_policy_attachment.${attachment(stacks.full.tf, 's3-get-put-delete')}` },
        { id: `sqs-queue-consumer/${arn('queue-message-delete')}`, to: `aws_iam_group_policy_attachment.${attachment(stacks.full.tf, 'queue-message-delete')}` },
      ].sort((a, b) => a.to.localeCompare(b.to)),
    );
    expect(stacks.plain.tf.import).toBeUndefined();
    const groupsOnly = await synthesize({ adoptExisting: { iamGroups: true } });
    expect(groupsOnly.tf.import!.map((block) => block.to.split('.')[0])).toEqual(['aws_iam_group', 'aws_iam_group']);
  });
});

describe('GitHub token secret', () => {
  it('is a secret without a value: no version resource, nothing in state', () => {
    // Deleted at once by `npm run destroy`: no live credential left behind, and the name is free for a re-deploy.
    expect(stacks.plain.json).toHaveResourceWithProperties(SecretsmanagerSecret, { name: 'usage-pipeline/github-token', recovery_window_in_days: 0 });
    expect(stacks.full.json).toHaveResourceWithProperties(SecretsmanagerSecret, { kms_key_id: EVERY_OPTION.kmsKeyArn });
    for (const s of [stacks.plain, stacks.full]) expect(resourcesOf(s.tf, 'aws_secretsmanager_secret_version')).toEqual([]);
  });
});

describe('outputs', () => {
  it('names the queue, bucket, state machine, user, secret and a re-run link', () => {
    const outputs = stacks.plain.tf.output!;
    expect(Object.keys(outputs).sort()).toEqual(
      ['alarm_topic_arn', 'bucket_name', 'dead_letter_queue_url', 'github_actions_user_name', 'github_token_secret_arn', 'queue_url', 'rerun_console_url', 'state_machine_arn'].sort(),
    );
    const sm = only(stacks.plain.tf, 'aws_sfn_state_machine')[0];
    expect(outputs.rerun_console_url!.value).toBe(`https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/statemachines/view/${ref('aws_sfn_state_machine', sm, 'arn')}`);
    expect(outputs.rerun_console_url!.description).toContain('{"day": "YYYY-MM-DD"}');
    expect(outputs.queue_url!.value).toMatch(/^\$\{aws_sqs_queue\..+\.url\}$/);
    expect(outputs.github_token_secret_arn!.value).toMatch(/^\$\{aws_secretsmanager_secret\..+\.arn\}$/);
  });
});

describe('tear-down', () => {
  const stateOf = (tf: Synthesized['tf']) => ['data.aws_caller_identity.account', ...Object.entries(tf.resource).flatMap(([type, all]) => Object.keys(all).map((name) => `${type}.${name}`))].join('\n');

  it('keeps the bucket and every resource that configures it, and nothing else', () => {
    const bucketTypes = Object.keys(stacks.full.tf.resource).filter((type) => type.startsWith('aws_s3_bucket')).sort();
    expect([...RETAINED_TYPES].sort()).toEqual(bucketTypes);
    expect(adoptedAddresses(stacks.plain.tf)).toEqual([]);
    expect(retainedAddresses(stateOf(stacks.plain.tf), adoptedAddresses(stacks.plain.tf)).map((address) => address.split('.')[0]).sort()).toEqual(bucketTypes);
  });

  it('also keeps what the configuration adopted: the groups, their managed policies and attachments', () => {
    const kept = retainedAddresses(stateOf(stacks.full.tf), adoptedAddresses(stacks.full.tf));
    const types = kept.map((address) => address.split('.')[0]!).filter((type) => !(RETAINED_TYPES as readonly string[]).includes(type));
    expect(types.sort()).toEqual(['aws_iam_group', 'aws_iam_group', 'aws_iam_group_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_policy', 'aws_iam_policy']);
    expect(kept).not.toContain(`aws_iam_user.${only(stacks.full.tf, 'aws_iam_user')[0]}`);
  });
});
