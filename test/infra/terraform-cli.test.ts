/** Where Terraform gets the AWS provider from: a mirror named by the environment, the operator's CLI configuration, or the registry. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AWS_PROVIDER_VERSION, describeProviderSource, MIRROR_VARIABLE, providerSource, TerraformSetupError, terraformEnvironment } from '../../infra/terraform-cli.js';

const temp = () => mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-tfcli-'));

function mirrorWithProvider(): string {
  const mirror = temp();
  mkdirSync(path.join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION, 'linux_amd64'), { recursive: true });
  return mirror;
}

describe('the provider source', () => {
  it('is the mirror named by USAGE_TERRAFORM_MIRROR, through a CLI configuration written for it', () => {
    const mirror = mirrorWithProvider();
    const work = temp();
    const { env, source } = terraformEnvironment(work, { [MIRROR_VARIABLE]: mirror, TF_CLI_CONFIG_FILE: '/somewhere/else.tfrc', PATH: '/usr/bin' });
    expect(source).toEqual({ kind: 'mirror', directory: mirror });
    expect(env.TF_CLI_CONFIG_FILE).toBe(path.join(work, 'terraform-mirror.tfrc'));
    const config = readFileSync(env.TF_CLI_CONFIG_FILE!, 'utf8');
    expect(config).toContain(`path    = ${JSON.stringify(mirror)}`);
    expect(config).toContain('exclude = ["registry.terraform.io/hashicorp/*"]');
    expect(env).toMatchObject({ CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0', PATH: '/usr/bin' });
    expect(describeProviderSource(source)).toBe(`the filesystem mirror ${mirror} (USAGE_TERRAFORM_MIRROR)`);
  });

  it('refuses a mirror without the provider, naming where it looked', () => {
    const empty = temp();
    expect(() => providerSource({ [MIRROR_VARIABLE]: empty })).toThrow(TerraformSetupError);
    expect(() => providerSource({ [MIRROR_VARIABLE]: empty })).toThrow(`no hashicorp/aws ${AWS_PROVIDER_VERSION} there (expected ${path.join(empty, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION)})`);
  });

  it("is the operator's CLI configuration when TF_CLI_CONFIG_FILE names one", () => {
    const file = path.join(temp(), 'mine.tfrc');
    writeFileSync(file, 'disable_checkpoint = true\n');
    const { env, source } = terraformEnvironment(temp(), { TF_CLI_CONFIG_FILE: file });
    expect(source).toEqual({ kind: 'cli-config', file });
    expect(env.TF_CLI_CONFIG_FILE).toBe(file);
  });

  it('is the registry otherwise, and a TF_CLI_CONFIG_FILE naming a missing file is dropped', () => {
    const { env, source } = terraformEnvironment(temp(), { TF_CLI_CONFIG_FILE: path.join(temp(), 'missing.tfrc') });
    expect(source).toEqual({ kind: 'registry' });
    expect(env).not.toHaveProperty('TF_CLI_CONFIG_FILE');
    expect(providerSource({})).toEqual({ kind: 'registry' });
  });
});
