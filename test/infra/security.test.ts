/**
 * The security properties of ../shared/SECURITY.md, asserted over the synthesized Terraform
 * JSON the way checkov and trivy would read it (neither is installable here): one `describe`
 * per resource type, each rule checked on every resource of that type, for the default
 * configuration and for one with every option set. The rules deliberately not applied are in
 * SKIPPED_RULES below, each with its reason, as `#checkov:skip` comments would carry them.
 */
import { ACTIONS_REQUIRING_WILDCARD_RESOURCE } from '../../infra/iam.js';
import { FUNCTION_SPECS } from '../../functions/config/functions.js';
import {
  EVERY_OPTION,
  list,
  parsePolicy,
  ref,
  referencedName,
  resourcesOf,
  synthesize,
  type Block,
  type PolicyStatement,
  type Synthesized,
  type TerraformJson,
} from './support.js';

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
const ESCALATION_ACTIONS = new Set([
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
const ESCALATION_EXCEPTIONS = [{ action: 'iam:CreateAccessKey', resourceType: 'aws_iam_user', role: 'rotate-secrets' }];

const TRUSTED_SERVICES = ['lambda.amazonaws.com', 'states.amazonaws.com', 'scheduler.amazonaws.com'];

let plain: Synthesized;
let full: Synthesized;
const configurations = () =>
  [
    ['default', plain],
    ['every option', full],
  ] as const;

beforeAll(async () => {
  plain = await synthesize();
  full = await synthesize(EVERY_OPTION);
});

/** Every resource of a type in every configuration, for `it` bodies. */
function each(type: string, check: (resource: Block, name: string, synthesized: Synthesized, label: string) => void): void {
  let seen = 0;
  for (const [label, synthesized] of configurations()) {
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

function identityPolicies(tf: TerraformJson): Array<{ where: string; statements: PolicyStatement[] }> {
  return ['aws_iam_role_policy', 'aws_iam_group_policy', 'aws_iam_user_policy', 'aws_iam_policy'].flatMap((type) =>
    resourcesOf(tf, type).map(([name, policy]) => ({ where: `${type}.${name}`, statements: parsePolicy(policy.policy).Statement })),
  );
}

const isReference = (value: string) => value.includes('${');

describe('the reviewed skip list', () => {
  it('names checkov rules, gives a real reason, and concerns resources the stack has', () => {
    for (const [rule, skip] of Object.entries(SKIPPED_RULES)) {
      expect(rule).toMatch(/^CKV2?_AWS_\d+$/);
      expect(skip.reason.length).toBeGreaterThan(60);
      for (const type of skip.resources) expect(resourcesOf(plain.tf, type).length + resourcesOf(full.tf, type).length).toBeGreaterThan(0);
      for (const name of skip.only ?? []) expect(FUNCTION_SPECS.map((spec) => spec.name)).toContain(name);
    }
  });
});

describe('IAM policies (CKV_AWS_1, 62, 63, 286–290, 355, 356)', () => {
  const allStatements = () => configurations().flatMap(([label, s]) => identityPolicies(s.tf).flatMap(({ where, statements }) => statements.map((statement) => ({ label, where, statement, s }))));

  it('are all Allow statements without NotAction, NotResource or a principal', () => {
    for (const { where, statement } of allStatements()) {
      expect({ where, effect: statement.Effect, notAction: statement.NotAction, notResource: statement.NotResource, principal: statement.Principal }).toEqual({ where, effect: 'Allow', notAction: undefined, notResource: undefined, principal: undefined });
    }
  });

  it('never allow "*" or a whole service ("s3:*"), nor any wildcard action', () => {
    for (const { where, statement } of allStatements()) {
      for (const action of list(statement.Action)) expect({ where, action, wildcard: action.includes('*') }).toEqual({ where, action, wildcard: false });
    }
  });

  it('use Resource "*" only for actions that take no resource', () => {
    for (const { where, statement } of allStatements()) {
      if (!list(statement.Resource).includes('*')) continue;
      expect({ where, resource: list(statement.Resource) }).toEqual({ where, resource: ['*'] });
      for (const action of list(statement.Action)) expect({ where, action, allowed: (ACTIONS_REQUIRING_WILDCARD_RESOURCE as readonly string[]).includes(action) }).toEqual({ where, action, allowed: true });
    }
  });

  it('scope every other resource to one of ours: a wildcard only as the last segment of a named resource', () => {
    for (const { where, statement } of allStatements()) {
      for (const resource of list(statement.Resource).filter((r) => r !== '*')) {
        expect({ where, resource, named: isReference(resource) || resource === EVERY_OPTION.kmsKeyArn }).toEqual({ where, resource, named: true });
        if (resource.includes('*')) expect({ where, resource, trailing: /[^*][/:]\*$/.test(resource) && resource.indexOf('*') === resource.length - 1 }).toEqual({ where, resource, trailing: true });
      }
    }
  });

  it('allow no privilege escalation, except the reviewed key rotation for the GitHub Actions user only', () => {
    for (const { where, statement, s } of allStatements()) {
      for (const action of list(statement.Action).filter((a) => ESCALATION_ACTIONS.has(a))) {
        const exception = ESCALATION_EXCEPTIONS.find((e) => e.action === action);
        expect({ where, action, excepted: Boolean(exception) }).toEqual({ where, action, excepted: true });
        const rotationRole = resourcesOf(s.tf, 'aws_iam_role').find(([, role]) => role.name === `usage-pipeline-${exception!.role}`)![0];
        expect(where).toMatch(new RegExp(`^aws_iam_role_policy\\.functions_${exception!.role}_`));
        expect(rotationRole).toBeTruthy();
        expect(list(statement.Resource)).toEqual([ref('aws_iam_user', resourcesOf(s.tf, exception!.resourceType)[0]![0], 'arn')]);
      }
    }
  });

  it('attach nothing from outside: no role or user attachments, no user policies, groups get only the stack\'s own managed policies', () => {
    for (const [, s] of configurations()) {
      for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_user_policy', 'aws_iam_user_policy_attachment']) {
        expect({ type, count: resourcesOf(s.tf, type).length }).toEqual({ type, count: 0 });
      }
      const ownPolicies = resourcesOf(s.tf, 'aws_iam_policy').map(([name]) => ref('aws_iam_policy', name, 'arn'));
      for (const [name, attachment] of resourcesOf(s.tf, 'aws_iam_group_policy_attachment')) {
        expect({ name, own: ownPolicies.includes(attachment.policy_arn) }).toEqual({ name, own: true });
      }
    }
  });
});

describe('aws_iam_role', () => {
  it('trust one AWS service principal each, nothing else', () => {
    each('aws_iam_role', (role) => {
      const { Statement } = parsePolicy(role.assume_role_policy);
      expect(Statement).toHaveLength(1);
      const [trust] = Statement;
      expect(trust!.Effect).toBe('Allow');
      expect(trust!.Action).toBe('sts:AssumeRole');
      expect(Object.keys(trust!.Principal as object)).toEqual(['Service']);
      expect(TRUSTED_SERVICES).toContain((trust!.Principal as { Service: string }).Service);
      expect(role.inline_policy).toBeUndefined();
      expect(role.managed_policy_arns).toBeUndefined();
    });
  });

  it('that Step Functions and Scheduler assume are bound to this account (confused deputy)', () => {
    each('aws_iam_role', (role) => {
      const [trust] = parsePolicy(role.assume_role_policy).Statement;
      const service = (trust!.Principal as { Service: string }).Service;
      if (service === 'lambda.amazonaws.com') return;
      expect(trust!.Condition?.StringEquals?.['aws:SourceAccount']).toBe('${data.aws_caller_identity.account.account_id}');
    });
  });

  it('are one per function (no shared execution role)', () => {
    for (const [, s] of configurations()) {
      const roles = resourcesOf(s.tf, 'aws_lambda_function').map(([, fn]) => fn.role);
      expect(new Set(roles).size).toBe(roles.length);
    }
  });
});

describe('aws_iam_user', () => {
  it('has no access key, login profile or policy of its own in Terraform', () => {
    each('aws_iam_user', (_user, _name, s) => {
      for (const type of ['aws_iam_access_key', 'aws_iam_user_login_profile', 'aws_iam_user_policy', 'aws_iam_user_policy_attachment']) expect(resourcesOf(s.tf, type)).toEqual([]);
    });
  });
});

describe('aws_s3_bucket (CKV_AWS_19, 20, 21, 53–57, 145, 300; CKV2_AWS_6, 61, 65)', () => {
  const companion = (s: Synthesized, type: string, bucketName: string) => {
    const found = resourcesOf(s.tf, type).filter(([, r]) => r.bucket === ref('aws_s3_bucket', bucketName, 'id'));
    expect({ type, count: found.length }).toEqual({ type, count: 1 });
    return found[0]![1];
  };

  it('blocks public access with all four flags', () => {
    each('aws_s3_bucket', (_b, name, s) => {
      expect(companion(s, 'aws_s3_bucket_public_access_block', name)).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    });
  });

  it('has no ACLs: ownership BucketOwnerEnforced, no acl or website', () => {
    each('aws_s3_bucket', (bucket, name, s) => {
      expect(companion(s, 'aws_s3_bucket_ownership_controls', name).rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
      expect(bucket.acl).toBeUndefined();
      expect(bucket.website).toBeUndefined();
      expect(resourcesOf(s.tf, 'aws_s3_bucket_acl')).toEqual([]);
      expect(resourcesOf(s.tf, 'aws_s3_bucket_website_configuration')).toEqual([]);
    });
  });

  it('encrypts by default, with the configured KMS key when there is one', () => {
    each('aws_s3_bucket', (_b, name, s) => {
      const [rule] = companion(s, 'aws_s3_bucket_server_side_encryption_configuration', name).rule as Block[];
      const byDefault = rule!.apply_server_side_encryption_by_default;
      if (s.config.kmsKeyArn) expect({ byDefault, bucketKey: rule!.bucket_key_enabled }).toEqual({ byDefault: { sse_algorithm: 'aws:kms', kms_master_key_id: s.config.kmsKeyArn }, bucketKey: true });
      else expect(byDefault).toEqual({ sse_algorithm: 'AES256' });
    });
  });

  it('is versioned, with a lifecycle that aborts incomplete uploads and expires old versions', () => {
    each('aws_s3_bucket', (bucket, name, s) => {
      expect(companion(s, 'aws_s3_bucket_versioning', name).versioning_configuration).toEqual({ status: 'Enabled' });
      const rules = companion(s, 'aws_s3_bucket_lifecycle_configuration', name).rule as Block[];
      expect(rules.some((r) => r.status === 'Enabled' && r.abort_incomplete_multipart_upload?.[0]?.days_after_initiation >= 1)).toBe(true);
      expect(rules.some((r) => r.status === 'Enabled' && r.noncurrent_version_expiration?.[0]?.noncurrent_days >= 1)).toBe(true);
      expect(bucket.force_destroy).toBe(false);
    });
  });

  it('denies requests without TLS (CKV_AWS_70), and its policy allows no one', () => {
    each('aws_s3_bucket', (_b, name, s) => {
      const { Statement } = parsePolicy(companion(s, 'aws_s3_bucket_policy', name).policy);
      const arn = ref('aws_s3_bucket', name, 'arn');
      expect(Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(Statement.filter((st) => st.Effect === 'Allow')).toEqual([]);
    });
  });
});

describe('aws_sqs_queue (CKV_AWS_27, 72, 168)', () => {
  const deadLetterTargets = (s: Synthesized) =>
    new Set(resourcesOf(s.tf, 'aws_sqs_queue').flatMap(([, q]) => (q.redrive_policy ? [referencedName(JSON.parse(q.redrive_policy).deadLetterTargetArn)] : [])));

  it('is encrypted: SQS-managed SSE at least, the configured KMS key when there is one', () => {
    each('aws_sqs_queue', (queue, _name, s) => {
      if (s.config.kmsKeyArn) expect(queue.kms_master_key_id).toBe(s.config.kmsKeyArn);
      else expect(queue.sqs_managed_sse_enabled).toBe(true);
    });
  });

  it('has a redrive policy to a DLQ (every queue that is not itself a DLQ), and a DLQ exists', () => {
    for (const [, s] of configurations()) expect(deadLetterTargets(s).size).toBeGreaterThan(0);
    each('aws_sqs_queue', (queue, name, s) => {
      if (deadLetterTargets(s).has(name)) {
        expect(queue.redrive_policy).toBeUndefined();
        return;
      }
      const redrive = JSON.parse(queue.redrive_policy);
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(1);
      const [, dlq] = resourcesOf(s.tf, 'aws_sqs_queue').find(([n]) => n === referencedName(redrive.deadLetterTargetArn))!;
      // A DLQ keeps messages at least as long as its source.
      expect(dlq.message_retention_seconds).toBeGreaterThanOrEqual(queue.message_retention_seconds);
    });
  });

  it('has policies with no sqs:*, no "*" principal, and the SNS principal scoped by aws:SourceArn', () => {
    each('aws_sqs_queue_policy', (policy) => {
      for (const statement of parsePolicy(policy.policy).Statement) {
        expect(list(statement.Action).some((a) => a === '*' || a === 'sqs:*')).toBe(false);
        expect(statement.Principal).not.toBe('*');
        expect(statement.Principal).toEqual({ Service: 'sns.amazonaws.com' });
        expect(statement.Condition?.ArnEquals?.['aws:SourceArn'] ?? statement.Condition?.ArnLike?.['aws:SourceArn']).toBeTruthy();
      }
    });
  });
});

describe('aws_lambda_function (CKV_AWS_45, 50, 115, 116, 173, 363)', () => {
  const nameOf = (fn: Block) => String(fn.function_name).replace(/^usage-pipeline-/, '');
  const SECRET_VALUE = /(ghp_|gho_|ghs_|github_pat_|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|-----BEGIN|xox[bp]-)/;
  const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|ACCESS_KEY|CREDENTIAL)/;

  it('runs a supported runtime: nodejs22.x', () => {
    each('aws_lambda_function', (fn) => expect(fn.runtime).toBe('nodejs22.x'));
  });

  it('is traced with X-Ray (Active)', () => {
    each('aws_lambda_function', (fn) => expect(fn.tracing_config).toEqual({ mode: 'Active' }));
  });

  it('keeps no secret in its environment: secret-looking names hold only a secret\'s ARN', () => {
    each('aws_lambda_function', (fn, _name, s) => {
      for (const [variable, value] of Object.entries((fn.environment?.variables ?? {}) as Record<string, string>)) {
        expect({ variable, looksSecret: SECRET_VALUE.test(value) }).toEqual({ variable, looksSecret: false });
        if (SECRET_NAME.test(variable)) {
          expect(variable).toMatch(/_(ID|ARN)$/);
          expect(value).toBe(ref('aws_secretsmanager_secret', resourcesOf(s.tf, 'aws_secretsmanager_secret')[0]![0], 'arn'));
        }
      }
    });
  });

  it('encrypts its environment with the configured key when there is one', () => {
    each('aws_lambda_function', (fn, _name, s) => {
      if (s.config.kmsKeyArn) expect(fn.kms_key_arn).toBe(s.config.kmsKeyArn);
      else expect(SKIPPED_RULES.CKV_AWS_173!.withoutKmsKeyOnly).toBe(true);
    });
  });

  it('has reserved concurrency, except the reviewed steps', () => {
    each('aws_lambda_function', (fn, _name, s) => {
      const skipped = SKIPPED_RULES.CKV_AWS_115!.only!.includes(nameOf(fn));
      const overriddenAway = (s.config.functions as Record<string, { reservedConcurrency?: number | null } | undefined>)[nameOf(fn)]?.reservedConcurrency === null;
      expect({ fn: nameOf(fn), reserved: fn.reserved_concurrent_executions !== undefined }).toEqual({ fn: nameOf(fn), reserved: !skipped && !overriddenAway });
    });
  });

  it('is never retried when invoked asynchronously (its failures alarm instead of a DLQ)', () => {
    each('aws_lambda_function', (fn, name, s) => {
      const scheduled = FUNCTION_SPECS.find((spec) => spec.name === nameOf(fn))!.schedule !== undefined;
      const configs = resourcesOf(s.tf, 'aws_lambda_function_event_invoke_config').filter(([, c]) => c.function_name === ref('aws_lambda_function', name, 'function_name'));
      if (scheduled) expect(configs.map(([, c]) => c.maximum_retry_attempts)).toEqual([0]);
      else expect(configs).toEqual([]);
    });
  });

  it('writes to its own log group with retention', () => {
    each('aws_lambda_function', (fn, _name, s) => {
      const group = resourcesOf(s.tf, 'aws_cloudwatch_log_group').find(([, g]) => g.name === `/aws/lambda/${fn.function_name}`);
      expect(group?.[1].retention_in_days).toBeGreaterThanOrEqual(1);
      expect(fn.logging_config.log_group).toBe(ref('aws_cloudwatch_log_group', group![0], 'name'));
    });
  });

  it('is invoked only through roles: every resource permission (if any) carries source_arn', () => {
    for (const [, s] of configurations()) {
      for (const [, permission] of resourcesOf(s.tf, 'aws_lambda_permission')) expect(permission.source_arn).toBeTruthy();
      for (const [, url] of resourcesOf(s.tf, 'aws_lambda_function_url')) expect(url.authorization_type).toBe('AWS_IAM');
    }
  });
});

describe('aws_sfn_state_machine (CKV_AWS_284, 285)', () => {
  it('is traced', () => {
    each('aws_sfn_state_machine', (sm) => expect(sm.tracing_configuration).toEqual({ enabled: true }));
  });

  it('logs to a log group, never with execution data (rotated keys must never land there)', () => {
    each('aws_sfn_state_machine', (sm, _name, s) => {
      expect(['ALL', 'ERROR', 'FATAL']).toContain(sm.logging_configuration.level);
      expect(sm.logging_configuration.include_execution_data).toBe(false);
      const group = referencedName(sm.logging_configuration.log_destination);
      expect(resourcesOf(s.tf, 'aws_cloudwatch_log_group').map(([n]) => n)).toContain(group);
    });
  });
});

describe('aws_cloudwatch_log_group (CKV_AWS_66, 338)', () => {
  it('has a retention of at least a year (the default configuration)', () => {
    each('aws_cloudwatch_log_group', (group) => expect(group.retention_in_days).toBeGreaterThanOrEqual(365));
  });
});

describe('aws_sns_topic (CKV_AWS_26)', () => {
  it('is encrypted with a key CloudWatch may use: the configured key, or a customer managed one', () => {
    each('aws_sns_topic', (topic, _name, s) => {
      expect(topic.kms_master_key_id).toBeTruthy();
      // The AWS managed alias/aws/sns key cannot be used by CloudWatch alarms.
      expect(topic.kms_master_key_id).not.toBe('alias/aws/sns');
      if (s.config.kmsKeyArn) expect(topic.kms_master_key_id).toBe(s.config.kmsKeyArn);
      else expect(topic.kms_master_key_id).toBe(ref('aws_kms_key', resourcesOf(s.tf, 'aws_kms_key')[0]![0], 'arn'));
    });
  });

  it('has a policy that lets only this stack\'s alarms publish', () => {
    each('aws_sns_topic_policy', (policy) => {
      for (const statement of parsePolicy(policy.policy).Statement) {
        expect(statement.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
        expect(list(statement.Action)).toEqual(['sns:Publish']);
        expect(statement.Condition?.ArnLike?.['aws:SourceArn']).toMatch(/:alarm:usage-pipeline-\*$/);
        expect(statement.Condition?.StringEquals?.['aws:SourceAccount']).toBeTruthy();
      }
    });
  });
});

describe('aws_kms_key (CKV_AWS_7, 33; CKV2_AWS_64)', () => {
  it('rotates, can be recovered, and has a policy with no "*" principal', () => {
    each('aws_kms_key', (key) => {
      expect(key.enable_key_rotation).toBe(true);
      expect(key.deletion_window_in_days).toBeGreaterThanOrEqual(7);
      for (const statement of parsePolicy(key.policy).Statement) {
        expect(statement.Principal).not.toBe('*');
        expect(JSON.stringify(statement.Principal)).not.toMatch(/"\*"/);
      }
    });
  });
});

describe('aws_secretsmanager_secret', () => {
  it('holds no value in Terraform: no secret version anywhere', () => {
    each('aws_secretsmanager_secret', (secret, _name, s) => {
      expect(resourcesOf(s.tf, 'aws_secretsmanager_secret_version')).toEqual([]);
      // No recovery window on `npm run destroy`: a torn-down deployment leaves no live credential,
      // and the name is free to deploy again (the token itself is revoked or kept on GitHub).
      expect(secret.recovery_window_in_days).toBe(0);
      if (s.config.kmsKeyArn) expect(secret.kms_key_id).toBe(s.config.kmsKeyArn);
    });
  });
});

describe('aws_scheduler_schedule', () => {
  it('starts its target through a role that only the scheduler can assume', () => {
    each('aws_scheduler_schedule', (schedule, _name, s) => {
      const [, role] = resourcesOf(s.tf, 'aws_iam_role').find(([n]) => n === referencedName(schedule.target.role_arn))!;
      expect(parsePolicy(role.assume_role_policy).Statement[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    });
  });
});

describe('outputs', () => {
  it('carry no secret', () => {
    for (const [, s] of configurations()) {
      for (const [name, output] of Object.entries(s.tf.output ?? {})) {
        expect({ name, value: output.value }).not.toEqual({ name, value: expect.stringMatching(/secret_string|secret_version|aws_iam_access_key/) });
      }
    }
  });
});
