/**
 * The GitHub emulator holds clients to github.com's limits (LIMITS.md) by default: each
 * limit's refusal, with GitHub's status and message, its configured value, and `limits: false`.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { GitHubEmulator, GITHUB_LIMITS, SimulatedClock, type GitHubEmulatorOptions } from '../../local/emulators/github-server.js';
import { gitRaw } from '../support/git.js';

const owner = 'futel';
const repo = 'usage';
const branch = 'gh-pages';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const TREE_TIMEOUT = /^Sorry, your request timed out\.  It's likely that your input was too large to process\.  Consider building the tree incrementally/;

let tmp: string;
const started: GitHubEmulator[] = [];

async function start(overrides: Partial<GitHubEmulatorOptions> = {}): Promise<{ emulator: GitHubEmulator; kit: Octokit }> {
  const emulator = await GitHubEmulator.start({ repoDir: path.join(tmp, `repo-${started.length}.git`), owner, repo, ...overrides });
  started.push(emulator);
  return { emulator, kit: new Octokit({ baseUrl: emulator.url, log: quiet }) };
}

/** GitHub's answer to a call that must fail: status, its own message, headers and error details. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const failure = error as { status: number; response?: { data?: { message?: string; errors?: unknown[] }; headers: Record<string, string> } };
    return { status: failure.status, message: failure.response?.data?.message ?? '', errors: failure.response?.data?.errors, headers: failure.response?.headers ?? {} };
  }
  throw new Error('expected the request to be refused');
}

/** The first commit, on `gh-pages`, through the Contents API (the Git Data API cannot make it). */
async function seed(kit: Octokit, files: Record<string, string> = { 'README.md': 'seed' }): Promise<string> {
  let commit = '';
  for (const [filePath, content] of Object.entries(files)) {
    const { data } = await kit.rest.repos.createOrUpdateFileContents({ owner, repo, path: filePath, branch, message: `add ${filePath}`, content: Buffer.from(content).toString('base64') });
    commit = data.commit.sha!;
  }
  return commit;
}

const blobEntry = (i: number, content = `{"day": ${i}}`) => ({ path: `data/${i}.json`, mode: '100644' as const, type: 'blob' as const, content });

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'github-limits-test-'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('GitHubEmulator limits: an empty repository', () => {
  it('answers 409 to Git Data requests until a first commit comes through the Contents API', async () => {
    const { emulator, kit } = await start();
    for (const call of [
      kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }),
      kit.rest.git.createBlob({ owner, repo, content: 'x' }),
      kit.rest.git.createTree({ owner, repo, tree: [blobEntry(1)] }),
      kit.rest.git.createCommit({ owner, repo, message: 'x', tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', parents: [] }),
    ]) {
      expect(await refusal(call)).toMatchObject({ status: 409, message: 'Git Repository is empty.' });
    }

    const { data } = await kit.rest.repos.createOrUpdateFileContents({ owner, repo, path: 'data/first.json', branch, message: 'first', content: Buffer.from('[1]').toString('base64') });
    expect(data.content).toMatchObject({ path: 'data/first.json', sha: (await gitRaw(emulator.gitDir, ['rev-parse', `${branch}:data/first.json`])).toString().trim() });
    expect((await gitRaw(emulator.gitDir, ['rev-parse', branch])).toString().trim()).toBe(data.commit.sha);
    expect((await kit.rest.repos.get({ owner, repo })).data.default_branch).toBe(branch);
    expect((await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha).toBe(data.commit.sha);
    expect((await kit.rest.git.createBlob({ owner, repo, content: 'x' })).status).toBe(201);

    // Updating a file needs its current blob id, as on GitHub.
    const update = { owner, repo, path: 'data/first.json', branch, message: 'again', content: Buffer.from('[2]').toString('base64') };
    expect(await refusal(kit.rest.repos.createOrUpdateFileContents(update))).toMatchObject({ status: 422, message: expect.stringContaining('"sha" wasn\'t supplied') });
    expect((await kit.rest.repos.createOrUpdateFileContents({ ...update, sha: data.content!.sha! })).status).toBe(200);
  });

  it('lets Git Data requests through an empty repository with limits off', async () => {
    const { kit } = await start({ limits: false });
    expect((await kit.rest.git.createTree({ owner, repo, tree: [blobEntry(1)] })).status).toBe(201);
    expect(await refusal(kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }))).toMatchObject({ status: 409, message: 'Git Repository is empty.' });
  });
});

