/**
 * The IAM user GitHub Actions signs in as, and the two groups (the names the Python system's
 * account already uses) that give it object access to the bucket and consumer access to the
 * queue. No access key is created here: keys are minted and retired by the rotation Lambda
 * (or `usage-pipeline rotate-secrets`), so a secret key never lands in Terraform state.
 *
 * The groups' permissions are customer managed policies attached to them, as the Python
 * system's setup guide has operators create them in the console (`s3-get-put-delete`,
 * `queue-message-delete`): existing ones are adopted by ARN, with their attachments.
 * Attachments are not exclusive: whatever else is attached to a group stays as it is.
 */
import { Construct } from 'constructs';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group/index.js';
import { IamGroupPolicyAttachment } from '@cdktf/provider-aws/lib/iam-group-policy-attachment/index.js';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy/index.js';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user/index.js';
import { IamUserGroupMembership } from '@cdktf/provider-aws/lib/iam-user-group-membership/index.js';
import { allow, policyDocument, type Statement } from '../iam.js';

export const S3_WRITERS_GROUP = 's3-writers';
export const S3_WRITERS_POLICY = 's3-get-put-delete';
export const QUEUE_CONSUMER_GROUP = 'sqs-queue-consumer';
export const QUEUE_CONSUMER_POLICY = 'queue-message-delete';

export interface GithubActionsAccessProps {
  readonly userName: string;
  readonly bucketArn: string;
  readonly queueArn: string;
  readonly kmsKeyArn?: string;
  /** Where the adopted policies' ARNs are: `arn:<partition>:iam::<account>:policy/<name>`. */
  readonly accountId: string;
  readonly partition: string;
  /** The groups exist already: import them rather than create them. */
  readonly adoptExistingGroups: boolean;
  /** The two managed policies exist already, attached to their groups: import both. */
  readonly adoptExistingPolicies: boolean;
}

export interface GroupWithPolicy {
  readonly group: IamGroup;
  readonly policy: IamPolicy;
  readonly attachment: IamGroupPolicyAttachment;
}

type Adoption = Pick<GithubActionsAccessProps, 'accountId' | 'partition' | 'adoptExistingGroups' | 'adoptExistingPolicies'>;

/** One group with one managed policy attached (logical ids `<id>`, `<id>-policy`, `<id>-attachment`). */
function groupWithPolicy(scope: Construct, id: string, props: { groupName: string; policyName: string; statements: readonly Statement[] } & Adoption): GroupWithPolicy {
  const group = new IamGroup(scope, id, { name: props.groupName });
  // No description: IAM cannot change one, so an adopted policy's would force a replacement.
  const policy = new IamPolicy(scope, `${id}-policy`, { name: props.policyName, path: '/', policy: policyDocument(props.statements) });
  const attachment = new IamGroupPolicyAttachment(scope, `${id}-attachment`, { group: group.name, policyArn: policy.arn });

  if (props.adoptExistingGroups) group.importFrom(props.groupName);
  if (props.adoptExistingPolicies) {
    const arn = `arn:${props.partition}:iam::${props.accountId}:policy/${props.policyName}`;
    policy.importFrom(arn);
    attachment.importFrom(`${props.groupName}/${arn}`);
  }
  return { group, policy, attachment };
}

export class GithubActionsAccess extends Construct {
  readonly user: IamUser;
  readonly s3Writers: GroupWithPolicy;
  readonly queueConsumers: GroupWithPolicy;

  constructor(scope: Construct, id: string, props: GithubActionsAccessProps) {
    super(scope, id);
    const kms = props.kmsKeyArn ? [allow(['kms:Decrypt', 'kms:GenerateDataKey'], [props.kmsKeyArn], 'UseTheDeploymentKey')] : [];
    const adoption: Adoption = { accountId: props.accountId, partition: props.partition, adoptExistingGroups: props.adoptExistingGroups, adoptExistingPolicies: props.adoptExistingPolicies };

    this.s3Writers = groupWithPolicy(this, 's3-writers', {
      groupName: S3_WRITERS_GROUP,
      policyName: S3_WRITERS_POLICY,
      statements: [allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${props.bucketArn}/*`], 'ObjectsOfTheBucket'), ...kms],
      ...adoption,
    });

    // DeleteMessageBatch is authorised by sqs:DeleteMessage. No sqs:ListQueues (the one action
    // here that would need "*"): consumers are given the queue URL.
    this.queueConsumers = groupWithPolicy(this, 'queue-consumers', {
      groupName: QUEUE_CONSUMER_GROUP,
      policyName: QUEUE_CONSUMER_POLICY,
      statements: [allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [props.queueArn], 'ConsumeTheQueue'), ...kms],
      ...adoption,
    });

    this.user = new IamUser(this, 'user', {
      name: props.userName,
      // Its access keys are made outside Terraform (by the rotation); they go with the user.
      forceDestroy: true,
    });

    new IamUserGroupMembership(this, 'memberships', {
      user: this.user.name,
      groups: [this.s3Writers.group.name, this.queueConsumers.group.name],
    });
  }
}
