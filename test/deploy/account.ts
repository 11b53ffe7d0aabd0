/**
 * The account as the AWS APIs show it (in moto): what the Python system left there before the
 * first deploy, and a snapshot of what exists after each step.
 */
import {
  AttachGroupPolicyCommand,
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUsersCommand,
  PutGroupPolicyCommand,
} from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { CreateBucketCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_CONSUMER_GROUP, QUEUE_CONSUMER_POLICY, S3_WRITERS_GROUP, S3_WRITERS_POLICY } from '../../infra/constructs/iam-users.js';
import { REGION } from './deployment.js';
import { MOTO_ACCOUNT_ID } from './moto.js';

export interface Clients {
  readonly iam: IAMClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
  readonly sfn: SFNClient;
}

/** SDK clients for moto at `endpoint`, trusting its certificate (`caBundle`, PEM). */
export function clientsFor(endpoint: string, caBundle?: string): Clients {
  const config = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(caBundle ? { requestHandler: { httpsAgent: new https.Agent({ ca: readFileSync(caBundle), keepAlive: true, maxSockets: 50 }) } } : {}),
  };
  return {
    iam: new IAMClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    secrets: new SecretsManagerClient(config),
    sfn: new SFNClient(config),
  };
}

export const policyArn = (name: string) => `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/${name}`;

/** What the old setup guide had operators make: groups with managed policies attached, plus a few extras of their own. */
export const OLD_SYSTEM = {
  bucket: 'logpublish',
  dailyObject: 'events/prod/20250228',
  user: 'python-drainer',
  /** A policy the operators attached to s3-writers by hand, and an inline one on the queue group. */
  extraPolicy: 'legacy-list-bucket',
  inlinePolicy: 'legacy-inline',
} as const;

const document = (action: string, resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

/** The bucket with a daily object, and the groups (with or without their managed policies) and extras. */
export async function createOldSystem({ iam, s3 }: Clients, options: { withPolicies: boolean }): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: OLD_SYSTEM.bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  await s3.send(new PutObjectCommand({ Bucket: OLD_SYSTEM.bucket, Key: OLD_SYSTEM.dailyObject, Body: '{"timestamp": "2025-02-28T12:00:00+00:00", "channel": "100", "endpoint": "100", "event": "x"}\n' }));
  await iam.send(new CreateUserCommand({ UserName: OLD_SYSTEM.user }));
  for (const group of [S3_WRITERS_GROUP, QUEUE_CONSUMER_GROUP]) {
    await iam.send(new CreateGroupCommand({ GroupName: group }));
    await iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: OLD_SYSTEM.user }));
  }
  if (options.withPolicies) {
    await createAttached(iam, S3_WRITERS_GROUP, S3_WRITERS_POLICY, document('s3:*', `arn:aws:s3:::${OLD_SYSTEM.bucket}/*`));
    await createAttached(iam, QUEUE_CONSUMER_GROUP, QUEUE_CONSUMER_POLICY, document('sqs:*', `arn:aws:sqs:${REGION}:${MOTO_ACCOUNT_ID}:asterisk-events`));
  }
  await createAttached(iam, S3_WRITERS_GROUP, OLD_SYSTEM.extraPolicy, document('s3:ListBucket', `arn:aws:s3:::${OLD_SYSTEM.bucket}`));
  await iam.send(new PutGroupPolicyCommand({ GroupName: QUEUE_CONSUMER_GROUP, PolicyName: OLD_SYSTEM.inlinePolicy, PolicyDocument: document('sqs:ListQueues', '*') }));
}

async function createAttached(iam: IAMClient, group: string, name: string, policyDocument: string): Promise<void> {
  await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: policyDocument }));
  await iam.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn(name) }));
}

/** Detaches and deletes the two managed policies, leaving the groups "with none" of them. */
export async function removeManagedPolicies({ iam }: Clients): Promise<void> {
  for (const [group, name] of [[S3_WRITERS_GROUP, S3_WRITERS_POLICY], [QUEUE_CONSUMER_GROUP, QUEUE_CONSUMER_POLICY]] as const) {
    await iam.send(new DetachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn(name) }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn(name) }));
  }
}

export interface GroupState {
  readonly attached: string[];
  readonly inline: string[];
  readonly members: string[];
}

export interface PolicyState {
  readonly versions: number;
  /** The default version's statements, as `action on resource` strings. */
  readonly grants: string[];
}

export interface AccountSnapshot {
  readonly buckets: string[];
  readonly objects: string[];
  readonly queues: string[];
  readonly secrets: string[];
  readonly stateMachines: string[];
  readonly users: string[];
  readonly groups: Record<string, GroupState>;
  readonly policies: Record<string, PolicyState>;
}

/** Everything the tests look at, in one object (so a failed comparison shows the whole picture). */
export async function snapshot({ iam, s3, sqs, secrets, sfn }: Clients): Promise<AccountSnapshot> {
  const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
  const objects = buckets.includes(OLD_SYSTEM.bucket) ? ((await s3.send(new ListObjectsV2Command({ Bucket: OLD_SYSTEM.bucket }))).Contents ?? []).map((o) => o.Key!).sort() : [];
  const groups: Record<string, GroupState> = {};
  for (const group of (await iam.send(new ListGroupsCommand({}))).Groups ?? []) {
    const name = group.GroupName!;
    groups[name] = {
      attached: ((await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyName!).sort(),
      inline: ((await iam.send(new ListGroupPoliciesCommand({ GroupName: name }))).PolicyNames ?? []).sort(),
      members: ((await iam.send(new GetGroupCommand({ GroupName: name }))).Users ?? []).map((u) => u.UserName!).sort(),
    };
  }
  const policies: Record<string, PolicyState> = {};
  for (const policy of (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? []) {
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policy.Arn! }))).Versions ?? [];
    const current = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn!, VersionId: policy.DefaultVersionId! }));
    const parsed = JSON.parse(decodeURIComponent(current.PolicyVersion!.Document!)) as { Statement: Array<{ Action: string | string[]; Resource: string | string[] }> };
    const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
    policies[policy.PolicyName!] = {
      versions: versions.length,
      grants: parsed.Statement.flatMap((s) => list(s.Action).flatMap((action) => list(s.Resource).map((resource) => `${action} on ${resource}`))).sort(),
    };
  }
  return {
    buckets,
    objects,
    queues: ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((url) => url.split('/').pop()!).sort(),
    secrets: ((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name!).sort(),
    stateMachines: ((await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).map((m) => m.name!).sort(),
    users: ((await iam.send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName!).sort(),
    groups,
    policies,
  };
}
