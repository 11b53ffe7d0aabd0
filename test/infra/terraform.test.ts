/**
 * The real thing: every Lambda bundled with esbuild, the stack synthesized with its assets,
 * then `terraform init -backend=false` and `terraform validate` against the AWS provider from
 * wherever infra/terraform-cli.ts says (USAGE_TERRAFORM_MIRROR, TF_CLI_CONFIG_FILE, or the
 * registry). Without Terraform the validation is skipped with a notice (test/support/requirements.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { buildChartsFiles } from '../../functions/charts/page-files.js';
import { bundleFunctions, ESM_REQUIRE_BANNER, type LambdaBundle } from '../../infra/bundle.js';
import { FUNCTION_SPECS } from '../../functions/config/functions.js';
import { AWS_PROVIDER_VERSION, STACK_NAME, UsagePipelineStack } from '../../infra/stack.js';
import { terraformEnvironment } from '../../infra/terraform-cli.js';
import { describeWith } from '../support/requirements.js';
import { resourcesOf, testConfig, type TerraformJson } from './support.js';

let bundles: Map<string, LambdaBundle>;
let work: string;
let stackDir: string;
let tf: TerraformJson;

function terraform(args: string[]) {
  const { env } = terraformEnvironment(work);
  return spawnSync('terraform', [`-chdir=${stackDir}`, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...env, TF_PLUGIN_CACHE_DIR: '' } });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-infra-'));
  bundles = await bundleFunctions(FUNCTION_SPECS, { outDir: path.join(work, 'bundles') });
  const stack = new UsagePipelineStack(Testing.app(), STACK_NAME, { config: testConfig(), bundles });
  stackDir = path.join(Testing.fullSynth(stack), 'stacks', STACK_NAME);
  tf = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson;
}, 90_000);

describe('Lambda bundles', () => {
  it('are single ESM files with a require shim, AWS SDK included', () => {
    for (const spec of FUNCTION_SPECS) {
      const code = readFileSync(bundles.get(spec.name)!.file, 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      // Nothing left for the runtime to provide: no bare import of a package (booleans: a
      // failing matcher would print the whole bundle).
      const bareImport = /\bfrom\s*["'](@aws-sdk|@middy|@octokit|zod|@aws-lambda-powertools)[^"']*["']/.exec(code)?.[0];
      expect({ function: spec.name, bareImport }).toEqual({ function: spec.name, bareImport: undefined });
    }
  });

  it('give finalize the prebuilt charts page and no esbuild', async () => {
    const code = readFileSync(bundles.get('finalize')!.file, 'utf8');
    const charts = await buildChartsFiles();
    expect([...charts.keys()].sort()).toEqual(['charts/app.css', 'charts/app.js', 'charts/index.html']);
    for (const [file, bytes] of charts) {
      expect({ file, bundled: code.includes(Buffer.from(bytes).toString('base64')) }).toEqual({ file, bundled: true });
    }
    const esbuildImport = /(from\s*["']esbuild["']|import\(\s*["']esbuild["']\s*\)|require\(\s*["']esbuild["']\s*\))/.exec(code)?.[0];
    expect(esbuildImport).toBeUndefined();
    // The charts builder (its error class survives minification, by keepNames) is not in the bundle.
    expect(code.includes('ChartsBuildError')).toBe(false);
  });

  it('load in Node and export a handler, without touching AWS', () => {
    const script = `for (const file of process.argv.slice(1)) { const m = await import(file); if (typeof m.handler !== 'function') throw new Error(file + ': no handler'); } console.log('ok');`;
    const files = [...bundles.values()].map((b) => b.file);
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...files], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-west-2', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });
});

describe('synthesized stack', () => {
  it('ships each function as a zip asset next to the configuration', () => {
    const functions = resourcesOf(tf, 'aws_lambda_function');
    expect(functions).toHaveLength(FUNCTION_SPECS.length);
    for (const [, fn] of functions) {
      const zip = readFileSync(path.join(stackDir, fn.filename as string));
      expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
      expect(zip.includes(Buffer.from('index.mjs'))).toBe(true);
    }
  });
});

describeWith(['terraform'], 'terraform init and validate', () => {
  it('is valid Terraform for hashicorp/aws 5.100.0, without warnings', () => {
    const version = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    expect(version.error).toBeUndefined();

    const init = terraform(['init', '-backend=false', '-input=false', '-no-color']);
    expect({ status: init.status, stderr: init.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8')).toContain(`version     = "${AWS_PROVIDER_VERSION}"`);

    const validate = terraform(['validate', '-json', '-no-color']);
    const report = JSON.parse(validate.stdout) as { valid: boolean; error_count: number; warning_count: number; diagnostics: Array<{ severity: string; summary: string; detail?: string }> };
    expect(report.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? `: ${d.detail}` : ''}`)).toEqual([]);
    expect(report).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
    expect(validate.status).toBe(0);
  });
});