describe('GitHubEmulator limits: request sizes', () => {
  it('times out tree requests over 200 entries or 2 MB, as GitHub answers them', async () => {
    const { emulator, kit } = await start();
    await seed(kit);
    expect(emulator.limits).toMatchObject({ treeRequestEntries: 200, treeRequestBytes: 2 * 1024 * 1024, requestBytes: 100 * 1024 * 1024 });

    const entries = (count: number) => Array.from({ length: count }, (_, i) => blobEntry(i));
    expect((await kit.rest.git.createTree({ owner, repo, tree: entries(200) })).status).toBe(201);
    const tooMany = await refusal(kit.rest.git.createTree({ owner, repo, tree: entries(201) }));
    expect(tooMany).toMatchObject({ status: 422, message: expect.stringMatching(TREE_TIMEOUT) });

    const large = [blobEntry(1, 'x'.repeat(2 * 1024 * 1024))];
    expect(await refusal(kit.rest.git.createTree({ owner, repo, tree: large }))).toMatchObject({ status: 422, message: expect.stringMatching(TREE_TIMEOUT) });
    // The same content as a blob is fine: blobs go to 100 MB.
    expect((await kit.rest.git.createBlob({ owner, repo, content: 'x'.repeat(2 * 1024 * 1024) })).status).toBe(201);
    expect(emulator.stats.limitRefusals).toBe(2);
  });

  it('takes its limits from the options, and none with limits: false', async () => {
    const { kit } = await start({ limits: { treeRequestEntries: 3, requestBytes: 4096 } });
    await seed(kit);
    expect(await refusal(kit.rest.git.createTree({ owner, repo, tree: [1, 2, 3, 4].map((i) => blobEntry(i)) }))).toMatchObject({ status: 422 });
    const tooLarge = await refusal(kit.rest.git.createBlob({ owner, repo, content: 'y'.repeat(5000) }));
    expect(tooLarge).toMatchObject({ status: 413, message: 'Request body too large' });

    const { kit: kind } = await start({ limits: false });
    await seed(kind);
    expect((await kind.rest.git.createTree({ owner, repo, tree: Array.from({ length: 500 }, (_, i) => blobEntry(i)) })).status).toBe(201);
    await expect(start({ limits: { treeRequestEntries: 0 } })).rejects.toThrow('GitHub emulator limit treeRequestEntries must be positive, not 0');
  });

  it('answers 403 too_large to the contents API past 1 MB with the default media type only', async () => {
    const { kit } = await start();
    const big = 'z'.repeat(1024 * 1024 + 1);
    await seed(kit, { 'data/small.json': '[]', 'data/big.json': big });

    const refused = await refusal(kit.rest.repos.getContent({ owner, repo, path: 'data/big.json', ref: branch }));
    expect(refused).toMatchObject({
      status: 403,
      message: 'This API returns blobs up to 1 MB in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size.',
      errors: [{ resource: 'Blob', field: 'data', code: 'too_large' }],
    });
    const raw = await kit.rest.repos.getContent({ owner, repo, path: 'data/big.json', ref: branch, mediaType: { format: 'raw' } });
    expect((raw.data as unknown as string).length).toBe(big.length);
    const object = await kit.rest.repos.getContent({ owner, repo, path: 'data/big.json', ref: branch, mediaType: { format: 'object' } });
    expect(object.data).toMatchObject({ type: 'file', encoding: 'none', content: '', size: big.length });
    const small = await kit.rest.repos.getContent({ owner, repo, path: 'data/small.json', ref: branch });
    expect(small.data).toMatchObject({ encoding: 'base64', size: 2 });
  });

  it('truncates a recursive tree listing past its entry or byte limit', async () => {
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`data/${i}.json`, `[${i}]`]));
    const listing = async (limits: GitHubEmulatorOptions['limits']) => {
      const { kit } = await start({ limits });
      await seed(kit, files);
      return (await kit.rest.git.getTree({ owner, repo, tree_sha: branch, recursive: '1' })).data;
    };
    const whole = await listing({});
    expect(whole).toMatchObject({ truncated: false });
    expect(whole.tree).toHaveLength(7);
    const byEntries = await listing({ treeListingEntries: 5 });
    expect(byEntries.truncated).toBe(true);
    expect(byEntries.tree).toHaveLength(5);
    const byBytes = await listing({ treeListingBytes: 600 });
    expect(byBytes.truncated).toBe(true);
    expect(JSON.stringify(byBytes.tree).length).toBeLessThanOrEqual(600);
    expect(byBytes.tree.length).toBeGreaterThan(0);
    expect(GITHUB_LIMITS).toMatchObject({ treeListingEntries: 100_000, treeListingBytes: 7 * 1024 * 1024 });
  });
});

