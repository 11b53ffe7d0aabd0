/** Synthesizing the stack in tests, and reading the synthesized Terraform JSON back. */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { BUNDLE_FILE, type LambdaBundle } from '../../infra/bundle.js';
import { loadConfig, type InfraConfig } from '../../infra/config.js';
import { FUNCTION_SPECS, type FunctionSpec } from '../../functions/config/functions.js';
import { STACK_NAME, UsagePipelineStack } from '../../infra/stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export type Block = Record<string, Json>;

export interface TerraformJson {
  readonly terraform: Block;
  readonly provider: Record<string, Block[]>;
  readonly resource: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly output?: Record<string, { value: string; description?: string; sensitive?: boolean }>;
  readonly import?: Array<{ id: string; to: string }>;
}

export interface Synthesized {
  /** What the cdktf matchers read. */
  readonly json: string;
  readonly tf: TerraformJson;
  readonly stack: UsagePipelineStack;
  readonly config: InfraConfig;
}

/** Every option set: KMS, an SNS topic in another region, an alarm e-mail, adoption, S3 state. */
export const EVERY_OPTION = {
  kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:asterisk-events',
  alarmEmail: 'ops@example.org',
  adoptExisting: { bucket: true, iamGroups: true, iamPolicies: true },
  stateBackend: { bucket: 'usage-pipeline-terraform-state', key: 'usage-pipeline/terraform.tfstate' },
  functions: { drain: { timeoutSeconds: 600 }, publish: { reservedConcurrency: null } },
} as const;

/** The configuration with these overrides and nothing from the environment or a file. */
export function testConfig(overrides: Record<string, unknown> = {}): InfraConfig {
  return loadConfig({ env: {}, cwd: os.tmpdir(), overrides }).config;
}

/** For tests that do not look at the code: a tiny handler per function, written in no time (and always the same bytes and time). */
async function writeStubBundles(specs: readonly FunctionSpec[], outDir: string): Promise<Map<string, LambdaBundle>> {
  const fixedTime = new Date('2020-01-01T00:00:00Z');
  const bundles = await Promise.all(
    specs.map(async (spec): Promise<LambdaBundle> => {
      const directory = path.join(outDir, spec.name);
      const file = path.join(directory, BUNDLE_FILE);
      await mkdir(directory, { recursive: true });
      const text = `export const handler = async () => ({ stub: ${JSON.stringify(spec.name)} });\n`;
      await writeFile(file, text);
      await utimes(file, fixedTime, fixedTime);
      return { name: spec.name, directory, file, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
    }),
  );
  return new Map(bundles.map((bundle) => [bundle.name, bundle]));
}

/** Synthesizes the stack with stub bundles (the stack does not depend on the code's bytes). */
export async function synthesize(overrides: Record<string, unknown> = {}, bundles?: ReadonlyMap<string, LambdaBundle>): Promise<Synthesized> {
  const config = testConfig(overrides);
  const code = bundles ?? (await writeStubBundles(FUNCTION_SPECS, mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-stubs-'))));
  const app = Testing.app();
  const stack = new UsagePipelineStack(app, STACK_NAME, { config, bundles: code });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as TerraformJson, stack, config };
}

/** The stack with the defaults and with every option, synthesized once before a file's tests. */
export function bothConfigurations(): { readonly plain: Synthesized; readonly full: Synthesized } {
  const stacks = {} as { plain: Synthesized; full: Synthesized };
  beforeAll(async () => {
    stacks.plain = await synthesize();
    stacks.full = await synthesize(EVERY_OPTION);
  });
  return stacks;
}

/** The resources of one type, as [logical name, block] pairs. */
export function resourcesOf(tf: TerraformJson, type: string): Array<[string, Block]> {
  return Object.entries(tf.resource[type] ?? {});
}

export function only(tf: TerraformJson, type: string): [string, Block] {
  const all = resourcesOf(tf, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
}

/** `${aws_x.name.attr}` for a resource. */
export function ref(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** The logical name of the resource a reference points at (`${aws_x.NAME.attr}`). */
export function referencedName(reference: string): string | undefined {
  return /^\$\{[a-z0-9_]+\.([A-Za-z0-9_-]+)\.[a-z_]+\}/.exec(reference)?.[1];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { Service?: string | string[]; AWS?: string | string[] };
  NotPrincipal?: Json;
  Action?: string | string[];
  NotAction?: Json;
  Resource?: string | string[];
  NotResource?: Json;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function parsePolicy(text: string): { Version: string; Statement: PolicyStatement[] } {
  const document = JSON.parse(text) as { Version: string; Statement: PolicyStatement | PolicyStatement[] };
  return { Version: document.Version, Statement: Array.isArray(document.Statement) ? document.Statement : [document.Statement] };
}

export const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Statements without Sids, for comparing permissions. */
export const grants = (statements: PolicyStatement[]) =>
  statements.map((s) => ({ Effect: s.Effect, Action: list(s.Action).sort(), Resource: list(s.Resource).sort(), ...(s.Condition ? { Condition: s.Condition } : {}) }));

/** Role name → its inline policy's statements. */
export function rolePolicies(tf: TerraformJson): Map<string, { role: Block; statements: PolicyStatement[] }> {
  const roles = new Map<string, { role: Block; statements: PolicyStatement[] }>();
  for (const [name, role] of resourcesOf(tf, 'aws_iam_role')) roles.set(name, { role, statements: [] });
  for (const [, policy] of resourcesOf(tf, 'aws_iam_role_policy')) {
    const roleName = referencedName(policy.role as string);
    const entry = roleName ? roles.get(roleName) : undefined;
    if (!entry) throw new Error(`role policy for an unknown role ${policy.role}`);
    entry.statements.push(...parsePolicy(policy.policy as string).Statement);
  }
  return roles;
}

/** The function block whose name is `<prefix>-<name>`. */
export function lambdaNamed(tf: TerraformJson, functionName: string): [string, Block] {
  const found = resourcesOf(tf, 'aws_lambda_function').find(([, fn]) => fn.function_name === functionName);
  if (!found) throw new Error(`no function ${functionName}`);
  return found;
}

/** The statements of the role a function runs as. */
export function statementsOfFunction(tf: TerraformJson, functionName: string): PolicyStatement[] {
  const [, fn] = lambdaNamed(tf, functionName);
  const roleName = referencedName(fn.role as string);
  const entry = roleName ? rolePolicies(tf).get(roleName) : undefined;
  if (!entry) throw new Error(`no role for ${functionName}`);
  return entry.statements;
}

/** Replaces Terraform references with plausible literal values, so JSON inside strings parses. */
export function withPlaceholders(text: string): string {
  return text.replace(/\$\{aws_lambda_function\.[^}]+\.arn\}/g, (match) => `arn:aws:lambda:us-west-2:123456789012:function:${referencedName(match)}`).replace(/\$\{[^}]+\}/g, 'placeholder');
}
