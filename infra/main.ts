/**
 * The cdktf app (`cdktf.json`: `npx tsx infra/main.ts`): reads the configuration, bundles the
 * Lambdas, and synthesizes the stack into cdktf.out/stacks/usage-pipeline/cdk.tf.json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { bundleFunctions, PROJECT_ROOT, type LambdaBundle } from './bundle.js';
import { loadConfig } from './config.js';
import { FUNCTION_SPECS } from '../functions/config/functions.js';
import { STACK_NAME, UsagePipelineStack } from './stack.js';
import { ConfigurationError } from '../functions/config/errors.js';

async function synthesize(): Promise<void> {
  const { config, file } = loadConfig({ cwd: PROJECT_ROOT });
  // Bundles are staged in a directory of this synth's own (TerraformAsset copies them into the
  // stack's assets), so synths into different output directories can run side by side.
  const staging = await mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-bundles-'));
  try {
    const bundles = await bundleFunctions(FUNCTION_SPECS, { outDir: staging });
    const app = new App();
    new UsagePipelineStack(app, STACK_NAME, { config, bundles });
    app.synth();
    report(bundles, config.region, file);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function report(bundles: ReadonlyMap<string, LambdaBundle>, region: string, file: string | undefined): void {
  const sizes = [...bundles.values()].map((b) => `${b.name} ${(b.bytes / 1024).toFixed(0)} KiB`).join(', ');
  console.error(`usage-pipeline: synthesized ${STACK_NAME} for ${region}${file ? ` with ${path.relative(process.cwd(), file)}` : ''} (${sizes})`);
}

try {
  await synthesize();
} catch (error) {
  if (error instanceof ConfigurationError) {
    console.error(`usage-pipeline: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