describe('GitHubEmulator limits: secondary rate limits', () => {
  it('refuses content-creating requests past 80 a minute and (here) 150 an hour, with retry-after, on its clock', async () => {
    // Stopped: time moves only when the test says so.
    const clock = new SimulatedClock(0);
    const { emulator, kit } = await start({ clock: clock.now, limits: { contentRequestsPerHour: 150 } });
    expect(GITHUB_LIMITS).toMatchObject({ contentRequestsPerMinute: 80, contentRequestsPerHour: 500 });
    await seed(kit);
    const blob = (i: number) => kit.rest.git.createBlob({ owner, repo, content: `blob ${i}` });
    for (let i = 1; i < 80; i++) await blob(i);
    const minute = await refusal(blob(80));
    expect(minute.status).toBe(403);
    expect(minute.message).toMatch(/^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\. .*request ID [0-9A-F]{8}:[0-9A-F]{8}\.$/);
    expect(minute.headers['retry-after']).toBe('60');
    // Reads are not content-creating.
    expect((await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).status).toBe(200);

    clock.advance(61_000);
    for (let i = 0; i < 70; i++) await blob(i);
    const hour = await refusal(blob(0));
    expect(hour.status).toBe(403);
    expect(hour.message).toContain('secondary rate limit');
    // The oldest request of the hour leaves its window 3,600 - 61 s from now.
    expect(hour.headers['retry-after']).toBe('3539');
    clock.advance(3539 * 1000);
    expect((await blob(1)).status).toBe(201);
    expect(emulator.stats).toMatchObject({ contentRequests: 153, limitRefusals: 2 });
  });

  it('runs fast under a time scale, so a throttled client waits the retry-after without the test waiting', async () => {
    // 10 ms of real time is 1 s for the emulator; the client waits retry-after × 10 ms.
    const { emulator } = await start({ timeScale: 100, limits: { contentRequestsPerMinute: 5 } });
    const Throttled = Octokit.plugin(throttling);
    const waits: number[] = [];
    const kit = new Throttled({
      baseUrl: emulator.url,
      log: quiet,
      throttle: {
        retryAfterBaseValue: 10,
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return true;
        },
      },
    });
    await seed(kit);
    for (let i = 0; i < 12; i++) expect((await kit.rest.git.createBlob({ owner, repo, content: `blob ${i}` })).status).toBe(201);
    expect(waits.length).toBeGreaterThan(0);
    expect(emulator.stats.limitRefusals).toBe(waits.length);
  });
});

describe('GitHubEmulator limits: protected branches and statistics', () => {
  it('refuses ref updates of a protected branch the three ways GitHub does', async () => {
    const { emulator, kit } = await start();
    const first = await seed(kit);
    const tree = (await kit.rest.git.getCommit({ owner, repo, commit_sha: first })).data.tree.sha;
    const next = (await kit.rest.git.createCommit({ owner, repo, message: 'next', tree, parents: [first] })).data.sha;
    const update = () => kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: next });

    emulator.protectBranch(branch, 'protected');
    expect(await refusal(update())).toMatchObject({ status: 422, message: `Protected branch update failed for refs/heads/${branch}.` });
    emulator.protectBranch(branch, 'ruleset');
    expect(await refusal(update())).toMatchObject({ status: 422, message: 'Reference cannot be updated' });
    emulator.protectBranch(branch, 'forbidden');
    expect(await refusal(update())).toMatchObject({ status: 403, message: 'Resource not accessible by integration' });
    expect(await refusal(kit.rest.repos.createOrUpdateFileContents({ owner, repo, path: 'x.txt', branch, message: 'x', content: '' }))).toMatchObject({ status: 403 });
    // Other branches and objects are not affected.
    expect((await kit.rest.git.createRef({ owner, repo, ref: 'refs/heads/other', sha: next })).status).toBe(201);
    expect((await gitRaw(emulator.gitDir, ['rev-parse', branch])).toString().trim()).toBe(first);

    emulator.protectBranch(branch, null);
    expect((await update()).status).toBe(200);
    const fromOptions = await start({ protectedBranches: { [branch]: 'ruleset' } });
    await expect(seed(fromOptions.kit)).rejects.toMatchObject({ status: 422 });
  });

  it('counts requests, content-creating requests and the largest body', async () => {
    const { emulator, kit } = await start();
    expect(emulator.stats).toEqual({ requests: 0, contentRequests: 0, largestRequestBytes: 0, limitRefusals: 0 });
    await seed(kit);
    await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
    await kit.rest.git.createBlob({ owner, repo, content: 'b'.repeat(10_000) });
    await refusal(kit.rest.git.createTree({ owner, repo, tree: Array.from({ length: 201 }, (_, i) => blobEntry(i)) }));
    const { requests, contentRequests, largestRequestBytes, limitRefusals } = emulator.stats;
    expect({ requests, contentRequests, limitRefusals }).toEqual({ requests: 4, contentRequests: 3, limitRefusals: 1 });
    expect(largestRequestBytes).toBe(JSON.stringify({ tree: Array.from({ length: 201 }, (_, i) => blobEntry(i)) }).length);
    expect(emulator.requests).toHaveLength(4);
  });
});
