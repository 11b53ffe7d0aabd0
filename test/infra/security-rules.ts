/**
 * The security rules the synthesized stack is held to (../shared/SECURITY.md), shared by the
 * security tests: the rules deliberately not applied, each with its reason (as `#checkov:skip`
 * comments would carry them), the actions that count as privilege escalation, and a way to check
 * a rule on every resource of a type in every configuration.
 */
import { bothConfigurations, parsePolicy, resourcesOf, type Block, type PolicyStatement, type Synthesized, type TerraformJson } from './support.js';

interface SkippedRule {
  /** The resource types the rule would apply to. */
  readonly resources: readonly string[];
  /** Only these (function names), where the rule is skipped for some resources of a type. */
  readonly only?: readonly string[];
  /** Only in the configuration without a KMS key (the rule holds when one is configured). */
  readonly withoutKmsKeyOnly?: boolean;
  readonly reason: string;
}

/** Reviewed: rules of checkov (trivy) this stack does not satisfy, and why. */
export const SKIPPED_RULES: Readonly<Record<string, SkippedRule>> = {
  CKV_AWS_18: {
    resources: ['aws_s3_bucket'],
    reason: 'S3 server access logs would need a second bucket; CloudTrail data events are the audit trail if one is wanted, and every writer is one of our own roles.',
  },
  CKV_AWS_144: {
    resources: ['aws_s3_bucket'],
    reason: 'No cross-region replication: the published branch on GitHub is a second copy of everything the site shows, and versioning covers mistakes.',
  },
  CKV2_AWS_62: {
    resources: ['aws_s3_bucket'],
    reason: 'No S3 event notifications: the pipeline is driven by its schedule and the queue, not by object events.',
  },
  CKV_AWS_145: {
    resources: ['aws_s3_bucket'],
    withoutKmsKeyOnly: true,
    reason: 'SSE-S3 (AES256) by default: single-part ETags stay the MD5 the site mirror compares to skip unchanged writes, and no key policy to manage. Set kmsKeyArn for SSE-KMS.',
  },
  CKV_AWS_117: {
    resources: ['aws_lambda_function'],
    reason: 'Not in a VPC: the functions reach only AWS APIs and api.github.com; a VPC would add NAT cost and no protection.',
  },
  CKV_AWS_272: {
    resources: ['aws_lambda_function'],
    reason: 'No code signing: code is built and deployed by the same pipeline from the lock file; there is no third-party artifact to verify.',
  },
  CKV_AWS_116: {
    resources: ['aws_lambda_function'],
    reason:
      'No Lambda DLQ: the pipeline steps are invoked synchronously by Step Functions (Retry/Catch, then RecordFailure); the scheduled functions are never retried and alarm (rotation-failed, data-stale) instead, and their input is {}.',
  },
  CKV_AWS_115: {
    resources: ['aws_lambda_function'],
    only: ['begin-run', 'list-staged', 'merge-month', 'detect-changes', 'build-month', 'finalize', 'finish-run', 'record-failure'],
    reason:
      'No reserved concurrency for these steps: runs are serialised by the lock and the Maps by MaxConcurrency; a reservation would take from the account pool (and fails outright on accounts with a low quota).',
  },
  CKV_AWS_173: {
    resources: ['aws_lambda_function'],
    withoutKmsKeyOnly: true,
    reason: 'Environments hold names and ARNs only, no secret (asserted below); Lambda encrypts them at rest with its own key. With kmsKeyArn set, that key is used.',
  },
  CKV_AWS_158: {
    resources: ['aws_cloudwatch_log_group'],
    reason: 'Log groups use CloudWatch encryption: the logs hold no secrets (no execution data, redacted rotation facts), and a CMK would need a key policy for the logs service.',
  },
  CKV_AWS_149: {
    resources: ['aws_secretsmanager_secret'],
    withoutKmsKeyOnly: true,
    reason: 'The token secret uses the Secrets Manager key of the account unless kmsKeyArn is set; only three roles may read it.',
  },
  CKV2_AWS_57: {
    resources: ['aws_secretsmanager_secret'],
    reason: 'No Secrets Manager rotation: a GitHub token cannot be rotated by a rotation Lambda; it is a fine-grained token with an expiry, replaced by hand (README).',
  },
  CKV_AWS_273: {
    resources: ['aws_iam_user'],
    reason: 'An IAM user rather than SSO: GitHub Actions needs an access key (the existing workflows read AWS_ACCESS_KEY_ID); the key is never in state and is rotated monthly.',
  },
  CKV_AWS_109: {
    resources: ['aws_kms_key'],
    reason: 'Key policy: the account root statement with kms:* and Resource "*" is the AWS default that hands key management to IAM; without it the key becomes unmanageable. In a key policy "*" means this key.',
  },
  CKV_AWS_111: {
    resources: ['aws_kms_key'],
    reason: 'Key policy: Resource "*" in a key policy is the key itself, and the CloudWatch statement is limited to Decrypt/GenerateDataKey* for publishing alarms.',
  },
  CKV_AWS_297: {
    resources: ['aws_scheduler_schedule'],
    reason: 'Schedules use the AWS-owned key: their only input is {}; a CMK would need a key policy for the scheduler.',
  },
};

