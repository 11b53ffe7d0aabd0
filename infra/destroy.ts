/**
 * `npm run destroy [-- --auto-approve]`: tears the deployment down but keeps the bucket.
 *
 * The bucket holds the only copy of the event history, so it and its settings (versioning,
 * encryption, public access block, TLS-only policy, lifecycle) are first removed from the
 * Terraform state — left in AWS exactly as they are — and everything else is destroyed.
 * Destroying the settings resources would otherwise suspend versioning and drop the policy on
 * a bucket that stays. To deploy again over the kept bucket, set `adoptExisting.bucket`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { PROJECT_ROOT } from './bundle.js';
import { STACK_NAME } from './stack.js';

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

export function retainedAddresses(stateList: string): string[] {
  return stateList
    .split('\n')
    .map((line) => line.trim())
    .filter((address) => (RETAINED_TYPES as readonly string[]).includes(address.split('.')[0] ?? ''));
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with status ${result.status}`);
  return typeof result.stdout === 'string' ? result.stdout : '';
}

async function main(): Promise<void> {
  const autoApprove = process.argv.includes('--auto-approve');
  const stackDir = path.join(PROJECT_ROOT, 'cdktf.out', 'stacks', STACK_NAME);

  console.log('Synthesizing the stack (destroy evaluates the same configuration)…');
  run('npx', ['cdktf', 'synth'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  run('terraform', [`-chdir=${stackDir}`, 'init', '-input=false'], { stdio: 'inherit' });

  const kept = retainedAddresses(run('terraform', [`-chdir=${stackDir}`, 'state', 'list']));
  console.log('\nKept (removed from the Terraform state, left in AWS as they are):');
  for (const address of kept) console.log(`  ${address}`);
  console.log('Everything else in the stack will be destroyed.');

  if (!autoApprove) {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question(`Type "destroy" to destroy ${STACK_NAME} (the bucket stays): `);
    prompt.close();
    if (answer.trim() !== 'destroy') {
      console.log('Nothing changed.');
      return;
    }
  }

  if (kept.length > 0) run('terraform', [`-chdir=${stackDir}`, 'state', 'rm', ...kept], { stdio: 'inherit' });
  run('terraform', [`-chdir=${stackDir}`, 'destroy', '-input=false', '-auto-approve'], { stdio: 'inherit' });
  console.log('\nDestroyed. The bucket and its data remain; to deploy over it again, set "adoptExisting": {"bucket": true}.');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_ROOT, 'infra', 'destroy.ts')) {
  main().catch((error: unknown) => {
    console.error(`usage-pipeline destroy: ${(error as Error).message}`);
    process.exit(1);
  });
}
