/**
 * Suites that need something beyond Node and git: Chromium, Terraform (with the AWS provider),
 * moto, or the real data fixtures. On a machine without it such a suite is skipped, loudly: a
 * line on stderr now, and a notice at the end of jest's summary (test/support/skip-notice-
 * reporter.mjs) naming the suite, what is missing and how to get it. `USAGE_REQUIRE_ALL=1`
 * (set by `.ci/run`) turns every such skip into a failure of the suite;
 * `USAGE_REQUIRE_FIXTURES=1` does the same for the fixtures alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from '@jest/globals';
import { AWS_PROVIDER_VERSION, describeProviderSource, providerSource, TerraformSetupError } from '../../infra/terraform-cli.js';
import { CHROMIUM_NAMES, findChromium, motoPython, onPath, PROJECT_ROOT } from './tools.js';

export { findChromium, motoPython, PROJECT_ROOT } from './tools.js';

/** Real public data lives outside the project: `../shared/fixtures`, or `USAGE_FIXTURES`. */
export const FIXTURES = path.resolve(PROJECT_ROOT, process.env.USAGE_FIXTURES ?? '../shared/fixtures');
export const fixturesPresent = existsSync(path.join(FIXTURES, 'futel-2025-03', 'input')) && existsSync(path.join(FIXTURES, 'messages'));

export const REQUIRE_ALL_VARIABLE = 'USAGE_REQUIRE_ALL';
/** Set by the skip-notice reporter: where suites leave their skip notices for the summary. */
export const SKIP_NOTICES_VARIABLE = 'USAGE_SKIP_NOTICES_DIR';

export type Tool = 'fixtures' | 'chromium' | 'terraform' | 'moto';

export type Availability =
  | { readonly tool: Tool; readonly available: true; readonly found: string }
  | { readonly tool: Tool; readonly available: false; readonly problem: string; readonly howToGet: string };

const HOW_TO_GET: Record<Tool, string> = {
  fixtures: 'put the real data fixtures at ../shared/fixtures next to the project, or set USAGE_FIXTURES to their directory',
  chromium: 'install Chromium (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chrome or Chromium binary',
  terraform: `install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install); offline, point USAGE_TERRAFORM_MIRROR at a provider mirror holding hashicorp/aws ${AWS_PROVIDER_VERSION} (terraform providers mirror DIR) or TF_CLI_CONFIG_FILE at a CLI configuration that names one`,
  moto: "install moto with its server: pip install 'moto[server]==5.2.1' (MOTO_PYTHON names the Python to use)",
};

