/** The monthly rotation Lambda, run against the IAM fake and the GitHub emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { createRotateSecretsHandler } from '../../functions/handlers/rotate-secrets.js';
import { RotationFailedError, RotationSetupError } from '../../functions/wiring/rotate-secrets.js';
import { ConfigurationError } from '../../functions/config/errors.js';
import { expectInvariants, expectNoSecrets, mutations, OWNER, QUEUE_URL, REPO, setUpUser, startHarness, stateOf, TOKEN, type Harness } from './harness.js';

let h: Harness;
const savedEnv = { ...process.env };

beforeAll(async () => {
  h = await startHarness();
  // The handler's IAM client uses the default credential chain, as in Lambda.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: h.iam.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: h.iam.admin.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await h?.close();
});

const context = {
  functionName: 'usage-pipeline-rotate-secrets',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:usage-pipeline-rotate-secrets',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  getRemainingTimeInMillis: () => 120_000,
} as unknown as Context;

function handlerFor(user: string, env: NodeJS.ProcessEnv = {}) {
  return createRotateSecretsHandler({
    env: () => ({
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      ROTATION_IAM_USER: user,
      GITHUB_TOKEN_SECRET_ID: 'usage-pipeline/github-token',
      QUEUE_URL,
      GITHUB_API_URL: h.github.url,
      AWS_ENDPOINT_URL_IAM: h.iam.url,
      ...env,
    }),
    token: async () => TOKEN,
    overrides: { githubThrottle: false, verify: { timeoutMs: 2_000, initialDelayMs: 5, maxDelayMs: 20 } },
  });
}

/** Runs `task` with everything the handler's logger writes captured. */
async function captureLogs<T>(task: () => Promise<T>): Promise<{ result?: T; error?: unknown; logs: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return { result: await task(), logs: chunks.join('') };
  } catch (error) {
    return { error, logs: chunks.join('') };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

describe('rotate-secrets Lambda', () => {
  it('rotates and returns only non-secret facts; its logs hold no secret', async () => {
    const { user, keys } = setUpUser(h);
    const { result, error, logs } = await captureLogs(() => handlerFor(user)({}, context));
    expect(error).toBeUndefined();
    const created = stateOf(h, user).keys[0]!;
    expect(result).toEqual({
      outcome: 'rotated',
      user,
      repository: 'futel/usage',
      oldKey: `…${keys[0]!.id.slice(-4)}`,
      newKey: `…${created.id.slice(-4)}`,
      newKeyCreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      secrets: ['QUEUE_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
      keys: [{ key: `…${created.id.slice(-4)}`, status: 'Active' }],
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expectNoSecrets(h, JSON.stringify(result) + logs);
    expect(JSON.stringify(result) + logs).not.toContain(created.id);
    // Structured JSON lines from Powertools, with the Lambda context.
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ level: 'INFO', message: 'rotated', function_name: 'usage-pipeline-rotate-secrets', outcome: 'rotated' });
    expectInvariants(h, user);
  });

  it('a dry-run event changes nothing', async () => {
    const { user } = setUpUser(h);
    const { result } = await captureLogs(() => handlerFor(user)({ dryRun: true }, context));
    expect(result).toMatchObject({ outcome: 'dry-run' });
    expect(mutations(h)).toEqual([]);
  });

  it('fails the invocation, without secrets, when the rotation did not complete', async () => {
    const { user } = setUpUser(h);
    h.iam.injectFault({ action: 'DeleteAccessKey', times: 10 });
    const { error, logs } = await captureLogs(() => handlerFor(user)({}, context));
    expect(error).toBeInstanceOf(RotationFailedError);
    const failure = error as RotationFailedError;
    expect(failure.message).toMatch(/^rotation incomplete: the secrets hold the new key and the old key …\w{4} is inactive, but deleting it failed/);
    expect(failure.result).toMatchObject({ outcome: 'incomplete', user });
    expectNoSecrets(h, failure.message + JSON.stringify(failure.result) + logs);
    expect(logs).toContain('"message":"rotation did not complete"');
    expectInvariants(h, user);
  });

  it('refuses a missing or invalid configuration, naming the variable', async () => {
    const handler = createRotateSecretsHandler({ env: () => ({ GITHUB_REPOSITORY: 'futel/usage' }), token: async () => TOKEN });
    const { error } = await captureLogs(() => handler({}, context));
    expect(error).toEqual(new ConfigurationError('environment variables ROTATION_IAM_USER, GITHUB_TOKEN_SECRET_ID are not set'));
    const { user } = setUpUser(h);
    const slow = await captureLogs(() => handlerFor(user, { ROTATION_VERIFY_TIMEOUT_SECONDS: 'soon' })({}, context));
    expect(slow.error).toEqual(new ConfigurationError('environment variable ROTATION_VERIFY_TIMEOUT_SECONDS: expected a whole number'));
    expect(mutations(h)).toEqual([]);
    const bad = await captureLogs(() => handlerFor('someone')({ dryRun: 'yes' }, context));
    expect(bad.error).toEqual(new RotationSetupError('event must be {} or {"dryRun": true}'));
  });
});
