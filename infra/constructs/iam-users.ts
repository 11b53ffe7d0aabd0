/**
 * The IAM user GitHub Actions signs in as, and the two groups (the names the Python system's
 * account already uses) that give it object access to the bucket and consumer access to the
 * queue. No access key is created here: keys are minted and retired by the rotation Lambda
 * (or `usage-pipeline rotate-secrets`), so a secret key never lands in Terraform state.
 */
import { Construct } from 'constructs';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group/index.js';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy/index.js';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user/index.js';
import { IamUserGroupMembership } from '@cdktf/provider-aws/lib/iam-user-group-membership/index.js';
import { allow, policyDocument } from '../iam.js';

export const S3_WRITERS_GROUP = 's3-writers';
export const S3_WRITERS_POLICY = 's3-get-put-delete';
export const QUEUE_CONSUMER_GROUP = 'sqs-queue-consumer';
export const QUEUE_CONSUMER_POLICY = 'queue-message-delete';

export interface GithubActionsAccessProps {
  readonly userName: string;
  readonly bucketArn: string;
  readonly queueArn: string;
  readonly kmsKeyArn?: string;
  /** The groups exist already: import them (and their policies) rather than create them. */
  readonly adoptExistingGroups: boolean;
}

export class GithubActionsAccess extends Construct {
  readonly user: IamUser;
  readonly s3Writers: IamGroup;
  readonly queueConsumers: IamGroup;

  constructor(scope: Construct, id: string, props: GithubActionsAccessProps) {
    super(scope, id);
    const kms = props.kmsKeyArn ? [allow(['kms:Decrypt', 'kms:GenerateDataKey'], [props.kmsKeyArn], 'UseTheDeploymentKey')] : [];

    this.s3Writers = new IamGroup(this, 's3-writers', { name: S3_WRITERS_GROUP });
    const s3Policy = new IamGroupPolicy(this, 's3-writers-policy', {
      name: S3_WRITERS_POLICY,
      group: this.s3Writers.name,
      policy: policyDocument([allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${props.bucketArn}/*`], 'ObjectsOfTheBucket'), ...kms]),
    });

    this.queueConsumers = new IamGroup(this, 'queue-consumers', { name: QUEUE_CONSUMER_GROUP });
    // DeleteMessageBatch is authorised by sqs:DeleteMessage. No sqs:ListQueues (the one action
    // here that would need "*"): consumers are given the queue URL.
    const queuePolicy = new IamGroupPolicy(this, 'queue-consumers-policy', {
      name: QUEUE_CONSUMER_POLICY,
      group: this.queueConsumers.name,
      policy: policyDocument([
        allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [props.queueArn], 'ConsumeTheQueue'),
        ...kms,
      ]),
    });

    if (props.adoptExistingGroups) {
      this.s3Writers.importFrom(S3_WRITERS_GROUP);
      s3Policy.importFrom(`${S3_WRITERS_GROUP}:${S3_WRITERS_POLICY}`);
      this.queueConsumers.importFrom(QUEUE_CONSUMER_GROUP);
      queuePolicy.importFrom(`${QUEUE_CONSUMER_GROUP}:${QUEUE_CONSUMER_POLICY}`);
    }

    this.user = new IamUser(this, 'user', {
      name: props.userName,
      // Its access keys are made outside Terraform (by the rotation); they go with the user.
      forceDestroy: true,
    });

    new IamUserGroupMembership(this, 'memberships', {
      user: this.user.name,
      groups: [this.s3Writers.name, this.queueConsumers.name],
    });
  }
}
