/**
 * The security properties of ../shared/SECURITY.md, asserted over the synthesized Terraform
 * JSON the way checkov and trivy would read it (neither is installable here): the data and compute resources. One
 * `describe` per resource type, each rule checked on every resource of that type, for the
 * default configuration and for one with every option set; the rules deliberately not applied
 * are in SKIPPED_RULES (./security-rules.ts), each with its reason.
 */
import { FUNCTION_SPECS } from '../../functions/config/functions.js';
import { list, parsePolicy, ref, referencedName, resourcesOf, type Block, type Synthesized } from './support.js';
import { securityConfigurations, SKIPPED_RULES } from './security-rules.js';

const { configurations, each } = securityConfigurations();

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
