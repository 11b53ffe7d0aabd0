/**
 * The GitHub emulator's contents, repository, HTTP behaviour and Actions secrets, driven by a
 * real Octokit over HTTP.
 */
import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import sodium from 'libsodium-wrappers';
import { SimulatedClock } from '../../local/emulators/github-server.js';
import { gitRaw } from '../support/git.js';
import { branch, createBranch, emulator, failure, git, gitDir, kit, owner, quiet, repo, startEmulator, tmp, useEmulator } from './support/emulator-harness.js';

useEmulator();

/** GitHub's answer to a request over a secondary rate limit, once, on the next ref read. */
const SECONDARY_LIMIT_ON_GET_REF = {
  method: 'GET',
  path: /\/git\/ref\//,
  times: 1,
  status: 403,
  headers: { 'retry-after': '1' },
  body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
} as const;

describe('GitHubEmulator: contents and repository', () => {
  it('serves files and directories from a branch through the contents endpoint', async () => {
    const state = { last_event_id: 42, updated: '2025-03-01T00:00:00Z' };
    await createBranch({ 'data/updated_state.json': JSON.stringify(state), 'index.html': 'home' });

    const file = await kit.rest.repos.getContent({ owner, repo, path: 'data/updated_state.json', ref: branch });
    if (Array.isArray(file.data) || file.data.type !== 'file') throw new Error('expected a file');
    expect(file.data).toMatchObject({ type: 'file', encoding: 'base64', name: 'updated_state.json', path: 'data/updated_state.json' });
    expect(JSON.parse(Buffer.from(file.data.content, 'base64').toString('utf8'))).toEqual(state);
    expect(file.data.sha).toBe(await git(gitDir, 'rev-parse', `${branch}:data/updated_state.json`));
    expect(file.data.size).toBe(JSON.stringify(state).length);

    const dir = await kit.rest.repos.getContent({ owner, repo, path: 'data', ref: branch });
    expect(Array.isArray(dir.data) && dir.data.map((entry) => [entry.name, entry.type])).toEqual([['updated_state.json', 'file']]);

    const raw = await kit.rest.repos.getContent({ owner, repo, path: 'data/updated_state.json', ref: branch, mediaType: { format: 'raw' } });
    expect(JSON.parse(raw.data as unknown as string)).toEqual(state);

    expect((await failure(kit.rest.repos.getContent({ owner, repo, path: 'data/nope.json', ref: branch }))).status).toBe(404);
    expect((await failure(kit.rest.repos.getContent({ owner, repo, path: 'index.html', ref: 'no-such-branch' }))).status).toBe(404);
  });

  it('answers 404 for the contents of an empty repository', async () => {
    const bare = await startEmulator({ repoDir: path.join(tmp, 'empty.git') });
    const empty = await failure(new Octokit({ baseUrl: bare.url, log: quiet }).rest.repos.getContent({ owner, repo, path: 'data/updated_state.json' }));
    expect(empty.status).toBe(404);
    expect(empty.message).toContain('This repository is empty.');
  });

  it('works on an existing non-bare repository and reports its default branch', async () => {
    const work = path.join(tmp, 'work');
    await fs.mkdir(work);
    await gitRaw(work, ['init', '--quiet', '--initial-branch=trunk'], { bare: false });
    await fs.writeFile(path.join(work, 'README.md'), 'hello\n');
    await gitRaw(work, ['add', 'README.md'], { bare: false });
    await gitRaw(work, ['commit', '--quiet', '-m', 'init'], { bare: false });
    const head = (await gitRaw(work, ['rev-parse', 'HEAD'], { bare: false })).toString().trim();

    const local = await startEmulator({ repoDir: work });
    const localKit = new Octokit({ baseUrl: local.url, log: quiet });
    expect(local.gitDir).toBe(path.join(work, '.git'));
    expect((await localKit.rest.repos.get({ owner, repo })).data.default_branch).toBe('trunk');
    expect((await localKit.rest.git.getRef({ owner, repo, ref: 'heads/trunk' })).data.object.sha).toBe(head);
    const readme = await localKit.rest.repos.getContent({ owner, repo, path: 'README.md' });
    expect(Buffer.from((readme.data as { content: string }).content, 'base64').toString()).toBe('hello\n');
  });
});

