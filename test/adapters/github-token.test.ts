/**
 * Where the GitHub publisher's token comes from (a function, the environment, Secrets Manager),
 * checked over HTTP against the GitHub emulator; the token never shows in errors or logs.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { GitHubApiError } from '../../functions/adapters/github-publisher.js';
import { MissingTokenError, tokenFromEnvironment, tokenFromSecretsManager, type SecretsClient } from '../../functions/adapters/github-token.js';
import { GitHubHarness, publishRequest } from './support/github-harness.js';

const h = new GitHubHarness();

beforeEach(() => h.setUp());
afterEach(() => h.tearDown());

describe('GitHubPublisher: tokens', () => {
  it('takes the token from a function, and explains a rejected one without showing it', async () => {
    const guarded = await h.startEmulator({ repoDir: path.join(h.tmp, 'guarded.git'), token: 'right-token' });
    let asked = 0;
    const source = async () => {
      asked++;
      return 'right-token';
    };
    const result = await h.publisherFor(guarded, { token: source }).publish(publishRequest({ 'a.json': '[]' }, [], 'x'));
    expect(result.commit).not.toBeNull();
    expect(asked).toBe(guarded.requests.length);
    expect(guarded.requests.every((request) => request.status !== 401)).toBe(true);

    for (const wrong of [h.publisherFor(guarded, { token: 'wrong-token' }), h.publisherFor(guarded, { token: async () => 'wrong-token' })]) {
      const failure = wrong.publish(publishRequest({ 'a.json': '[1]' }, [], 'x'));
      await expect(failure).rejects.toThrow(GitHubApiError);
      await expect(failure).rejects.toThrow(/reading branch .*futel\/usage@gh-pages: GitHub rejected the token \(401 Bad credentials\)/);
      await expect(failure).rejects.toMatchObject({ status: 401 });
      await expect(wrong.readFile('a.json')).rejects.toThrow(/401 Bad credentials/);
    }
    const failure = await h.publisherFor(guarded, { token: 'wrong-token' }).publish(publishRequest({}, [], 'x')).catch((error: unknown) => error);
    expect(String(failure)).not.toContain('wrong-token');
    expect(JSON.stringify(h.logs)).not.toMatch(/right-token|wrong-token/);
  });

  it('reads GITHUB_TOKEN (or GH_TOKEN) from the environment, naming both and what the token needs when neither is set', () => {
    expect(tokenFromEnvironment('may do it', { GITHUB_TOKEN: ' ghp_abc \n', GH_TOKEN: 'other' })).toBe('ghp_abc');
    expect(tokenFromEnvironment('may do it', { GITHUB_TOKEN: ' ', GH_TOKEN: 'gho_def' })).toBe('gho_def');
    expect(() => tokenFromEnvironment('may do it', {})).toThrow('set GITHUB_TOKEN (or GH_TOKEN) to a GitHub token that may do it');
    expect(() => tokenFromEnvironment('may do it', { GITHUB_TOKEN: '  ' })).toThrow(MissingTokenError);
  });

  it('reads the token from Secrets Manager once per TTL, raw or as JSON, and never reveals it', async () => {
    // The real client fits the interface the token source needs.
    const real: SecretsClient = new SecretsManagerClient({ region: 'us-west-2' });
    expect(real).toBeDefined();

    let now = 0;
    let secret: GetSecretValueCommandOutput = { SecretString: 'ghp_raw_value\n', $metadata: {} };
    const requested: string[] = [];
    const client: SecretsClient = {
      send: async (command: GetSecretValueCommand) => {
        requested.push(command.input.SecretId!);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return secret;
      },
    };
    const token = tokenFromSecretsManager({ client, secretId: 'usage/github', ttlMs: 1000, now: () => now });
    expect(await Promise.all([token(), token()])).toEqual(['ghp_raw_value', 'ghp_raw_value']);
    now = 999;
    expect(await token()).toBe('ghp_raw_value');
    expect(requested).toEqual(['usage/github']);

    secret = { SecretString: JSON.stringify({ token: 'ghp_json_value', note: 'rotated' }), $metadata: {} };
    now = 1000;
    expect(await token()).toBe('ghp_json_value');
    expect(requested).toHaveLength(2);

    const failing = (output: GetSecretValueCommandOutput) => tokenFromSecretsManager({ client: { send: async () => output }, secretId: 'usage/github' })();
    await expect(failing({ SecretString: '{"tok": "ghp_secret_value"}', $metadata: {} })).rejects.toThrow(/usage\/github is JSON without a non-empty string "token"/);
    await expect(failing({ SecretString: '{ghp_secret_value', $metadata: {} })).rejects.toThrow(/^(?!.*ghp_secret_value).*not valid JSON/);
    await expect(failing({ $metadata: {} })).rejects.toThrow(/usage\/github is empty/);
    expect(await failing({ SecretBinary: new TextEncoder().encode('ghp_binary'), $metadata: {} })).toBe('ghp_binary');

    let reads = 0;
    const flaky = tokenFromSecretsManager({
      client: {
        send: async () => {
          if (reads++ === 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          return { SecretString: 'ghp_later', $metadata: {} };
        },
      },
      secretId: 'usage/github',
    });
    await expect(flaky()).rejects.toThrow('cannot read the GitHub token from Secrets Manager secret usage/github: ThrottlingException: Rate exceeded');
    expect(await flaky()).toBe('ghp_later');
  });
});
