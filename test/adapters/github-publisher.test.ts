/**
 * GitHubPublisher over HTTP against the GitHub emulator (a real git repository behind a
 * GitHub-shaped REST server), with every result checked with git itself.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { PublishConflictError, type PublishFile } from '../../functions/core/publisher.js';
import {
  FileTooLargeError,
  GitHubApiError,
  GitHubPublisher,
  gitBlobSha,
  type GitHubPublisherOptions,
  type LogLevel,
} from '../../functions/adapters/github-publisher.js';
import { tokenFromEnvironment, tokenFromSecretsManager, type SecretsClient } from '../../functions/adapters/github-token.js';
import { GitHubEmulator, type GitHubEmulatorOptions, type RecordedRequest } from '../../functions/emulators/github-server.js';
import { gitRaw } from '../support/git.js';

const owner = 'futel';
const repo = 'usage';
const branch = 'gh-pages';
const refPath = `/repos/${owner}/${repo}/git/ref/heads/${branch}`;


async function git(...args: string[]): Promise<string> {
  return (await gitRaw(emulator.gitDir, args)).toString('utf8').trim();
}

/** Files of a commit, sorted, as git lists them. */
async function filesAt(treeish: string): Promise<string[]> {
  return (await git('ls-tree', '-r', '--name-only', treeish)).split('\n').filter(Boolean);
}

/**
 * Someone else's commit on the branch, made with plain git (a temporary index): sets the
 * given files on top of the current head, or makes a root commit when there is no branch.
 */