describe('GitHubEmulator: HTTP behaviour', () => {
  it('requires the configured token, as "token" or "bearer"', async () => {
    const guarded = await startEmulator({ repoDir: path.join(tmp, 'guarded.git'), token: 'sekret' });
    const anonymous = await failure(new Octokit({ baseUrl: guarded.url, log: quiet }).rest.repos.get({ owner, repo }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.message).toContain('Requires authentication');
    const wrong = await failure(new Octokit({ baseUrl: guarded.url, auth: 'nope', log: quiet }).rest.repos.get({ owner, repo }));
    expect(wrong.status).toBe(401);
    expect(wrong.message).toContain('Bad credentials');

    expect((await new Octokit({ baseUrl: guarded.url, auth: 'sekret', log: quiet }).rest.repos.get({ owner, repo })).status).toBe(200);
    const bearer = await new Octokit({ baseUrl: guarded.url, log: quiet }).rest.repos.get({
      owner,
      repo,
      headers: { authorization: 'Bearer sekret' },
    });
    expect(bearer.status).toBe(200);
    expect(guarded.requests.map((request) => request.status)).toEqual([401, 401, 200, 200]);
  });

  it('answers injected faults (5xx, then success) and records them', async () => {
    await createBranch({ 'a.txt': '1' });
    emulator.requests.length = 0;
    emulator.injectFault({ method: 'GET', path: /\/git\/ref\/heads\/gh-pages$/, times: 1, status: 502, body: { message: 'Bad Gateway' } });
    const fault = await failure(kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
    expect(fault.status).toBe(502);
    expect((await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).status).toBe(200);

    // With Octokit's retry plugin, two 500s are retried away.
    const RetryingOctokit = Octokit.plugin(retry);
    const retrying = new RetryingOctokit({ baseUrl: emulator.url, log: quiet, retry: { retryAfterBaseValue: 1 } });
    emulator.injectFault({ path: /\/git\/ref\//, times: 2, status: 500 });
    expect((await retrying.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).status).toBe(200);

    const refPath = `/repos/${owner}/${repo}/git/ref/heads/${branch}`;
    expect(emulator.requests.map(({ method, path: p, status }) => [method, p, status])).toEqual([
      ['GET', refPath, 502],
      ['GET', refPath, 200],
      ['GET', refPath, 500],
      ['GET', refPath, 500],
      ['GET', refPath, 200],
    ]);
  });

  it('carries headers and a body on an injected secondary rate limit, which the throttling plugin honours', async () => {
    await createBranch({ 'a.txt': '1' });
    emulator.requests.length = 0;
    emulator.injectFault(SECONDARY_LIMIT_ON_GET_REF);
    const plain = await failure(kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
    expect(plain.status).toBe(403);
    expect(plain.headers['retry-after']).toBe('1');
    expect(plain.message).toContain('secondary rate limit');

    emulator.injectFault(SECONDARY_LIMIT_ON_GET_REF);
    const waits: number[] = [];
    const ThrottledOctokit = Octokit.plugin(throttling);
    const throttled = new ThrottledOctokit({
      baseUrl: emulator.url,
      log: quiet,
      throttle: {
        retryAfterBaseValue: 10, // 1 "second" of retry-after becomes 10 ms here
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return true;
        },
      },
    });
    expect((await throttled.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).status).toBe(200);
    expect(waits).toEqual([1]);
    expect(emulator.requests.map((request) => request.status)).toEqual([403, 403, 200]);
  });

  it('sends rate-limit headers, enforces the limit, and answers unknown routes and bad JSON like GitHub', async () => {
    // Stopped at a known instant: the hour's window ends exactly an hour later.
    const clock = new SimulatedClock(0, Date.parse('2025-03-01T00:00:00Z'));
    const limited = await startEmulator({ repoDir: path.join(tmp, 'limited.git'), rateLimit: 2, clock: clock.now });
    const base = `${limited.url}/repos/${owner}/${repo}`;
    const first = await fetch(base);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2025-03-01T01:00:00Z') / 1000));

    const unknown = await fetch(`${base}/pulls`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const limitedOut = await fetch(base);
    expect(limitedOut.status).toBe(403);
    expect(limitedOut.headers.get('x-ratelimit-remaining')).toBe('0');
    // A new window at the reset.
    clock.advance(3600_000);
    const renewed = await fetch(base);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(renewed.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2025-03-01T02:00:00Z') / 1000));

    const otherRepo = await fetch(`${emulator.url}/repos/someone/else`);
    expect(otherRepo.status).toBe(404);
    const badJson = await fetch(`${emulator.url}/repos/${owner}/${repo}/git/blobs`, { method: 'POST', body: '{oops' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ message: 'Problems parsing JSON' });
    const invalid = await fetch(`${emulator.url}/repos/${owner}/${repo}/git/refs`, { method: 'POST', body: JSON.stringify({ ref: 3 }) });
    expect(invalid.status).toBe(422);
  });
});

describe('GitHubEmulator: Actions secrets', () => {
  it('stores sealed secrets that open with the emulator key pair', async () => {
    const { data: key } = await kit.rest.actions.getRepoPublicKey({ owner, repo });
    expect(key.key_id).toBe(emulator.actionsSecretsKeyPair.keyId);
    const publicKey = sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL);
    expect(publicKey).toEqual(emulator.actionsSecretsKeyPair.publicKey);
    const seal = (value: string) =>
      sodium.to_base64(sodium.crypto_box_seal(value, publicKey), sodium.base64_variants.ORIGINAL);

    const created = await kit.rest.actions.createOrUpdateRepoSecret({
      owner,
      repo,
      secret_name: 'USAGE_TOKEN',
      encrypted_value: seal('first-value'),
      key_id: key.key_id,
    });
    expect(created.status).toBe(201);
    const updated = await kit.rest.actions.createOrUpdateRepoSecret({
      owner,
      repo,
      secret_name: 'USAGE_TOKEN',
      encrypted_value: seal('rotated-value'),
      key_id: key.key_id,
    });
    expect(updated.status).toBe(204);

    const stored = emulator.secrets.get('USAGE_TOKEN');
    expect(stored?.keyId).toBe(key.key_id);
    const opened = sodium.crypto_box_seal_open(
      sodium.from_base64(stored!.encryptedValue, sodium.base64_variants.ORIGINAL),
      emulator.actionsSecretsKeyPair.publicKey,
      emulator.actionsSecretsKeyPair.privateKey,
      'text',
    );
    expect(opened).toBe('rotated-value');
    expect(emulator.decryptSecret('usage_token')).toBe('rotated-value');

    const described = await kit.rest.actions.getRepoSecret({ owner, repo, secret_name: 'USAGE_TOKEN' });
    expect(Object.keys(described.data).sort()).toEqual(['created_at', 'name', 'updated_at']);
    expect(described.data.name).toBe('USAGE_TOKEN');
    expect(described.data.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const listed = await kit.rest.actions.listRepoSecrets({ owner, repo });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.secrets.map((secret) => secret.name)).toEqual(['USAGE_TOKEN']);

    const wrongKey = await failure(
      kit.rest.actions.createOrUpdateRepoSecret({ owner, repo, secret_name: 'OTHER', encrypted_value: seal('x'), key_id: '1' }),
    );
    expect(wrongKey.status).toBe(422);
    const notSealed = await failure(
      kit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo,
        secret_name: 'OTHER',
        encrypted_value: Buffer.from('plaintext').toString('base64'),
        key_id: key.key_id,
      }),
    );
    expect(notSealed.status).toBe(422);
    expect(emulator.secrets.has('OTHER')).toBe(false);

    expect((await kit.rest.actions.deleteRepoSecret({ owner, repo, secret_name: 'USAGE_TOKEN' })).status).toBe(204);
    expect(emulator.secrets.size).toBe(0);
    expect((await failure(kit.rest.actions.getRepoSecret({ owner, repo, secret_name: 'USAGE_TOKEN' }))).status).toBe(404);
  });
});
