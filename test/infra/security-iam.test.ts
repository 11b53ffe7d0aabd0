/**
 * The security properties of ../shared/SECURITY.md, asserted over the synthesized Terraform
 * JSON the way checkov and trivy would read it (neither is installable here): identities — policies, roles, the user. One
 * `describe` per resource type, each rule checked on every resource of that type, for the
 * default configuration and for one with every option set; the rules deliberately not applied
 * are in SKIPPED_RULES (./security-rules.ts), each with its reason.
 */
import { ACTIONS_REQUIRING_WILDCARD_RESOURCE } from '../../infra/iam.js';
import { FUNCTION_SPECS } from '../../functions/config/functions.js';
import { EVERY_OPTION, list, parsePolicy, ref, resourcesOf } from './support.js';
import { securityConfigurations, ESCALATION_ACTIONS, ESCALATION_EXCEPTIONS, identityPolicies, isReference, SKIPPED_RULES, TRUSTED_SERVICES } from './security-rules.js';

const { configurations, each } = securityConfigurations();

describe('the reviewed skip list', () => {
  it('names checkov rules, gives a real reason, and concerns resources the stack has', () => {
    for (const [rule, skip] of Object.entries(SKIPPED_RULES)) {
      expect(rule).toMatch(/^CKV2?_AWS_\d+$/);
      expect(skip.reason.length).toBeGreaterThan(60);
      for (const type of skip.resources) expect(configurations().reduce((count, [, s]) => count + resourcesOf(s.tf, type).length, 0)).toBeGreaterThan(0);
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
