/**
 * `npm run destroy [-- --auto-approve] [--output DIR]`: tears the deployment down but keeps the bucket and
 * whatever the configuration adopted.
 *
 * The bucket holds the only copy of the event history, so it and its settings (versioning,
 * encryption, public access block, TLS-only policy, lifecycle) are first removed from the
 * Terraform state — left in AWS exactly as they are — and everything else is destroyed.
 * Destroying the settings resources would otherwise suspend versioning and drop the policy on
 * a bucket that stays. Adopted resources (`adoptExisting`: the Python system's groups and
 * their policies, which it still uses until the migration is over) are kept the same way: the
 * synthesized configuration's `import` blocks name them. To deploy again over what was kept,
 * set `adoptExisting` (the bucket always; the groups and policies if they were adopted).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from './bundle.js';
import { STACK_NAME } from './stack.js';
import { describeProviderSource, terraformEnvironment } from './terraform-cli.js';

/** Resource types that outlive `destroy`: the bucket and its configuration. */
export const RETAINED_TYPES = [
  'aws_s3_bucket',
  'aws_s3_bucket_versioning',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_policy',
] as const;

/** The addresses a synthesized configuration (`cdk.tf.json`) imports: what it adopts. */
export function adoptedAddresses(configuration: { import?: ReadonlyArray<{ to: string }> }): string[] {
  return (configuration.import ?? []).map((block) => block.to);
}

/** The addresses of `terraform state list` that destroy keeps: the bucket's, and the adopted ones. */
export function retainedAddresses(stateList: string, adopted: readonly string[] = []): string[] {
  const keep = new Set(adopted);
  return stateList
    .split('\n')
    .map((line) => line.trim())
    .filter((address) => (RETAINED_TYPES as readonly string[]).includes(address.split('.')[0] ?? '') || keep.has(address));
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with status ${result.status}`);
  return typeof result.stdout === 'string' ? result.stdout : '';
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'auto-approve': { type: 'boolean', default: false }, output: { type: 'string', default: 'cdktf.out' } } });
  const autoApprove = values['auto-approve'];
  // The synthesized output (cdktf synth --output): where the stack and its local state live.
  const output = path.resolve(PROJECT_ROOT, values.output);
  const stackDir = path.join(output, 'stacks', STACK_NAME);

  console.log('Synthesizing the stack (destroy evaluates the same configuration)…');
  run('npx', ['cdktf', 'synth', '--output', output], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const { env, source } = terraformEnvironment(output);
  console.log(`Providers from ${describeProviderSource(source)}.`);
  const terraform = (args: readonly string[], options: SpawnSyncOptions = {}) => run('terraform', [`-chdir=${stackDir}`, ...args], { env, ...options });
  terraform(['init', '-input=false'], { stdio: 'inherit' });

  const adopted = adoptedAddresses(JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { import?: Array<{ to: string }> });
  const kept = retainedAddresses(terraform(['state', 'list']), adopted);
  console.log('\nKept (removed from the Terraform state, left in AWS as they are):');
  for (const address of kept) console.log(`  ${address}${adopted.includes(address) ? ' (adopted)' : ''}`);
  console.log('Everything else in the stack will be destroyed.');

  if (!autoApprove) {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question(`Type "destroy" to destroy ${STACK_NAME} (what is listed above stays): `);
    prompt.close();
    if (answer.trim() !== 'destroy') {
      console.log('Nothing changed.');
      return;
    }
  }

  if (kept.length > 0) terraform(['state', 'rm', ...kept], { stdio: 'inherit' });
  terraform(['destroy', '-input=false', '-auto-approve'], { stdio: 'inherit' });
  console.log('\nDestroyed. What was kept remains; to deploy over it again, set "adoptExisting": {"bucket": true} (and iamGroups / iamPolicies if they were adopted).');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_ROOT, 'infra', 'destroy.ts')) {
  main().catch((error: unknown) => {
    console.error(`usage-pipeline destroy: ${(error as Error).message}`);
    process.exit(1);
  });
}
