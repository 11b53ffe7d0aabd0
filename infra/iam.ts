/**
 * IAM policy documents as plain JSON (with Terraform references inside strings), so the
 * synthesized configuration carries each policy exactly as AWS will see it and the security
 * tests can read it back.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';

export type Principal = { Service: string | string[] } | { AWS: string | string[] };
export type Conditions = Record<string, Record<string, string | string[]>>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Principal | '*';
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Conditions;
}

export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export function allow(actions: readonly string[], resources: readonly string[], sid?: string, condition?: Conditions): Statement {
  return { ...(sid ? { Sid: sid } : {}), Effect: 'Allow', Action: [...actions], Resource: [...resources], ...(condition ? { Condition: condition } : {}) };
}

/**
 * Actions that take no resource ARN: AWS only accepts `"Resource": "*"` for them. The
 * security tests allow `*` for exactly these.
 */
export const ACTIONS_REQUIRING_WILDCARD_RESOURCE = [
  // X-Ray (the Lambda and Step Functions tracing agents).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions' vended log delivery to CloudWatch Logs.
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

export const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];

export interface ServiceRoleProps {
  readonly roleName: string;
  readonly description: string;
  /** The service principal allowed to assume the role (`lambda.amazonaws.com`, …). */
  readonly service: string;
  /** Confused-deputy protection where the service supports it (aws:SourceAccount, aws:SourceArn). */
  readonly trustConditions?: Conditions;
  readonly statements: readonly Statement[];
}

/** A role one AWS service assumes, with one inline policy: nothing attached from outside. */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: props.service },
          Action: 'sts:AssumeRole',
          ...(props.trustConditions ? { Condition: props.trustConditions } : {}),
        },
      ]),
      maxSessionDuration: 3600,
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: 'least-privilege',
      role: this.role.id,
      policy: policyDocument(props.statements),
    });
  }
}