async function pushWithGit(files: Record<string, string>, message = 'outsider'): Promise<string> {
  const parent = (await git('for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`)) || null;
  const env = { GIT_INDEX_FILE: path.join(tmp, `index-${randomBytes(4).toString('hex')}`) };
  if (parent) await gitRaw(emulator.gitDir, ['read-tree', parent], { env });
  for (const [filePath, content] of Object.entries(files)) {
    const blob = (await gitRaw(emulator.gitDir, ['hash-object', '-w', '--stdin'], { input: content })).toString().trim();
    await gitRaw(emulator.gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${filePath}`], { env });
  }
  const tree = (await gitRaw(emulator.gitDir, ['write-tree'], { env })).toString().trim();
  const commit = (await gitRaw(emulator.gitDir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])).toString().trim();
  await gitRaw(emulator.gitDir, ['update-ref', `refs/heads/${branch}`, commit, ...(parent ? [parent] : [])]);
  return commit;
}

const text = (content: string): Uint8Array => new TextEncoder().encode(content);
const filesOf = (files: Record<string, string | Uint8Array>): PublishFile[] =>
  Object.entries(files).map(([filePath, content]) => ({ path: filePath, content: typeof content === 'string' ? text(content) : content }));

const writes = (requests: readonly RecordedRequest[]) => requests.filter((request) => request.method !== 'GET');
const calls = (requests: readonly RecordedRequest[]) => requests.map(({ method, path: p, status }) => `${method} ${p.replace(/[0-9a-f]{40}/g, '<sha>')} ${status}`);

let tmp: string;
let emulator: GitHubEmulator;
let logs: { level: LogLevel; message: string; data?: Record<string, unknown> }[];
const started: GitHubEmulator[] = [];

async function startEmulator(overrides: Partial<GitHubEmulatorOptions> = {}): Promise<GitHubEmulator> {
  const instance = await GitHubEmulator.start({ repoDir: path.join(tmp, 'usage.git'), owner, repo, ...overrides });
  started.push(instance);
  return instance;
}

function publisherFor(target: GitHubEmulator, overrides: Partial<GitHubPublisherOptions> = {}): GitHubPublisher {
  return new GitHubPublisher({
    owner,
    repo,
    token: 'test-token',
    baseUrl: target.url,
    committer: { name: 'Futel Usage Bot', email: 'usage-bot@futel.example' },
    // Fast tests: no 1 s spacing of writes, and 1 "second" of retry-after or backoff is 5 ms.
    minWriteIntervalMs: 0,
    retryAfterBaseValue: 5,
    log: (level, message, data) => logs.push({ level, message, ...(data ? { data } : {}) }),
    ...overrides,
  });
}
const publisher = (overrides: Partial<GitHubPublisherOptions> = {}) => publisherFor(emulator, overrides);

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'github-publisher-test-'));
  emulator = await startEmulator();
  logs = [];
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((instance) => instance.close()));
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('GitHubPublisher: publishing', () => {
  it('creates the branch in an empty repository with one root commit holding exactly the files', async () => {
    const files = {
      'index.html': '<h1>usage</h1>\n',
      'data/event-list.json': '["incoming-call", "outgoing-call"]',
      'data/date/2025/03/20250301.json': '[{"event": "incoming-call"}]',
    };
    const result = await publisher().publish({ files: filesOf(files), deletions: ['data/not-there.json'], message: 'Publish usage data' });

    const head = await git('rev-parse', `refs/heads/${branch}`);
    expect(result).toEqual({ commit: head, changed: Object.keys(files).sort(), head });
    expect(await git('rev-list', '--count', branch)).toBe('1');
    expect(await git('log', '-1', '--format=%P|%an <%ae>|%cn|%B', branch)).toBe('|Futel Usage Bot <usage-bot@futel.example>|Futel Usage Bot|Publish usage data');
    expect(await filesAt(branch)).toEqual(Object.keys(files).sort());
    for (const [filePath, content] of Object.entries(files)) expect(await git('show', `${branch}:${filePath}`)).toBe(content.trim());

    expect(calls(emulator.requests)).toEqual([
      `GET ${refPath} 409`,
      `POST /repos/${owner}/${repo}/git/trees 201`,
      `POST /repos/${owner}/${repo}/git/commits 201`,
      `POST /repos/${owner}/${repo}/git/refs 201`,
    ]);
    expect(emulator.requests[2]!.body).toMatchObject({ parents: [] });
  });

  it('makes one commit on the old head with exactly the changed, added and deleted paths', async () => {
    const old = await pushWithGit({ 'index.html': 'home', 'data/a.json': '[1]', 'data/old.json': '[0]', 'data/keep.json': '[2]' }, 'seed');
    emulator.requests.length = 0;

    const result = await publisher().publish({
      files: filesOf({ 'index.html': 'home', 'data/a.json': '[1, 2]', 'data/b.json': '[3]', 'data/keep.json': '[2]' }),
      deletions: ['data/old.json', 'data/never-was.json'],
      message: 'Usage run 2025-03-02',
    });

    const head = await git('rev-parse', branch);
    expect(result).toEqual({ commit: head, changed: ['data/a.json', 'data/b.json', 'data/old.json'], head });
    expect(await git('rev-parse', `${head}^`)).toBe(old);
    expect(await git('rev-list', '--count', branch)).toBe('2');
    expect(await git('diff', '--name-status', old, head)).toBe('M\tdata/a.json\nA\tdata/b.json\nD\tdata/old.json');
    expect(await git('show', `${branch}:data/a.json`)).toBe('[1, 2]');
    expect(await git('log', '-1', '--format=%B', branch)).toBe('Usage run 2025-03-02');

    expect(calls(emulator.requests)).toEqual([
      `GET ${refPath} 200`,
      `GET /repos/${owner}/${repo}/git/commits/<sha> 200`,
      `GET /repos/${owner}/${repo}/git/trees/<sha> 200`,
      `POST /repos/${owner}/${repo}/git/trees 201`,
      `POST /repos/${owner}/${repo}/git/commits 201`,
      `PATCH /repos/${owner}/${repo}/git/refs/heads/${branch} 200`,
    ]);
    expect(emulator.requests[2]!.query).toBe('recursive=1');
    const oldTree = await git('rev-parse', `${old}^{tree}`);
    expect(emulator.requests[3]!.body).toEqual({
      base_tree: oldTree,
      tree: [
        { path: 'data/a.json', mode: '100644', type: 'blob', content: '[1, 2]' },
        { path: 'data/b.json', mode: '100644', type: 'blob', content: '[3]' },
        { path: 'data/old.json', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(emulator.requests[4]!.body).toMatchObject({ parents: [old] });
    expect(emulator.requests[5]!.body).toEqual({ sha: head, force: false });
  });

  it('makes no commit and no write request when the branch already holds the files', async () => {
    const files = { 'index.html': 'home', 'data/a.json': '[1]', 'img/logo.bin': new Uint8Array([0xff, 0x00, 0xfe]) };
    const first = await publisher().publish({ files: filesOf(files), deletions: [], message: 'first' });
    emulator.requests.length = 0;

    const again = await publisher().publish({ files: filesOf(files), deletions: ['data/gone.json'], message: 'again' });
    expect(again).toEqual({ commit: null, changed: [], head: first.commit });
    expect(writes(emulator.requests)).toEqual([]);
    expect(emulator.requests).toHaveLength(3);
    expect(await git('rev-list', '--count', branch)).toBe('1');
  });

  it('makes a handful of requests for 1,500 files, and chains trees only when forced to split', async () => {
    const many = (version: number, changedEvery = 1) =>
      Object.fromEntries(
        Array.from({ length: 1500 }, (_, i) => [
          `data/date/${2021 + (i % 4)}/${String((i % 12) + 1).padStart(2, '0')}/${i}.json`,
          `[{"day": ${i}, "version": ${i % changedEvery === 0 ? version : 0}}]`,
        ]),
      );
    await publisher().publish({ files: filesOf(many(0)), deletions: [], message: 'all' });
    expect(emulator.requests).toHaveLength(4);
    expect(await filesAt(branch)).toHaveLength(1500);

    emulator.requests.length = 0;
    const some = await publisher().publish({ files: filesOf(many(1, 150)), deletions: [], message: 'ten changed' });
    expect(some.changed).toHaveLength(10);
    expect(emulator.requests).toHaveLength(6);
    expect(await git('diff', '--name-only', `${some.commit}^`, some.commit!)).toBe(some.changed.join('\n'));

    emulator.requests.length = 0;
    const before = await git('rev-parse', branch);
    const split = await publisher({ maxTreeRequestBytes: 20_000 }).publish({ files: filesOf(many(2)), deletions: [], message: 'all changed' });
    expect(split.changed).toHaveLength(1500);
    const treeRequests = emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/git/trees'));
    expect(treeRequests.length).toBeGreaterThan(5);
    expect(treeRequests.length).toBeLessThan(40);
    const bodies = treeRequests.map((request) => request.body as { base_tree: string; tree: { path: string; content: string }[] });
    expect(bodies[0]!.base_tree).toBe(await git('rev-parse', `${before}^{tree}`));
    // Each tree request builds on the previous one's result: its base already holds the
    // previous request's files with their new content.
    for (let index = 1; index < bodies.length; index++) {
      const previous = bodies[index - 1]!.tree.at(-1)!;
      expect(await git('show', `${bodies[index]!.base_tree}:${previous.path}`)).toBe(previous.content);
    }
    expect(bodies.reduce((sum, body) => sum + body.tree.length, 0)).toBe(1500);
    expect(writes(emulator.requests).map((request) => request.method + ' ' + request.path.split('/').pop())).toEqual([
      ...treeRequests.map(() => 'POST trees'),
      'POST commits',
      `PATCH ${branch}`,
    ]);
    expect(await git('rev-parse', `${split.commit}^`)).toBe(before);
    expect((await git('diff', '--name-only', before, split.commit!)).split('\n')).toHaveLength(1500);
    expect(logs.some((entry) => entry.message.includes('chained tree requests'))).toBe(true);
  });

  it('sends non-UTF-8 content as a blob and text inline, both byte for byte', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096), Buffer.from([0xff, 0xc0])]);
    const withNul = Buffer.from('a\0b', 'utf8');
    const unicode = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name": "Café ☎ 📞", "crlf": "a\r\nb"}\n', 'utf8')]);
    const result = await publisher().publish({
      files: [
        { path: 'img/phone.png', content: png },
        { path: 'data/nul.bin', content: withNul },
        { path: 'data/unicode.json', content: unicode },
      ],
      deletions: [],
      message: 'binary',
    });
    expect(result.changed).toEqual(['data/nul.bin', 'data/unicode.json', 'img/phone.png']);

    for (const [filePath, bytes] of [['img/phone.png', png], ['data/nul.bin', withNul], ['data/unicode.json', unicode]] as const) {
      expect((await gitRaw(emulator.gitDir, ['cat-file', 'blob', `${branch}:${filePath}`])).equals(bytes)).toBe(true);
      expect(await git('rev-parse', `${branch}:${filePath}`)).toBe(gitBlobSha(bytes));
    }
    const blobs = emulator.requests.filter((request) => request.path.endsWith('/git/blobs'));
    expect(blobs.map((request) => request.body)).toEqual([
      { content: png.toString('base64'), encoding: 'base64' },
      { content: withNul.toString('base64'), encoding: 'base64' },
    ]);
    const tree = emulator.requests.find((request) => request.path.endsWith('/git/trees'))!.body as { tree: unknown[] };
    expect(tree.tree).toEqual([
      { path: 'img/phone.png', mode: '100644', type: 'blob', sha: gitBlobSha(png) },
      { path: 'data/nul.bin', mode: '100644', type: 'blob', sha: gitBlobSha(withNul) },
      { path: 'data/unicode.json', mode: '100644', type: 'blob', content: unicode.toString('utf8') },
    ]);

    const read = await publisher().readFile('img/phone.png');
    expect(read && Buffer.from(read).equals(png)).toBe(true);
    emulator.requests.length = 0;
    expect((await publisher().publish({ files: [{ path: 'img/phone.png', content: png }], deletions: [], message: 'same' })).commit).toBeNull();
    expect(writes(emulator.requests)).toEqual([]);
  });

  it('falls back to reading the subtrees it needs when the recursive listing is truncated', async () => {
    await pushWithGit({ 'index.html': 'home', 'data/a.json': '[1]', 'data/date/2025/03/01.json': '[]', 'other/x.json': 'x', 'big/y.json': 'y' });
    const rootTree = await git('rev-parse', `${branch}^{tree}`);
    const dataTree = await git('rev-parse', `${branch}:data`);
    // GitHub cut the listing short: an incomplete (and here misleading) answer.
    emulator.injectFault({
      method: 'GET',
      path: new RegExp(`/git/trees/${rootTree}$`),
      times: 1,
      status: 200,
      body: { sha: rootTree, url: '', truncated: true, tree: [{ path: 'data/a.json', mode: '100644', type: 'blob', sha: gitBlobSha(text('[1]')) }] },
    });
    emulator.requests.length = 0;

    const result = await publisher().publish({
      files: filesOf({ 'index.html': 'home', 'data/a.json': '[1]', 'data/date/2025/03/01.json': '[1]' }),
      deletions: ['other/x.json', 'nowhere/z.json'],
      message: 'truncated',
    });
    expect(result.changed).toEqual(['data/date/2025/03/01.json', 'other/x.json']);
    expect(await filesAt(branch)).toEqual(['big/y.json', 'data/a.json', 'data/date/2025/03/01.json', 'index.html']);
    const listings = emulator.requests.filter((request) => request.path.includes('/git/trees/')).map((request) => [request.path.split('/').pop(), request.query ?? '']);
    expect(listings).toEqual([
      [rootTree, 'recursive=1'],
      [rootTree, ''],
      [dataTree, 'recursive=1'],
      [await git('rev-parse', `${result.commit}^:other`), 'recursive=1'],
    ]);
  });

  it('refuses a file over 100 MiB before any request, and warns about one over 50 MiB', async () => {
    const huge = new Uint8Array(101 * 1024 * 1024);
    const refused = publisher().publish({ files: [{ path: 'data/small.json', content: text('[]') }, { path: 'data/huge.bin', content: huge }], deletions: [], message: 'x' });
    await expect(refused).rejects.toThrow(FileTooLargeError);
    await expect(refused).rejects.toThrow(/data\/huge\.bin is 105906176 bytes \(101\.0 MiB\).*100 MiB/);
    expect(emulator.requests).toEqual([]);

    const large = new Uint8Array(51 * 1024 * 1024).fill(0x61);
    const result = await publisher().publish({ files: [{ path: 'data/large.txt', content: large }], deletions: [], message: 'large' });
    expect(result.changed).toEqual(['data/large.txt']);
    expect(await git('cat-file', '-s', `${branch}:data/large.txt`)).toBe(String(large.byteLength));
    expect(logs.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'data/large.txt is 51.0 MiB; GitHub warns about files over 50 MiB',
    ]);
  });

  it('refuses invalid and duplicate paths before any request', async () => {
    for (const bad of ['/abs.json', 'a//b.json', '../up.json', 'dir/', '.git/config', '']) {
      await expect(publisher().publish({ files: filesOf({ [bad]: 'x' }), deletions: [], message: 'x' })).rejects.toThrow(/cannot publish file/);
    }
    await expect(publisher().publish({ files: filesOf({ 'a.json': 'x' }), deletions: ['a.json'], message: 'x' })).rejects.toThrow(/more than once/);
    expect(emulator.requests).toEqual([]);
  });

  it('says what to do when the repository is completely empty on github.com', async () => {
    const strict = await startEmulator({ repoDir: path.join(tmp, 'strict.git') });
    const failure = publisherFor(strict).publish({ files: filesOf({ 'a.json': '[]' }), deletions: [], message: 'x' });
    await expect(failure).rejects.toThrow(GitHubApiError);
    await expect(failure).rejects.toThrow(/futel\/usage is an empty repository.*push any commit/);
  });

  it('names its target', () => {
    expect(new GitHubPublisher({ owner, repo, token: 'x' }).target).toBe('github.com/futel/usage@gh-pages');
    expect(new GitHubPublisher({ owner, repo, token: 'x', branch: 'pages', baseUrl: 'https://ghe.example/api/v3' }).target).toBe('ghe.example/futel/usage@pages');
    expect(publisher().target).toBe(`${new URL(emulator.url).host}/futel/usage@gh-pages`);
    expect(() => new GitHubPublisher({ owner, repo, token: 'x', branch: 'bad..name' })).toThrow(/invalid branch name/);
  });
});

describe('GitHubPublisher: readFile', () => {
  it('reads files from the branch, and null for a missing file or branch', async () => {
    expect(await publisher().readFile('data/updated_state.json')).toBeNull(); // empty repository
    const state = JSON.stringify({ 'events/prod/20250301': { size: 10, ts: '2025-03-01 00:00:00+00:00' } }, null, 2);
    const large = 'x'.repeat(1536 * 1024);
    await pushWithGit({ 'data/updated_state.json': state, 'data/large.txt': large });

    const read = await publisher().readFile('data/updated_state.json');
    expect(read && Buffer.from(read).toString('utf8')).toBe(state);
    // Over 1 MB the contents API sends no content: the blob is read instead.
    const big = await publisher().readFile('data/large.txt');
    expect(big && Buffer.from(big).toString('utf8')).toBe(large);
    expect(emulator.requests.some((request) => request.path.includes('/git/blobs/'))).toBe(true);
    expect(await publisher().readFile('data/missing.json')).toBeNull();
    expect(await publisher().readFile('data')).toBeNull();
    expect(await publisher({ branch: 'no-such-branch' }).readFile('data/updated_state.json')).toBeNull();
  });
});

describe('GitHubPublisher: faults', () => {
  it('retries 5xx answers through the retry plugin, without duplicate commits', async () => {
    const old = await pushWithGit({ 'a.json': '[0]' });
    emulator.requests.length = 0;
    emulator.injectFault({ method: 'GET', path: /\/git\/ref\//, times: 1, status: 502 });
    emulator.injectFault({ method: 'POST', path: /\/git\/trees$/, times: 2, status: 500 });
    emulator.injectFault({ method: 'PATCH', path: /\/git\/refs\//, times: 1, status: 503 });

    const result = await publisher().publish({ files: filesOf({ 'a.json': '[1]' }), deletions: [], message: 'through faults' });
    expect(await git('rev-parse', branch)).toBe(result.commit);
    expect(await git('rev-parse', `${branch}^`)).toBe(old);
    expect(emulator.requests.map((request) => `${request.method} ${request.status}`)).toEqual([
      'GET 502',
      'GET 200',
      'GET 200',
      'GET 200',
      'POST 500',
      'POST 500',
      'POST 201',
      'POST 201',
      'PATCH 503',
      'PATCH 200',
    ]);

    emulator.injectFault({ method: 'GET', path: /\/git\/ref\//, times: 10, status: 500 });
    const failure = publisher().publish({ files: filesOf({ 'a.json': '[2]' }), deletions: [], message: 'x' });
    await expect(failure).rejects.toThrow(GitHubApiError);
    await expect(failure).rejects.toThrow(/reading branch .*GitHub answered 500/);
  });

  it('waits out a secondary rate limit as retry-after says, through the throttling plugin', async () => {
    await pushWithGit({ 'a.json': '[0]' });
    emulator.requests.length = 0;
    emulator.injectFault({
      method: 'POST',
      path: /\/git\/commits$/,
      times: 1,
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    const result = await publisher().publish({ files: filesOf({ 'a.json': '[1]' }), deletions: [], message: 'throttled' });
    expect(await git('rev-parse', branch)).toBe(result.commit);
    expect(emulator.requests.filter((request) => request.path.endsWith('/git/commits')).map((request) => request.status)).toEqual([403, 201]);
    const warning = logs.find((entry) => entry.level === 'warn' && entry.message.includes('secondary rate limit'));
    expect(warning?.data).toMatchObject({ retryAfter: 1, retryCount: 0, method: 'POST' });
  });

  it('gives up on a primary rate limit that resets too far ahead, saying so', async () => {
    const limited = await startEmulator({ repoDir: path.join(tmp, 'limited.git'), rateLimit: 1 });
    const failure = publisherFor(limited).publish({ files: filesOf({ 'a.json': '[]' }), deletions: [], message: 'x' });
    await expect(failure).rejects.toThrow(/rate limit/);
    expect(limited.requests.map((request) => request.status)).toEqual([409, 403]);
    expect(logs.some((entry) => entry.level === 'error' && /rate limit .*more than 120 s/.test(entry.message))).toBe(true);
  });

  it('rebuilds on a branch that moved before the ref update, keeping the other commit', async () => {
    const old = await pushWithGit({ 'index.html': 'home', 'data/a.json': '[0]' }, 'seed');
    let outsider = '';
    emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH' && !outsider) {
        // Another writer lands a commit between our read and our update, and it already
        // holds one of the files we are about to publish.
        outsider = await pushWithGit({ 'outsider.txt': 'theirs', 'data/a.json': '[1]' });
      }
    });

    const result = await publisher().publish({ files: filesOf({ 'data/a.json': '[1]', 'data/b.json': '[2]' }), deletions: [], message: 'mine' });
    const head = await git('rev-parse', branch);
    expect(result).toEqual({ commit: head, changed: ['data/b.json'], head });
    expect(await git('log', '--first-parent', '--format=%s', branch)).toBe('mine\noutsider\nseed');
    expect(await git('rev-parse', `${head}^`, `${head}^^`)).toBe(`${outsider}\n${old}`);
    expect(await filesAt(branch)).toEqual(['data/a.json', 'data/b.json', 'index.html', 'outsider.txt']);
    expect(await git('show', `${branch}:outsider.txt`)).toBe('theirs');
    expect(await git('diff', '--name-status', outsider, head)).toBe('A\tdata/b.json');
    expect(emulator.requests.filter((request) => request.method === 'PATCH').map((request) => [request.status, (request.body as { force: boolean }).force])).toEqual([
      [422, false],
      [200, false],
    ]);
    expect(logs.some((entry) => entry.level === 'warn' && entry.message.includes('moved'))).toBe(true);
  });

  it('rebuilds on a branch someone else created during the first publish', async () => {
    let outsider = '';
    emulator.beforeRequest(async ({ method, path: requestPath }) => {
      if (method === 'POST' && requestPath.endsWith('/git/refs') && !outsider) outsider = await pushWithGit({ 'theirs.txt': 'x' }, 'their root');
    });
    const result = await publisher().publish({ files: filesOf({ 'mine.txt': 'y' }), deletions: [], message: 'mine' });
    expect(await git('rev-parse', `${result.commit}^`)).toBe(outsider);
    expect(await git('rev-list', '--count', branch)).toBe('2');
    expect(await filesAt(branch)).toEqual(['mine.txt', 'theirs.txt']);
    expect(emulator.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 201',
      'POST 201',
      'POST 422',
      'POST 201',
      'POST 201',
      'PATCH 200',
    ]);
  });

  it('ends in PublishConflictError when the branch keeps moving, losing nothing', async () => {
    const old = await pushWithGit({ 'a.json': '[0]' }, 'seed');
    const theirs: string[] = [];
    emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH') theirs.push(await pushWithGit({ [`theirs-${theirs.length}.txt`]: 'x' }, `theirs ${theirs.length}`));
    });
    const failure = publisher({ maxAttempts: 3 }).publish({ files: filesOf({ 'a.json': '[1]' }), deletions: [], message: 'mine' });
    await expect(failure).rejects.toThrow(PublishConflictError);
    await expect(failure).rejects.toThrow(/futel\/usage@gh-pages kept moving.*3 attempts.*nothing was published/);
    expect(emulator.requests.filter((request) => request.method === 'PATCH').map((request) => request.status)).toEqual([422, 422, 422]);
    expect(await git('rev-parse', branch)).toBe(theirs.at(-1));
    expect(await git('log', '--format=%s', branch)).toBe('theirs 2\ntheirs 1\ntheirs 0\nseed');
    expect(await git('rev-parse', `${theirs[0]}^`)).toBe(old);
    expect(await git('show', `${branch}:a.json`)).toBe('[0]');
  });
});

describe('GitHubPublisher: tokens', () => {
  it('takes the token from a function, and explains a rejected one without showing it', async () => {
    const guarded = await startEmulator({ repoDir: path.join(tmp, 'guarded.git'), token: 'right-token' });
    let asked = 0;
    const source = async () => {
      asked++;
      return 'right-token';
    };
    const result = await publisherFor(guarded, { token: source }).publish({ files: filesOf({ 'a.json': '[]' }), deletions: [], message: 'x' });
    expect(result.commit).not.toBeNull();
    expect(asked).toBe(guarded.requests.length);
    expect(guarded.requests.every((request) => request.status !== 401)).toBe(true);

    for (const wrong of [publisherFor(guarded, { token: 'wrong-token' }), publisherFor(guarded, { token: async () => 'wrong-token' })]) {
      const failure = wrong.publish({ files: filesOf({ 'a.json': '[1]' }), deletions: [], message: 'x' });
      await expect(failure).rejects.toThrow(GitHubApiError);
      await expect(failure).rejects.toThrow(/reading branch .*futel\/usage@gh-pages: GitHub rejected the token \(401 Bad credentials\)/);
      await expect(failure).rejects.toMatchObject({ status: 401 });
      await expect(wrong.readFile('a.json')).rejects.toThrow(/401 Bad credentials/);
    }
    const failure = await publisherFor(guarded, { token: 'wrong-token' }).publish({ files: [], deletions: [], message: 'x' }).catch((error: unknown) => error);
    expect(String(failure)).not.toContain('wrong-token');
    expect(JSON.stringify(logs)).not.toMatch(/right-token|wrong-token/);
  });

  it('reads GITHUB_TOKEN from the environment, naming the variable when it is missing', () => {
    expect(tokenFromEnvironment({ GITHUB_TOKEN: ' ghp_abc \n' })).toBe('ghp_abc');
    expect(() => tokenFromEnvironment({})).toThrow(/GITHUB_TOKEN is not set/);
    expect(() => tokenFromEnvironment({ GITHUB_TOKEN: '  ' })).toThrow(/GITHUB_TOKEN is not set/);
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
