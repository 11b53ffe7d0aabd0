/**
 * One deployment of the stack into moto, driven as an operator would: `npm run synth` with a
 * configuration, `terraform init`, `apply`, a second `plan`, `npm run destroy`. Each step
 * either does what it should or throws one message naming the resource and moto's answer.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STACK_NAME } from '../../infra/stack.js';
import { terraformEnvironment } from '../../infra/terraform-cli.js';
import { PROJECT_ROOT } from '../support/tools.js';
import type { Moto } from './moto.js';
import { describeFailure, errorDiagnostics, runProcess, terraformMessages, type ProcessResult, type TerraformMessage } from './terraform-run.js';

export const REGION = 'us-west-2';

export interface Adoption {
  readonly bucket?: boolean;
  readonly iamGroups?: boolean;
  readonly iamPolicies?: boolean;
}

export interface ChangeSummary {
  readonly add: number;
  readonly change: number;
  readonly import: number;
  readonly remove: number;
}

/** The environment of every command: moto's endpoint and dummy keys, nothing of the caller's AWS or usage-pipeline settings. */
export function motoEnvironment(moto: Pick<Moto, 'httpEndpoint'>, work: string, configFile: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(base).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('USAGE_PIPELINE_')));
  const empty = path.join(work, 'empty-aws-config');
  writeFileSync(empty, '');
  return terraformEnvironment(work, {
    ...clean,
    // Every AWS service the provider calls, at moto; keys that exist nowhere else. Plain HTTP:
    // over TLS, moto's development server (werkzeug) now and then loses a response when the
    // machine is busy, and the provider's SDK then retries a create that had succeeded (measured:
    // 3 retries in a run over HTTPS, none over HTTP; twice a failed apply, "EntityAlreadyExists").
    // The provider makes control-plane calls only; the adapters' object calls go over HTTPS.
    AWS_ENDPOINT_URL: moto.httpEndpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    USAGE_PIPELINE_CONFIG: configFile,
    CHECKPOINT_DISABLE: '1',
  }).env;
}

/** Progress on stderr, so a six-minute test shows where it is (and what each step cost). */
export function progress(label: string, text: string): void {
  process.stderr.write(`deploy [${label}] ${text}\n`);
}

