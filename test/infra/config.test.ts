import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_FILE_NAME, DEFAULT_INFRA_CONFIG, ENVIRONMENT_VARIABLES, loadConfig } from '../../infra/config.js';
import { FUNCTION_NAMES } from '../../functions/config/functions.js';
import { ConfigurationError } from '../../functions/config/errors.js';

const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

function dirWith(config?: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-config-'));
  if (config !== undefined) writeFileSync(path.join(dir, CONFIG_FILE_NAME), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('infrastructure configuration', () => {
  it('has the documented defaults', () => {
    const { config, file } = loadConfig({ env: {}, cwd: dirWith() });
    expect(file).toBeUndefined();
    expect(config).toEqual(DEFAULT_INFRA_CONFIG);
    expect(config).toMatchObject({
      region: 'us-west-2',
      bucketName: 'logpublish',
      github: { repository: 'futel/usage', branch: 'gh-pages' },
      schedule: 'rate(4 hours)',
      alarms: { dataAgeHours: 6 },
      productionHosts: ['futel-prod.phu73l.net', 'futel-prod-back', 'dialplan-functions-prod'],
      layouts: ['date', 'summary'],
    });
    expect(config.snsTopicArn).toBeUndefined();
    expect(config.kmsKeyArn).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('adopts the managed policies only with their groups', () => {
    const { config } = loadConfig({ env: { USAGE_PIPELINE_ADOPT_EXISTING_IAM_GROUPS: 'true', USAGE_PIPELINE_ADOPT_EXISTING_IAM_POLICIES: 'yes' }, cwd: dirWith() });
    expect(config.adoptExisting).toEqual({ bucket: false, iamGroups: true, iamPolicies: true });
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_ADOPT_EXISTING_IAM_POLICIES: 'true' }, cwd: dirWith() }))).toBe(
      'invalid usage-pipeline configuration: adoptExisting.iamPolicies (from USAGE_PIPELINE_ADOPT_EXISTING_IAM_POLICIES): the policies are adopted with the groups they are attached to: set adoptExisting.iamGroups too',
    );
  });

  it('reads usage-pipeline.config.json from the working directory, merging objects key by key', () => {
    const cwd = dirWith({ bucketName: 'my-bucket', github: { branch: 'pages' }, functions: { finalize: { memoryMb: 3008 } } });
    const { config, file } = loadConfig({ env: {}, cwd });
    expect(file).toBe(path.join(cwd, CONFIG_FILE_NAME));
    expect(config.bucketName).toBe('my-bucket');
    expect(config.github).toEqual({ repository: 'futel/usage', branch: 'pages' });
    expect(config.functions).toEqual({ finalize: { memoryMb: 3008 } });
  });

  it('reads the file named by USAGE_PIPELINE_CONFIG, and lets environment variables override it', () => {
    const dir = dirWith();
    const file = path.join(dir, 'prod.json');
    writeFileSync(file, JSON.stringify({ bucketName: 'from-file', region: 'eu-west-1', productionHosts: ['a'] }));
    const { config } = loadConfig({
      cwd: os.tmpdir(),
      env: { USAGE_PIPELINE_CONFIG: file, USAGE_PIPELINE_BUCKET: 'from-env', USAGE_PIPELINE_PRODUCTION_HOSTS: 'h1, h2', USAGE_PIPELINE_SCHEDULE_ENABLED: 'false', USAGE_PIPELINE_DATA_AGE_ALARM_HOURS: '12' },
    });
    expect(config.bucketName).toBe('from-env');
    expect(config.region).toBe('eu-west-1');
    expect(config.productionHosts).toEqual(['h1', 'h2']);
    expect(config.scheduleEnabled).toBe(false);
    expect(config.alarms.dataAgeHours).toBe(12);
  });

  it('keeps Terraform state in the named S3 bucket, under a default key', () => {
    expect(loadConfig({ env: { USAGE_PIPELINE_STATE_BUCKET: 'my-state' }, cwd: dirWith() }).config.stateBackend).toEqual({ bucket: 'my-state', key: 'usage-pipeline/terraform.tfstate' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ env: { USAGE_PIPELINE_BUCKET: '' }, cwd: dirWith() }).config.bucketName).toBe('logpublish');
  });

  it('maps every environment variable to a field the schema knows', () => {
    for (const [name, { path: fieldPath }] of Object.entries(ENVIRONMENT_VARIABLES)) {
      expect(name).toMatch(/^USAGE_PIPELINE_[A-Z_]+$/);
      const top = fieldPath[0]!;
      expect(Object.keys(DEFAULT_INFRA_CONFIG).concat(['snsTopicArn', 'kmsKeyArn', 'alarmEmail', 'stateBackend'])).toContain(top);
    }
  });

  it('refuses a bad value, naming the field and the variable it came from', () => {
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_BUCKET: 'Not_A_Bucket' }, cwd: dirWith() }))).toMatch(/bucketName \(from USAGE_PIPELINE_BUCKET\): a valid S3 bucket name/);
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_LOG_RETENTION_DAYS: '10' }, cwd: dirWith() }))).toMatch(/logRetentionDays \(from USAGE_PIPELINE_LOG_RETENTION_DAYS\): one of 1, 3, 5/);
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_SCHEDULE_ENABLED: 'sometimes' }, cwd: dirWith() }))).toMatch(/USAGE_PIPELINE_SCHEDULE_ENABLED: "sometimes" is not true or false/);
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_KMS_KEY_ARN: 'alias/mine' }, cwd: dirWith() }))).toMatch(/kmsKeyArn \(from USAGE_PIPELINE_KMS_KEY_ARN\): a KMS key ARN/);
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_LAYOUTS: 'summary' }, cwd: dirWith() }))).toMatch(/layouts .*must include "date"/);
  });

  it('refuses a bad file value or an unknown key, naming the field and the file', () => {
    const cwd = dirWith({ github: { repository: 'not a repo' } });
    expect(failure(() => loadConfig({ env: {}, cwd }))).toMatch(new RegExp(`github\\.repository \\(from ${path.join(cwd, CONFIG_FILE_NAME).replace(/[.]/g, '\\.')}\\): OWNER/NAME`));
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith({ bukcetName: 'x' }) }))).toMatch(/bukcetName/);
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith({ functions: { 'no-such-function': { memoryMb: 512 } } }) }))).toMatch(/no-such-function/);
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith({ functions: { drain: { memoryMb: 64 } } }) }))).toMatch(/functions\.drain\.memoryMb/);
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith('{ not json') }))).toMatch(/not valid JSON/);
    expect(failure(() => loadConfig({ env: { USAGE_PIPELINE_CONFIG: 'missing.json' }, cwd: dirWith() }))).toMatch(/USAGE_PIPELINE_CONFIG=missing\.json: no such file/);
  });

  it('checks rules across fields', () => {
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith({ functions: { 'rotate-secrets': { timeoutSeconds: 100 } } }) }))).toMatch(
      /functions\.rotate-secrets\.timeoutSeconds: must exceed rotationVerifyTimeoutSeconds/,
    );
    expect(failure(() => loadConfig({ env: {}, cwd: dirWith({ drain: { flushMessages: 50_000 } }) }))).toMatch(/drain\.flushMessages .*must not exceed drain\.maxMessages/);
  });

  it('accepts per-function overrides for every function of the catalogue', () => {
    const functions = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, { memoryMb: 512 }]));
    expect(Object.keys(loadConfig({ env: {}, cwd: dirWith({ functions }) }).config.functions).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it('makes synth fail with one clear line (and status 1) on a bad setting', () => {
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'infra/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, USAGE_PIPELINE_SCHEDULE: 'every four hours', USAGE_PIPELINE_CONFIG: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^usage-pipeline: invalid usage-pipeline configuration: schedule \(from USAGE_PIPELINE_SCHEDULE\): rate\(N unit\)/);
  });
});
