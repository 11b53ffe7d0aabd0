/**
 * GitHubPublisher against the emulator's limits: refusals that are not races fail at once;
 * the request and time budgets stop a publish at a prefix, saying which limit; entries are
 * read as the publish goes, not all first.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FileTooLargeError } from '../../functions/adapters/github-publisher.js';
import { PublishConflictError, PublishRefusedError, type PublishEntry } from '../../functions/core/publisher.js';
import type { BranchRefusal } from '../../local/emulators/github-server.js';
import { branch, GitHubHarness, publishRequest, writes } from './support/github-harness.js';

const h = new GitHubHarness();

beforeEach(() => h.setUp());
afterEach(() => h.tearDown());

const patches = () => h.emulator.requests.filter((request) => request.method === 'PATCH').map((request) => request.status);

describe('GitHubPublisher: refusals', () => {
  it.each<[BranchRefusal, number, string]>([
    ['protected', 422, 'Protected branch update failed for refs/heads/gh-pages.'],
    ['ruleset', 422, 'Reference cannot be updated'],
    ['forbidden', 403, 'Resource not accessible by integration'],
  ])('fails at once, without retrying as a race, when a %s branch refuses the update', async (refusal, status, answer) => {
    const seed = await h.pushWithGit({ 'data/a.json': '[0]' }, 'seed');
    h.emulator.protectBranch(branch, refusal);
    const failure = h.publisher().publish(publishRequest({ 'data/a.json': '[1]' }));
    await expect(failure).rejects.toThrow(PublishRefusedError);
    await expect(failure).rejects.toThrow(
      `GitHub refused to update ${h.publisher().target} (${status} ${answer}) although the branch has not moved, so this is not a race: ` +
        'check the branch protection rules and rulesets of futel/usage and that the token may write its contents; nothing was published',
    );
    expect(patches()).toEqual([status]);
    expect(await h.git('rev-parse', branch)).toBe(seed);
    expect(h.logs.some((entry) => entry.message.includes('moved during the publish'))).toBe(false);
  });

  it('treats a refusal as a race only when the branch really moved', async () => {
    await h.pushWithGit({ 'data/a.json': '[0]' }, 'seed');
    h.emulator.protectBranch(branch, 'ruleset');
    let outsider = '';
    h.emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH' && !outsider) outsider = await h.pushWithGit({ 'theirs.txt': 'x' });
    });
    const failure = h.publisher().publish(publishRequest({ 'data/a.json': '[1]' }));
    await expect(failure).rejects.toThrow(PublishRefusedError);
    // The first refusal came with a moved branch (a race: rebuilt on it), the second without.
    expect(patches()).toEqual([422, 422]);
    expect(h.logs.filter((entry) => entry.message.includes('moved during the publish'))).toHaveLength(1);
    expect(await h.git('rev-parse', branch)).toBe(outsider);
  });

  it('still ends a race that never ends in PublishConflictError', async () => {
    await h.pushWithGit({ 'data/a.json': '[0]' }, 'seed');
    h.emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH') await h.pushWithGit({ [`theirs-${Date.now()}-${Math.random()}.txt`]: 'x' });
    });
    await expect(h.publisher({ maxAttempts: 2 }).publish(publishRequest({ 'data/a.json': '[1]' }))).rejects.toThrow(PublishConflictError);
  });
});

describe('GitHubPublisher: budgets', () => {
  const files = (count: number, size = 2_000) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`data/date/2024/01/${String(i).padStart(4, '0')}.json`, `[${'"x", '.repeat(size / 5)}${i}]`]));

  it('stops at the request budget with a prefix committed and the rest reported, then finishes on the next run', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const all = files(700);
    const first = await h.publisher({ maxContentRequests: 5 }).publish(publishRequest(all));
    expect(first.stoppedBy).toEqual({
      limit: 'content-requests',
      message:
        `published ${700 - first.remaining.length} of 700 paths: the next one would pass the budget of 5 content-creating GitHub requests per publish ` +
        '(maxContentRequests; GitHub allows 500 an hour); the rest stays pending for the next run',
    });
    expect(first.requests?.contentCreating).toBeLessThanOrEqual(5);
    expect(first.changed).toEqual(Object.keys(all).slice(0, 700 - first.remaining.length));
    expect(first.remaining).toEqual(Object.keys(all).slice(700 - first.remaining.length));
    expect(await h.filesAt(branch)).toEqual(['README.md', ...first.changed]);

    const rest = await h.publisher({ maxContentRequests: 5 }).publish(publishRequest(Object.fromEntries(first.remaining.map((p) => [p, all[p]!]))));
    expect(rest.remaining.length).toBeLessThan(first.remaining.length);
    expect(() => h.publisher({ maxContentRequests: 3 })).toThrow(
      'maxContentRequests must be an integer of at least 4 (a blob, a tree, a commit and a ref update)',
    );
  });

  it('refuses a file that cannot travel in one request under the request size limit, naming it', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const binary = new Uint8Array(3000).fill(0xff);
    const refused = h.publisher({ maxRequestBytes: 2048 }).publish(publishRequest({ 'img/big.bin': binary }));
    await expect(refused).rejects.toThrow(FileTooLargeError);
    await expect(refused).rejects.toThrow("img/big.bin is 3000 bytes (2.9 KiB); it cannot travel in one request under GitHub's 2048-byte request limit: the publish stopped before committing it");
    expect(writes(h.emulator.requests)).toEqual([]);
  });

  it('stops at the time budget once something was written', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const result = await h.publisher({ maxPublishSeconds: 0, maxTreeEntries: 10 }).publish(publishRequest(files(30)));
    // The first tree request went out when the 11th file joined; the clock is looked at before the next one.
    expect(result.changed).toHaveLength(11);
    expect(result.remaining).toHaveLength(19);
    expect(result.stoppedBy).toEqual({
      limit: 'time',
      message: 'published 11 of 30 paths: the publish ran for its 0 s (maxPublishSeconds); the rest stays pending for the next run',
    });
  });

  it('reads entries as it goes: the first tree request leaves before the last file is read', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const events: string[] = [];
    h.emulator.beforeRequest(({ method, path }) => {
      if (method === 'POST' && path.endsWith('/git/trees')) events.push('tree request');
    });
    const entries: PublishEntry[] = Object.entries(files(40, 20_000)).map(([path, content]) => ({
      path,
      read: async () => {
        events.push('read');
        return Buffer.from(content);
      },
    }));
    await h.publisher({ maxTreeRequestBytes: 100_000 }).publish({ entries, message: 'streamed' });
    expect(events.indexOf('tree request')).toBeGreaterThan(0);
    expect(events.indexOf('tree request')).toBeLessThan(events.lastIndexOf('read'));
    expect(events.filter((event) => event === 'read')).toHaveLength(40);
    expect(writes(h.emulator.requests).every((request) => request.status < 400)).toBe(true);
  });
});