export class MotoDeployment {
  readonly output: string;
  readonly stackDir: string;
  private readonly configFile: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly label: string,
    readonly moto: Moto,
    readonly work: string,
  ) {
    mkdirSync(work, { recursive: true });
    this.output = path.join(work, 'cdktf.out');
    mkdirSync(this.output, { recursive: true });
    this.stackDir = path.join(this.output, 'stacks', STACK_NAME);
    this.configFile = path.join(work, 'usage-pipeline.config.json');
    writeFileSync(this.configFile, '{}\n');
    this.env = motoEnvironment(moto, work, this.configFile);
  }

  /** `npm run synth` with this adoption (the rest of the configuration is the defaults). */
  async synth(adopt: Adoption = {}): Promise<void> {
    writeFileSync(this.configFile, `${JSON.stringify({ adoptExisting: { bucket: false, iamGroups: false, iamPolicies: false, ...adopt } }, null, 2)}\n`);
    await this.step(`synth ${JSON.stringify(adopt)}`, 'npm', ['run', 'synth', '--', '--output', this.output], { cwd: PROJECT_ROOT, timeoutMs: 300_000 });
  }

  async init(): Promise<void> {
    await this.terraform('init', ['init', '-input=false', '-no-color'], 300_000);
  }

  /** `terraform apply`: what it did, from its change summary. */
  async apply(): Promise<ChangeSummary> {
    const result = await this.terraform('apply', ['apply', '-auto-approve', '-input=false', '-json'], 900_000, true);
    return changeSummary(terraformMessages(result.stdout), 'apply');
  }

  /** `terraform plan -detailed-exitcode` must find nothing to do; otherwise the changes are named. */
  async expectEmptyPlan(): Promise<void> {
    const planFile = path.join(this.work, 'second.tfplan');
    const since = this.moto.answers.length;
    const result = await runProcess('terraform', [`-chdir=${this.stackDir}`, 'plan', '-detailed-exitcode', '-input=false', '-json', `-out=${planFile}`], { cwd: this.work, env: this.env, timeoutMs: 300_000 });
    progress(this.label, `plan: exit status ${result.status} in ${result.seconds} s`);
    if (result.status === 0) return;
    if (result.status !== 2) throw new Error(describeFailure({ step: `${this.label}: second plan`, result, motoAnswers: this.moto.describeAnswers(since), json: true }));
    const shown = await runProcess('terraform', [`-chdir=${this.stackDir}`, 'show', '-json', planFile], { cwd: this.work, env: this.env, timeoutMs: 120_000 });
    throw new Error(`${this.label}: the second plan is not empty (moto forgot or changed something):\n${describePlannedChanges(shown.stdout)}\n${this.moto.describeAnswers(since)}`);
  }

  /** A plan that must fail: its errors, one per line. */
  async failingPlan(): Promise<string[]> {
    const result = await runProcess('terraform', [`-chdir=${this.stackDir}`, 'plan', '-input=false', '-json'], { cwd: this.work, env: this.env, timeoutMs: 300_000 });
    if (result.status === 0 || result.status === 2) throw new Error(`${this.label}: the plan was expected to fail, and succeeded`);
    return errorDiagnostics(terraformMessages(result.stdout));
  }

  async outputs(): Promise<Record<string, string>> {
    const result = await this.terraform('output', ['output', '-json'], 60_000);
    const parsed = JSON.parse(result.stdout) as Record<string, { value: string }>;
    return Object.fromEntries(Object.entries(parsed).map(([name, { value }]) => [name, value]));
  }

  /** `npm run destroy -- --auto-approve`: the addresses it kept (it lists them before destroying). */
  async destroy(): Promise<string[]> {
    const result = await this.step('npm run destroy', 'npm', ['run', 'destroy', '--', '--auto-approve', '--output', this.output], { cwd: PROJECT_ROOT, timeoutMs: 900_000 });
    const list = /Kept \(removed from the Terraform state[^\n]*\n((?: {2}\S[^\n]*\n)*)/.exec(result.stdout)?.[1] ?? '';
    return list
      .split('\n')
      .map((line) => line.trim().split(' ')[0] ?? '')
      .filter(Boolean);
  }

  private async terraform(name: string, args: readonly string[], timeoutMs: number, json = false): Promise<ProcessResult> {
    return this.step(name, 'terraform', [`-chdir=${this.stackDir}`, ...args], { cwd: this.work, timeoutMs }, json);
  }

  private async step(name: string, command: string, args: readonly string[], options: { cwd: string; timeoutMs: number }, json = false): Promise<ProcessResult> {
    const since = this.moto.answers.length;
    const result = await runProcess(command, args, { ...options, env: this.env });
    progress(this.label, `${name}: exit status ${result.status} in ${result.seconds} s`);
    if (result.status !== 0) throw new Error(describeFailure({ step: `${this.label}: ${name}`, result, motoAnswers: this.moto.describeAnswers(since), json }));
    return result;
  }
}

function changeSummary(messages: readonly TerraformMessage[], operation: string): ChangeSummary {
  const summary = messages.find((m) => m.type === 'change_summary' && m.changes?.operation === operation)?.changes;
  if (!summary) throw new Error(`terraform ${operation} printed no change summary`);
  return { add: summary.add, change: summary.change, import: summary.import, remove: summary.remove };
}

interface PlannedResourceChange {
  address: string;
  change: { actions: string[]; before?: Record<string, unknown> | null; after?: Record<string, unknown> | null };
}

/** `address: update (attribute, …)` for each change in `terraform show -json` of a plan. */
export function describePlannedChanges(showJson: string): string {
  const plan = JSON.parse(showJson) as { resource_changes?: PlannedResourceChange[] };
  const lines = (plan.resource_changes ?? [])
    .filter(({ change }) => !change.actions.every((action) => action === 'no-op' || action === 'read'))
    .map(({ address, change }) => {
      const before = change.before ?? {};
      const after = change.after ?? {};
      const attributes = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
      return `  ${address}: ${change.actions.join('+')}${change.actions.includes('update') ? ` (${attributes.join(', ')})` : ''}`;
    });
  return lines.join('\n');
}

/**
 * What `npm run synth` could leave in the work tree: the bytes of cdktf.json (where cdktf writes
 * a projectId) and the files git sees as untracked. Edits elsewhere, made while the test runs,
 * do not count. Undefined outside a git work tree.
 */
export function synthFootprint(): string | undefined {
  try {
    const untracked = execFileSync('git', ['-C', PROJECT_ROOT, 'ls-files', '--others', '--exclude-standard'], { encoding: 'utf8' });
    return `cdktf.json:\n${readFileSync(path.join(PROJECT_ROOT, 'cdktf.json'), 'utf8')}\nuntracked:\n${untracked}`;
  } catch {
    return undefined;
  }
}
