/**
 * Where Terraform gets the AWS provider from, decided once for everything in the project that
 * runs `terraform` itself (`npm run destroy`, the infra and deploy tests):
 *
 * 1. `USAGE_TERRAFORM_MIRROR=DIR`: a filesystem mirror (the folder that holds
 *    `registry.terraform.io/`, as `terraform providers mirror DIR` makes it). A CLI
 *    configuration that uses it is written next to the stack and named by `TF_CLI_CONFIG_FILE`.
 * 2. `TF_CLI_CONFIG_FILE` naming a file that exists: the operator's own CLI configuration
 *    (its `provider_installation` block, if any, decides).
 * 3. Otherwise the public registry (and Terraform's implied local mirror directories). A
 *    `TF_CLI_CONFIG_FILE` naming a missing file is dropped: Terraform would only warn about it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../functions/config/errors.js';

/** The prebuilt provider binding (@cdktf/provider-aws 20.1.0) is generated from this release. */
export const AWS_PROVIDER_VERSION = '5.100.0';
export const MIRROR_VARIABLE = 'USAGE_TERRAFORM_MIRROR';

export type ProviderSource =
  | { readonly kind: 'mirror'; readonly directory: string }
  | { readonly kind: 'cli-config'; readonly file: string }
  | { readonly kind: 'registry' };

/** Terraform or its AWS provider cannot be found as configured (the machine's setup, not the stack's). */
export class TerraformSetupError extends ConfigurationError {}

/** Where the provider will come from, from the environment alone (nothing is written). */
export function providerSource(env: NodeJS.ProcessEnv = process.env): ProviderSource {
  const mirror = env[MIRROR_VARIABLE]?.trim();
  if (mirror) {
    const directory = path.resolve(mirror);
    const provider = path.join(directory, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION);
    if (!existsSync(provider)) {
      throw new TerraformSetupError(`${MIRROR_VARIABLE}=${mirror}: no hashicorp/aws ${AWS_PROVIDER_VERSION} there (expected ${provider})`);
    }
    return { kind: 'mirror', directory };
  }
  const file = env.TF_CLI_CONFIG_FILE?.trim();
  if (file && existsSync(file)) return { kind: 'cli-config', file };
  return { kind: 'registry' };
}

export function describeProviderSource(source: ProviderSource): string {
  switch (source.kind) {
    case 'mirror':
      return `the filesystem mirror ${source.directory} (${MIRROR_VARIABLE})`;
    case 'cli-config':
      return `the CLI configuration ${source.file} (TF_CLI_CONFIG_FILE)`;
    case 'registry':
      return 'registry.terraform.io';
  }
}

/** The CLI configuration for a filesystem mirror: hashicorp providers from it, never downloaded. */
export function mirrorCliConfig(directory: string): string {
  return [
    '# Written by usage-pipeline (infra/terraform-cli.ts) from USAGE_TERRAFORM_MIRROR.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(directory)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '  direct {',
    '    exclude = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '}',
    'disable_checkpoint = true',
    '',
  ].join('\n');
}

export interface TerraformEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly source: ProviderSource;
}

/**
 * The environment to run `terraform` with: the provider source above, no version check-ins,
 * no prompts. `configDirectory` receives the mirror's CLI configuration when one is needed.
 */
export function terraformEnvironment(configDirectory: string, env: NodeJS.ProcessEnv = process.env): TerraformEnvironment {
  const source = providerSource(env);
  const out: NodeJS.ProcessEnv = { ...env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  if (source.kind === 'mirror') {
    mkdirSync(configDirectory, { recursive: true });
    const file = path.join(configDirectory, 'terraform-mirror.tfrc');
    writeFileSync(file, mirrorCliConfig(source.directory));
    out.TF_CLI_CONFIG_FILE = file;
  } else if (source.kind === 'registry') {
    delete out.TF_CLI_CONFIG_FILE;
  }
  return { env: out, source };
}
