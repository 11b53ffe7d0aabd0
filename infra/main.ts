/**
 * The cdktf app (`cdktf.json`: `npx tsx infra/main.ts`): reads the configuration, bundles the
 * Lambdas, and synthesizes the stack into cdktf.out/stacks/usage-pipeline/cdk.tf.json.
 */
import path from 'node:path';
import { App } from 'cdktf';
import { bundleFunctions, PROJECT_ROOT } from './bundle.js';
import { InfraConfigError, loadConfig } from './config.js';
import { FUNCTION_SPECS } from '../functions/config/functions.js';
import { STACK_NAME, UsagePipelineStack } from './stack.js';

/** Bundles are staged here, then copied into the stack's assets by TerraformAsset. */
const BUNDLE_DIRECTORY = path.join(PROJECT_ROOT, 'dist', 'lambda');

async function synthesize(): Promise<void> {
  const { config, file } = loadConfig({ cwd: PROJECT_ROOT });
  const bundles = await bundleFunctions(FUNCTION_SPECS, { outDir: BUNDLE_DIRECTORY });
  const app = new App();
  new UsagePipelineStack(app, STACK_NAME, { config, bundles });
  app.synth();
  const sizes = [...bundles.values()].map((b) => `${b.name} ${(b.bytes / 1024).toFixed(0)} KiB`).join(', ');
  console.error(`usage-pipeline: synthesized ${STACK_NAME} for ${config.region}${file ? ` with ${path.relative(process.cwd(), file)}` : ''} (${sizes})`);
}

try {
  await synthesize();
} catch (error) {
  if (error instanceof InfraConfigError) {
    console.error(`usage-pipeline: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
