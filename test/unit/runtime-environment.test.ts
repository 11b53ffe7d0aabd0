/** The Lambdas' runtime contract: what each kind of function reads from its environment, and what it refuses. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MONITOR_ENVIRONMENT, PIPELINE_STEP_ENVIRONMENT, ROTATION_ENVIRONMENT, RUNTIME_DEFAULTS, VARIABLES, type PipelineStepSettings } from '../../functions/config/environment.js';
import { ConfigurationError } from '../../functions/config/errors.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import type { Day } from '../../functions/core/days.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

const STEP = { BUCKET_NAME: 'logpublish', GITHUB_REPOSITORY: 'futel/usage' };

describe('the pipeline steps', () => {
  it('need the bucket and the repository, and default everything else', () => {
    expect(PIPELINE_STEP_ENVIRONMENT.required).toEqual(['BUCKET_NAME', 'GITHUB_REPOSITORY']);
    expect(PIPELINE_STEP_ENVIRONMENT.read(STEP)).toEqual({
      bucket: 'logpublish',
      github: { repository: 'futel/usage', branch: RUNTIME_DEFAULTS.githubBranch },
      pipeline: DEFAULT_CONFIG,
    });
  });

  it('read back exactly what was written', () => {
    const settings: PipelineStepSettings = {
      bucket: 'other-bucket',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      github: { repository: 'someone/site', branch: 'pages', tokenSecretId: 'usage/token' },
      pipeline: {
        productionHosts: ['a.example', 'b'],
        firstDay: null,
        layouts: ['date', 'event'],
        drain: { maxMessages: 10, flushMessages: 5, receiveWaitSeconds: 0, timeBudgetMs: 30_000 },
        lockTtlSeconds: 600,
        summaryBackfillMonths: 0,
      },
    };
    expect(PIPELINE_STEP_ENVIRONMENT.read(PIPELINE_STEP_ENVIRONMENT.write(settings))).toEqual(settings);
    const dated = { ...settings, pipeline: { ...settings.pipeline, firstDay: '20210601' as Day } };
    expect(PIPELINE_STEP_ENVIRONMENT.write(dated).FIRST_DAY).toBe('2021-06-01');
    expect(PIPELINE_STEP_ENVIRONMENT.read(PIPELINE_STEP_ENVIRONMENT.write(dated))).toEqual(dated);
  });

  it('refuse a missing or invalid variable in one line naming it', () => {
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        PIPELINE_STEP_ENVIRONMENT.read(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({})).toBe('environment variables BUCKET_NAME, GITHUB_REPOSITORY are not set');
    expect(refusal({ BUCKET_NAME: 'b', GITHUB_REPOSITORY: '  ' })).toBe('environment variable GITHUB_REPOSITORY is not set');
    expect(refusal({ ...STEP, GITHUB_REPOSITORY: 'futel' })).toBe('environment variable GITHUB_REPOSITORY: expected OWNER/NAME');
    expect(refusal({ ...STEP, DRAIN_WAIT_SECONDS: '21' })).toBe('environment variable DRAIN_WAIT_SECONDS: expected at most 20');
    expect(refusal({ ...STEP, DRAIN_MAX_MESSAGES: '1e4' })).toBe('environment variable DRAIN_MAX_MESSAGES: expected a whole number');
    expect(refusal({ ...STEP, LAYOUTS: 'date,pie' })).toBe('environment variable LAYOUTS: unknown layout "pie" (known: date, channel, event, summary)');
    expect(refusal({ ...STEP, QUEUE_URL: 'sqs://queue' })).toBe('environment variable QUEUE_URL: expected an http(s) URL');
    for (const message of [refusal({}), refusal({ ...STEP, LAYOUTS: 'x' })]) expect(message).not.toContain('\n');
  });

  it('write no variable they do not read', () => {
    for (const name of Object.keys(PIPELINE_STEP_ENVIRONMENT.write(PIPELINE_STEP_ENVIRONMENT.read(STEP)))) expect(PIPELINE_STEP_ENVIRONMENT.variables).toContain(name);
  });
});

describe('the monitor', () => {
  it('needs only the bucket; reads the branch only with a repository', () => {
    expect(MONITOR_ENVIRONMENT.required).toEqual(['BUCKET_NAME']);
    expect(MONITOR_ENVIRONMENT.read({ BUCKET_NAME: 'b' })).toEqual({ bucket: 'b', maxDataAgeSeconds: RUNTIME_DEFAULTS.maxDataAgeSeconds });
    expect(MONITOR_ENVIRONMENT.read({ BUCKET_NAME: 'b', GITHUB_REPOSITORY: 'futel/usage', GITHUB_TOKEN_SECRET_ID: 's', MAX_DATA_AGE_SECONDS: '5400.5' })).toEqual({
      bucket: 'b',
      maxDataAgeSeconds: 5400.5,
      github: { repository: 'futel/usage', branch: 'gh-pages', tokenSecretId: 's' },
    });
    expect(() => MONITOR_ENVIRONMENT.read({ BUCKET_NAME: 'b', MAX_DATA_AGE_SECONDS: '0' })).toThrow('environment variable MAX_DATA_AGE_SECONDS: expected more than 0');
  });
});

describe('the rotation', () => {
  const ROTATION = { GITHUB_REPOSITORY: 'futel/usage', ROTATION_IAM_USER: 'usage-pipeline-github-actions', GITHUB_TOKEN_SECRET_ID: 'usage-pipeline/github-token' };

  it('needs the repository, the user and the token secret; waits 90 s for a new key by default', () => {
    expect(ROTATION_ENVIRONMENT.required).toEqual(['GITHUB_REPOSITORY', 'ROTATION_IAM_USER', 'GITHUB_TOKEN_SECRET_ID']);
    expect(ROTATION_ENVIRONMENT.read(ROTATION)).toEqual({
      repository: 'futel/usage',
      user: 'usage-pipeline-github-actions',
      tokenSecretId: 'usage-pipeline/github-token',
      verifyTimeoutSeconds: 90,
    });
    expect(RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds).toBe(90);
  });

  it('refuses a user name IAM would refuse, and a timeout that is not a number', () => {
    expect(() => ROTATION_ENVIRONMENT.read({ ...ROTATION, ROTATION_IAM_USER: 'no spaces' })).toThrow('environment variable ROTATION_IAM_USER: expected an IAM user name');
    expect(() => ROTATION_ENVIRONMENT.read({ ...ROTATION, ROTATION_VERIFY_TIMEOUT_SECONDS: '0' })).toThrow('environment variable ROTATION_VERIFY_TIMEOUT_SECONDS: expected at least 1');
  });
});

describe('the variables', () => {
  it('are named once each, and every one is read by some function', () => {
    const names = Object.values(VARIABLES).map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    const read = new Set([PIPELINE_STEP_ENVIRONMENT, MONITOR_ENVIRONMENT, ROTATION_ENVIRONMENT].flatMap((contract) => contract.variables));
    expect([...read].sort()).toEqual([...names].sort());
  });

  it('each have an example of a value the functions accept', () => {
    const env = Object.fromEntries(Object.values(VARIABLES).map((variable) => [variable.name, variable.example]));
    for (const contract of [PIPELINE_STEP_ENVIRONMENT, MONITOR_ENVIRONMENT, ROTATION_ENVIRONMENT]) expect(() => contract.read(env)).not.toThrow();
  });

  it('are all listed in the README, and nothing else is', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**What each function is told.**'), readme.indexOf('**Existing resources.**'));
    const listed = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap(([, cell]) => [...cell!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name));
    expect(listed.sort()).toEqual(Object.values(VARIABLES).map((variable) => variable.name).sort());
  });
});