function terraformProviderReachable(env: NodeJS.ProcessEnv): string | undefined {
  let source;
  try {
    source = providerSource(env);
  } catch (error) {
    if (error instanceof TerraformSetupError) return undefined;
    throw error;
  }
  if (source.kind !== 'registry') return describeProviderSource(source);
  // Terraform's implied local mirrors, then the registry itself.
  const home = os.homedir();
  const dataDirs = [env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')];
  for (const root of [path.join(home, '.terraform.d', 'plugins'), ...dataDirs.map((dir) => path.join(dir, 'terraform', 'plugins'))]) {
    if (existsSync(path.join(root, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION))) return `the local mirror ${root}`;
  }
  const probe = spawnSync(
    process.execPath,
    ['-e', "require('https').get('https://registry.terraform.io/.well-known/terraform.json', { timeout: 4000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"],
    { timeout: 6000, env },
  );
  return probe.status === 0 ? 'registry.terraform.io' : undefined;
}

const checks: Record<Tool, (env: NodeJS.ProcessEnv) => { found?: string; problem: string }> = {
  fixtures: () => ({ ...(fixturesPresent ? { found: FIXTURES } : {}), problem: `no fixtures at ${FIXTURES}` }),
  chromium: (env) => {
    const found = findChromium(env);
    return { ...(found ? { found } : {}), problem: env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist` : `none of ${CHROMIUM_NAMES.join(', ')} on PATH` };
  },
  terraform: (env) => {
    const binary = onPath('terraform', env);
    if (!binary) return { problem: 'terraform is not on PATH' };
    const version = spawnSync(binary, ['version', '-json'], { encoding: 'utf8', timeout: 30_000, env: { ...env, CHECKPOINT_DISABLE: '1' } });
    const found = /"terraform_version":\s*"(\d+)\.(\d+)\.(\d+)"/.exec(version.stdout ?? '');
    if (!found || Number(found[1]) < 1 || (Number(found[1]) === 1 && Number(found[2]) < 10)) return { problem: `${binary} is not Terraform >= 1.10 (${(version.stdout || version.stderr || '').trim().split('\n')[0]})` };
    const provider = terraformProviderReachable(env);
    if (!provider) return { problem: `Terraform ${found.slice(1).join('.')} is here, but hashicorp/aws ${AWS_PROVIDER_VERSION} cannot be had: no provider mirror configured and registry.terraform.io does not answer` };
    return { found: `${binary} (${found.slice(1).join('.')}), providers from ${provider}`, problem: '' };
  },
  moto: (env) => {
    const python = motoPython(env);
    const probe = spawnSync(python, ['-c', 'import moto, moto.server, flask, werkzeug; print(moto.__version__)'], { encoding: 'utf8', timeout: 30_000, env });
    const version = probe.status === 0 ? probe.stdout.trim() : undefined;
    if (version === '5.2.1') return { found: `moto ${version} (${python})`, problem: '' };
    return { problem: version ? `${python} has moto ${version}; the launcher's patches are for 5.2.1` : `${python} cannot import moto with its server (moto[server])` };
  },
};

const cache = new Map<Tool, Availability>();

export function availability(tool: Tool, env: NodeJS.ProcessEnv = process.env): Availability {
  const cached = env === process.env ? cache.get(tool) : undefined;
  if (cached) return cached;
  const { found, problem } = checks[tool](env);
  const result: Availability = found !== undefined ? { tool, available: true, found } : { tool, available: false, problem, howToGet: HOW_TO_GET[tool] };
  if (env === process.env) cache.set(tool, result);
  return result;
}

export interface SkipNotice {
  readonly suite: string;
  readonly testPath: string;
  readonly missing: ReadonlyArray<{ tool: Tool; problem: string; howToGet: string }>;
}

/** What happens to a suite whose tools are missing: run it, skip it with a notice, or fail it. */
export function gate(tools: readonly Tool[], env: NodeJS.ProcessEnv = process.env): { run: true } | { run: false; missing: SkipNotice['missing']; fail: boolean } {
  const missing = tools.map((tool) => availability(tool, env)).flatMap((a) => (a.available ? [] : [{ tool: a.tool, problem: a.problem, howToGet: a.howToGet }]));
  if (missing.length === 0) return { run: true };
  const fail = env[REQUIRE_ALL_VARIABLE] === '1' || (env.USAGE_REQUIRE_FIXTURES === '1' && missing.some((m) => m.tool === 'fixtures'));
  return { run: false, missing, fail };
}

export function formatMissing(missing: SkipNotice['missing']): string {
  return missing.map((m) => `${m.tool}: ${m.problem}; to get it: ${m.howToGet}`).join('\n');
}

/** `describe` for a suite that needs these tools: skipped with a notice without them, failed under USAGE_REQUIRE_ALL=1. */
export function describeWith(tools: readonly Tool[], name: string, body: () => void): void {
  const decision = gate(tools);
  if (decision.run) {
    describe(name, body);
    return;
  }
  if (decision.fail) {
    const variable = process.env[REQUIRE_ALL_VARIABLE] === '1' ? `${REQUIRE_ALL_VARIABLE}=1` : 'USAGE_REQUIRE_FIXTURES=1';
    throw new Error(`"${name}" cannot run on this machine, and ${variable} forbids skipping it:\n${formatMissing(decision.missing)}`);
  }
  const testPath = path.relative(PROJECT_ROOT, expect.getState().testPath ?? '') || '(unknown file)';
  const notice: SkipNotice = { suite: name, testPath, missing: decision.missing };
  process.stderr.write(`\n!!! SKIPPED "${name}" (${testPath}):\n${formatMissing(decision.missing)}\n\n`);
  const directory = process.env[SKIP_NOTICES_VARIABLE];
  if (directory && existsSync(directory)) {
    writeFileSync(path.join(directory, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`), JSON.stringify(notice));
  }
  describe.skip(name, body);
}