/** Privilege escalation, credentials exposure and permissions management (CKV_AWS_286–290). */
export const ESCALATION_ACTIONS = new Set([
  'iam:PassRole',
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:AttachUserPolicy',
  'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy',
  'iam:PutUserPolicy',
  'iam:PutGroupPolicy',
  'iam:PutRolePolicy',
  'iam:AddUserToGroup',
  'iam:UpdateAssumeRolePolicy',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:CreateAccessKey',
  'iam:CreateRole',
  'iam:CreateUser',
  'sts:AssumeRole',
  'lambda:CreateFunction',
  'lambda:UpdateFunctionCode',
  'lambda:UpdateFunctionConfiguration',
  'lambda:AddPermission',
  'states:CreateStateMachine',
  'states:UpdateStateMachine',
  'secretsmanager:PutSecretValue',
  'kms:PutKeyPolicy',
]);

/** Reviewed: the rotation may mint keys, for exactly the GitHub Actions user, which can only reach the bucket and queue. */
export const ESCALATION_EXCEPTIONS = [{ action: 'iam:CreateAccessKey', resourceType: 'aws_iam_user', role: 'rotate-secrets' }];

export const TRUSTED_SERVICES = ['lambda.amazonaws.com', 'states.amazonaws.com', 'scheduler.amazonaws.com'];

/** The configurations every rule is checked in, by label. */
export type Configurations = ReadonlyArray<readonly [string, Synthesized]>;

/** Every resource of a type in every configuration, for `it` bodies; a type no configuration has fails (the rule would check nothing). */
export function eachResource(configurations: Configurations, type: string, check: (resource: Block, name: string, synthesized: Synthesized, label: string) => void): void {
  let seen = 0;
  for (const [label, synthesized] of configurations) {
    for (const [name, resource] of resourcesOf(synthesized.tf, type)) {
      seen++;
      try {
        check(resource, name, synthesized, label);
      } catch (error) {
        (error as Error).message = `${type}.${name} (${label} configuration): ${(error as Error).message}`;
        throw error;
      }
    }
  }
  if (seen === 0) throw new Error(`no ${type} in any configuration: is the rule still needed?`);
}

export function identityPolicies(tf: TerraformJson): Array<{ where: string; statements: PolicyStatement[] }> {
  return ['aws_iam_role_policy', 'aws_iam_group_policy', 'aws_iam_user_policy', 'aws_iam_policy'].flatMap((type) =>
    resourcesOf(tf, type).map(([name, policy]) => ({ where: `${type}.${name}`, statements: parsePolicy(policy.policy).Statement })),
  );
}

export const isReference = (value: string) => value.includes('${');

/** Both synthesized configurations (synthesized before the file's tests), labelled, and `each` over them. */
export function securityConfigurations(): { configurations: () => Configurations; each: (type: string, check: Parameters<typeof eachResource>[2]) => void } {
  const stacks = bothConfigurations();
  const configurations = (): Configurations => [
    ['default', stacks.plain],
    ['every option', stacks.full],
  ];
  return { configurations, each: (type, check) => eachResource(configurations(), type, check) };
}
