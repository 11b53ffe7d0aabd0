/**
 * GitHubPublisher over HTTP against the GitHub emulator (a real git repository behind a
 * GitHub-shaped REST server, with github.com's limits), with every result checked with git.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PublishConflictError } from '../../functions/core/publisher.js';
import { FileTooLargeError, GitHubApiError, GitHubPublisher, gitBlobSha } from '../../functions/adapters/github-publisher.js';
import { gitRaw } from '../support/git.js';
import { branch, calls, GitHubHarness, owner, publishRequest, refPath, repo, text, writes } from './support/github-harness.js';

const h = new GitHubHarness();

beforeEach(() => h.setUp());
afterEach(() => h.tearDown());

describe('GitHubPublisher: publishing', () => {
  it('starts an empty repository with a Contents API commit of the first file, then commits the rest on it', async () => {
    const files = {
      'data/date/2025/03/20250301.json': '[{"event": "incoming-call"}]',
      'data/event-list.json': '["incoming-call", "outgoing-call"]',
      'index.html': '<h1>usage</h1>\n',
    };
    const result = await h.publisher().publish(publishRequest(files, ['data/not-there.json'], 'Publish usage data'));

    const head = await h.git('rev-parse', `refs/heads/${branch}`);
    expect(result).toMatchObject({ commit: head, changed: Object.keys(files).sort(), head, remaining: [], stoppedBy: null });
    expect(await h.git('log', '--format=%P|%an <%ae>|%cn|%B', branch)).toBe(
      `${await h.git('rev-parse', `${head}^`)}|Futel Usage Bot <usage-bot@futel.example>|Futel Usage Bot|Publish usage data\n|Futel Usage Bot <usage-bot@futel.example>|Futel Usage Bot|Publish usage data`,
    );
    // The first commit holds the first entry only: a prefix of the request, as any partial publish.
    expect(await h.filesAt(`${head}^`)).toEqual(['data/date/2025/03/20250301.json']);
    expect(await h.filesAt(branch)).toEqual(Object.keys(files).sort());
    for (const [filePath, content] of Object.entries(files)) expect(await h.git('show', `${branch}:${filePath}`)).toBe(content.trim());

    expect(calls(h.emulator.requests)).toEqual([
      `GET ${refPath} 409`,
      `PUT /repos/${owner}/${repo}/contents/data/date/2025/03/20250301.json 201`,
      `GET /repos/${owner}/${repo}/git/trees/<sha> 200`,
      `POST /repos/${owner}/${repo}/git/trees 201`,
      `POST /repos/${owner}/${repo}/git/commits 201`,
      `PATCH /repos/${owner}/${repo}/git/refs/heads/${branch} 200`,
    ]);
    expect(h.emulator.requests[1]!.body).toMatchObject({ branch, message: 'Publish usage data', content: Buffer.from(files['data/date/2025/03/20250301.json']).toString('base64') });
    expect(result.requests).toEqual({ total: 6, contentCreating: 4, largestBodyBytes: expect.any(Number) });
  });

  it('makes no commit in an empty repository when the request only removes paths', async () => {
    const result = await h.publisher().publish(publishRequest({}, ['data/a.json'], 'x'));
    expect(result).toMatchObject({ commit: null, changed: [], head: null, remaining: [] });
    expect(writes(h.emulator.requests)).toEqual([]);
  });

  it('makes one commit on the old head with exactly the changed, added and deleted paths', async () => {
    const old = await h.pushWithGit({ 'index.html': 'home', 'data/a.json': '[1]', 'data/old.json': '[0]', 'data/keep.json': '[2]' }, 'seed');
    h.emulator.requests.length = 0;

    const result = await h.publisher().publish(publishRequest({ 'index.html': 'home', 'data/a.json': '[1, 2]', 'data/b.json': '[3]', 'data/keep.json': '[2]' }, ['data/old.json', 'data/never-was.json'], 'Usage run 2025-03-02'));

    const head = await h.git('rev-parse', branch);
    expect(result).toMatchObject({ commit: head, changed: ['data/a.json', 'data/b.json', 'data/old.json'], head, remaining: [], stoppedBy: null });
    expect(await h.git('rev-parse', `${head}^`)).toBe(old);
    expect(await h.git('rev-list', '--count', branch)).toBe('2');
    expect(await h.git('diff', '--name-status', old, head)).toBe('M\tdata/a.json\nA\tdata/b.json\nD\tdata/old.json');
    expect(await h.git('show', `${branch}:data/a.json`)).toBe('[1, 2]');
    expect(await h.git('log', '-1', '--format=%B', branch)).toBe('Usage run 2025-03-02');

    expect(calls(h.emulator.requests)).toEqual([
      `GET ${refPath} 200`,
      `GET /repos/${owner}/${repo}/git/commits/<sha> 200`,
      `GET /repos/${owner}/${repo}/git/trees/<sha> 200`,
      `POST /repos/${owner}/${repo}/git/trees 201`,
      `POST /repos/${owner}/${repo}/git/commits 201`,
      `PATCH /repos/${owner}/${repo}/git/refs/heads/${branch} 200`,
    ]);
    expect(h.emulator.requests[2]!.query).toBe('recursive=1');
    const oldTree = await h.git('rev-parse', `${old}^{tree}`);
    expect(h.emulator.requests[3]!.body).toEqual({
      base_tree: oldTree,
      tree: [
        { path: 'data/a.json', mode: '100644', type: 'blob', content: '[1, 2]' },
        { path: 'data/b.json', mode: '100644', type: 'blob', content: '[3]' },
        { path: 'data/old.json', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(h.emulator.requests[4]!.body).toMatchObject({ parents: [old] });
    expect(h.emulator.requests[5]!.body).toEqual({ sha: head, force: false });
  });

  it('makes no commit and no write request when the branch already holds the files', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const files = { 'index.html': 'home', 'data/a.json': '[1]', 'img/logo.bin': new Uint8Array([0xff, 0x00, 0xfe]) };
    const first = await h.publisher().publish(publishRequest(files, [], 'first'));
    h.emulator.requests.length = 0;

    const again = await h.publisher().publish(publishRequest(files, ['data/gone.json'], 'again'));
    expect(again).toEqual({ commit: null, changed: [], head: first.commit, remaining: [], stoppedBy: null, requests: { total: 3, contentCreating: 0, largestBodyBytes: 0 } });
    expect(writes(h.emulator.requests)).toEqual([]);
    expect(h.emulator.requests).toHaveLength(3);
    expect(await h.git('rev-list', '--count', branch)).toBe('2');
  });

  it('writes 1,500 files in tree requests of at most 150 entries, and splits further when the byte bound says so', async () => {
    const many = (version: number, changedEvery = 1) =>
      Object.fromEntries(
        Array.from({ length: 1500 }, (_, i) => [
          `data/date/${2021 + (i % 4)}/${String((i % 12) + 1).padStart(2, '0')}/${i}.json`,
          `[{"day": ${i}, "version": ${i % changedEvery === 0 ? version : 0}}]`,
        ]),
      );
    await h.pushWithGit({ 'README.md': 'seed' });
    h.emulator.requests.length = 0;
    await h.publisher().publish(publishRequest(many(0), [], 'all'));
    const firstTrees = h.emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/git/trees'));
    expect(firstTrees.map((request) => (request.body as { tree: unknown[] }).tree.length)).toEqual([...Array(10).fill(150)]);
    expect(h.emulator.requests).toHaveLength(3 + 10 + 2);
    expect(await h.filesAt(branch)).toHaveLength(1501);

    h.emulator.requests.length = 0;
    const some = await h.publisher().publish(publishRequest(many(1, 150), [], 'ten changed'));
    expect(some.changed).toHaveLength(10);
    expect(h.emulator.requests).toHaveLength(6);
    expect(await h.git('diff', '--name-only', `${some.commit}^`, some.commit!)).toBe(some.changed.join('\n'));

    h.emulator.requests.length = 0;
    const before = await h.git('rev-parse', branch);
    const split = await h.publisher({ maxTreeRequestBytes: 20_000 }).publish(publishRequest(many(2), [], 'all changed'));
    expect(split.changed).toHaveLength(1500);
    const treeRequests = h.emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/git/trees'));
    expect(treeRequests.length).toBeGreaterThan(5);
    expect(treeRequests.length).toBeLessThan(40);
    const bodies = treeRequests.map((request) => request.body as { base_tree: string; tree: { path: string; content: string }[] });
    expect(bodies[0]!.base_tree).toBe(await h.git('rev-parse', `${before}^{tree}`));
    // Each tree request builds on the previous one's result: its base already holds the
    // previous request's files with their new content.
    for (let index = 1; index < bodies.length; index++) {
      const previous = bodies[index - 1]!.tree.at(-1)!;
      expect(await h.git('show', `${bodies[index]!.base_tree}:${previous.path}`)).toBe(previous.content);
    }
    expect(bodies.reduce((sum, body) => sum + body.tree.length, 0)).toBe(1500);
    expect(writes(h.emulator.requests).map((request) => request.method + ' ' + request.path.split('/').pop())).toEqual([
      ...treeRequests.map(() => 'POST trees'),
      'POST commits',
      `PATCH ${branch}`,
    ]);
    expect(await h.git('rev-parse', `${split.commit}^`)).toBe(before);
    expect((await h.git('diff', '--name-only', before, split.commit!)).split('\n')).toHaveLength(1500);
    expect(h.emulator.stats.limitRefusals).toBe(0);
    expect(h.logs.some((entry) => entry.message.includes('chained tree requests'))).toBe(true);
  });

  it('sends non-UTF-8 content as a blob and text inline, both byte for byte', async () => {
    await h.pushWithGit({ 'README.md': 'seed' });
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096), Buffer.from([0xff, 0xc0])]);
    const withNul = Buffer.from('a\0b', 'utf8');
    const unicode = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name": "Café ☎ 📞", "crlf": "a\r\nb"}\n', 'utf8')]);
    const result = await h.publisher().publish(publishRequest({ 'img/phone.png': png, 'data/nul.bin': withNul, 'data/unicode.json': unicode }, [], 'binary'));
    expect(result.changed).toEqual(['data/nul.bin', 'data/unicode.json', 'img/phone.png']);

    for (const [filePath, bytes] of [['img/phone.png', png], ['data/nul.bin', withNul], ['data/unicode.json', unicode]] as const) {
      expect((await gitRaw(h.emulator.gitDir, ['cat-file', 'blob', `${branch}:${filePath}`])).equals(bytes)).toBe(true);
      expect(await h.git('rev-parse', `${branch}:${filePath}`)).toBe(gitBlobSha(bytes));
    }
    const blobs = h.emulator.requests.filter((request) => request.path.endsWith('/git/blobs'));
    expect(blobs.map((request) => request.body)).toEqual([
      { content: png.toString('base64'), encoding: 'base64' },
      { content: withNul.toString('base64'), encoding: 'base64' },
    ]);
    const tree = h.emulator.requests.find((request) => request.path.endsWith('/git/trees'))!.body as { tree: unknown[] };
    expect(tree.tree).toEqual([
      { path: 'img/phone.png', mode: '100644', type: 'blob', sha: gitBlobSha(png) },
      { path: 'data/nul.bin', mode: '100644', type: 'blob', sha: gitBlobSha(withNul) },
      { path: 'data/unicode.json', mode: '100644', type: 'blob', content: unicode.toString('utf8') },
    ]);

    const read = await h.publisher().readFile('img/phone.png');
    expect(read && Buffer.from(read).equals(png)).toBe(true);
    h.emulator.requests.length = 0;
    expect((await h.publisher().publish(publishRequest({ 'img/phone.png': png }, [], 'same'))).commit).toBeNull();
    expect(writes(h.emulator.requests)).toEqual([]);
  });

  it('falls back to reading the subtrees it needs when the recursive listing is truncated', async () => {
    await h.pushWithGit({ 'index.html': 'home', 'data/a.json': '[1]', 'data/date/2025/03/01.json': '[]', 'other/x.json': 'x', 'big/y.json': 'y' });
    const rootTree = await h.git('rev-parse', `${branch}^{tree}`);
    const dataTree = await h.git('rev-parse', `${branch}:data`);
    // GitHub cut the listing short: an incomplete (and here misleading) answer.
    h.emulator.injectFault({
      method: 'GET',
      path: new RegExp(`/git/trees/${rootTree}$`),
      times: 1,
      status: 200,
      body: { sha: rootTree, url: '', truncated: true, tree: [{ path: 'data/a.json', mode: '100644', type: 'blob', sha: gitBlobSha(text('[1]')) }] },
    });
    h.emulator.requests.length = 0;

    const result = await h.publisher().publish(publishRequest({ 'index.html': 'home', 'data/a.json': '[1]', 'data/date/2025/03/01.json': '[1]' }, ['other/x.json', 'nowhere/z.json'], 'truncated'));
    expect(result.changed).toEqual(['data/date/2025/03/01.json', 'other/x.json']);
    expect(await h.filesAt(branch)).toEqual(['big/y.json', 'data/a.json', 'data/date/2025/03/01.json', 'index.html']);
    const listings = h.emulator.requests.filter((request) => request.path.includes('/git/trees/')).map((request) => [request.path.split('/').pop(), request.query ?? '']);
    expect(listings).toEqual([
      [rootTree, 'recursive=1'],
      [rootTree, ''],
      [dataTree, 'recursive=1'],
      [await h.git('rev-parse', `${result.commit}^:other`), 'recursive=1'],
    ]);
  });

  it('refuses a file over 100 MiB before any request, and warns about one over 50 MiB', async () => {
    const seed = await h.pushWithGit({ 'README.md': 'seed' });
    const huge = new Uint8Array(101 * 1024 * 1024);
    const refused = h.publisher().publish(publishRequest({ 'data/small.json': text('[]'), 'data/huge.bin': huge }, [], 'x'));
    await expect(refused).rejects.toThrow(FileTooLargeError);
    await expect(refused).rejects.toThrow(/data\/huge\.bin is 105906176 bytes \(101\.0 MiB\).*100 MiB/);
    expect(writes(h.emulator.requests)).toEqual([]);
    expect(await h.git('rev-parse', branch)).toBe(seed);

    const large = new Uint8Array(51 * 1024 * 1024).fill(0x61);
    const result = await h.publisher().publish(publishRequest({ 'data/large.txt': large }, [], 'large'));
    expect(result.changed).toEqual(['data/large.txt']);
    expect(await h.git('cat-file', '-s', `${branch}:data/large.txt`)).toBe(String(large.byteLength));
    expect(h.logs.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'data/large.txt is 51.0 MiB; GitHub warns about files over 50 MiB',
    ]);
  });

  it('refuses invalid and duplicate paths before any request', async () => {
    for (const bad of ['/abs.json', 'a//b.json', '../up.json', 'dir/', '.git/config', '']) {
      await expect(h.publisher().publish(publishRequest({ [bad]: 'x' }, [], 'x'))).rejects.toThrow(/^cannot publish ".*": the path /);
    }
    await expect(h.publisher().publish(publishRequest({ 'a.json': 'x' }, ['a.json'], 'x'))).rejects.toThrow('cannot publish: "a.json" appears more than once');
    expect(h.emulator.requests).toEqual([]);
  });

  it('names its target', () => {
    expect(new GitHubPublisher({ owner, repo, token: 'x' }).target).toBe('github.com/futel/usage@gh-pages');
    expect(new GitHubPublisher({ owner, repo, token: 'x', branch: 'pages', baseUrl: 'https://ghe.example/api/v3' }).target).toBe('ghe.example/futel/usage@pages');
    expect(h.publisher().target).toBe(`${new URL(h.emulator.url).host}/futel/usage@gh-pages`);
    expect(() => new GitHubPublisher({ owner, repo, token: 'x', branch: 'bad..name' })).toThrow(/invalid branch name/);
  });
});

describe('GitHubPublisher: readFile', () => {
  it('reads files from the branch, and null for a missing file or branch', async () => {
    expect(await h.publisher().readFile('data/updated_state.json')).toBeNull(); // empty repository
    const state = JSON.stringify({ 'events/prod/20250301': { size: 10, ts: '2025-03-01 00:00:00+00:00' } }, null, 2);
    const large = 'x'.repeat(1536 * 1024);
    await h.pushWithGit({ 'data/updated_state.json': state, 'data/large.txt': large });

    const read = await h.publisher().readFile('data/updated_state.json');
    expect(read && Buffer.from(read).toString('utf8')).toBe(state);
    // Over 1 MB the contents API sends no content: the blob is read instead.
    const big = await h.publisher().readFile('data/large.txt');
    expect(big && Buffer.from(big).toString('utf8')).toBe(large);
    expect(h.emulator.requests.some((request) => request.path.includes('/git/blobs/'))).toBe(true);
    expect(await h.publisher().readFile('data/missing.json')).toBeNull();
    expect(await h.publisher().readFile('data')).toBeNull();
    expect(await h.publisher({ branch: 'no-such-branch' }).readFile('data/updated_state.json')).toBeNull();
  });
});

describe('GitHubPublisher: faults', () => {
  it('retries 5xx answers through the retry plugin, without duplicate commits', async () => {
    const old = await h.pushWithGit({ 'a.json': '[0]' });
    h.emulator.requests.length = 0;
    h.emulator.injectFault({ method: 'GET', path: /\/git\/ref\//, times: 1, status: 502 });
    h.emulator.injectFault({ method: 'POST', path: /\/git\/trees$/, times: 2, status: 500 });
    h.emulator.injectFault({ method: 'PATCH', path: /\/git\/refs\//, times: 1, status: 503 });

    const result = await h.publisher().publish(publishRequest({ 'a.json': '[1]' }, [], 'through faults'));
    expect(await h.git('rev-parse', branch)).toBe(result.commit);
    expect(await h.git('rev-parse', `${branch}^`)).toBe(old);
    expect(h.emulator.requests.map((request) => `${request.method} ${request.status}`)).toEqual([
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

    h.emulator.injectFault({ method: 'GET', path: /\/git\/ref\//, times: 10, status: 500 });
    const failure = h.publisher().publish(publishRequest({ 'a.json': '[2]' }, [], 'x'));
    await expect(failure).rejects.toThrow(GitHubApiError);
    await expect(failure).rejects.toThrow(/reading branch .*GitHub answered 500/);
  });

  it('waits out a secondary rate limit as retry-after says, through the throttling plugin', async () => {
    await h.pushWithGit({ 'a.json': '[0]' });
    h.emulator.requests.length = 0;
    h.emulator.injectFault({
      method: 'POST',
      path: /\/git\/commits$/,
      times: 1,
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    const result = await h.publisher().publish(publishRequest({ 'a.json': '[1]' }, [], 'throttled'));
    expect(await h.git('rev-parse', branch)).toBe(result.commit);
    expect(h.emulator.requests.filter((request) => request.path.endsWith('/git/commits')).map((request) => request.status)).toEqual([403, 201]);
    const warning = h.logs.find((entry) => entry.level === 'warn' && entry.message.includes('secondary rate limit'));
    expect(warning?.data).toMatchObject({ retryAfter: 1, retryCount: 0, method: 'POST' });
  });

  it('gives up on a primary rate limit that resets too far ahead, saying so', async () => {
    const limited = await h.startEmulator({ repoDir: path.join(h.tmp, 'limited.git'), rateLimit: 1 });
    const failure = h.publisherFor(limited).publish(publishRequest({ 'a.json': '[]' }, [], 'x'));
    await expect(failure).rejects.toThrow(/rate limit/);
    expect(limited.requests.map((request) => request.status)).toEqual([409, 403]);
    expect(h.logs.some((entry) => entry.level === 'error' && /rate limit .*more than 120 s/.test(entry.message))).toBe(true);
  });

  it('rebuilds on a branch that moved before the ref update, keeping the other commit', async () => {
    const old = await h.pushWithGit({ 'index.html': 'home', 'data/a.json': '[0]' }, 'seed');
    let outsider = '';
    h.emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH' && !outsider) {
        // Another writer lands a commit between our read and our update, and it already
        // holds one of the files we are about to publish.
        outsider = await h.pushWithGit({ 'outsider.txt': 'theirs', 'data/a.json': '[1]' });
      }
    });

    const result = await h.publisher().publish(publishRequest({ 'data/a.json': '[1]', 'data/b.json': '[2]' }, [], 'mine'));
    const head = await h.git('rev-parse', branch);
    expect(result).toMatchObject({ commit: head, changed: ['data/b.json'], head, remaining: [] });
    expect(await h.git('log', '--first-parent', '--format=%s', branch)).toBe('mine\noutsider\nseed');
    expect(await h.git('rev-parse', `${head}^`, `${head}^^`)).toBe(`${outsider}\n${old}`);
    expect(await h.filesAt(branch)).toEqual(['data/a.json', 'data/b.json', 'index.html', 'outsider.txt']);
    expect(await h.git('show', `${branch}:outsider.txt`)).toBe('theirs');
    expect(await h.git('diff', '--name-status', outsider, head)).toBe('A\tdata/b.json');
    expect(h.emulator.requests.filter((request) => request.method === 'PATCH').map((request) => [request.status, (request.body as { force: boolean }).force])).toEqual([
      [422, false],
      [200, false],
    ]);
    expect(h.logs.some((entry) => entry.level === 'warn' && entry.message.includes('moved'))).toBe(true);
  });

  it('rebuilds on a branch someone else created during the first publish', async () => {
    // The repository has a default branch; the published one does not exist yet.
    await h.pushWithGit({ 'README.md': 'seed' }, 'seed', 'main');
    let outsider = '';
    h.emulator.beforeRequest(async ({ method, path: requestPath }) => {
      if (method === 'POST' && requestPath.endsWith('/git/refs') && !outsider) outsider = await h.pushWithGit({ 'theirs.txt': 'x' }, 'their root');
    });
    const result = await h.publisher().publish(publishRequest({ 'mine.txt': 'y' }, [], 'mine'));
    expect(await h.git('rev-parse', `${result.commit}^`)).toBe(outsider);
    expect(await h.git('rev-list', '--count', branch)).toBe('2');
    expect(await h.filesAt(branch)).toEqual(['mine.txt', 'theirs.txt']);
    expect(h.emulator.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 201',
      'POST 201',
      'POST 422',
      'POST 201',
      'POST 201',
      'PATCH 200',
    ]);
  });

  it('ends in PublishConflictError when the branch keeps moving, losing nothing', async () => {
    const old = await h.pushWithGit({ 'a.json': '[0]' }, 'seed');
    const theirs: string[] = [];
    h.emulator.beforeRequest(async ({ method }) => {
      if (method === 'PATCH') theirs.push(await h.pushWithGit({ [`theirs-${theirs.length}.txt`]: 'x' }, `theirs ${theirs.length}`));
    });
    const failure = h.publisher({ maxAttempts: 3 }).publish(publishRequest({ 'a.json': '[1]' }, [], 'mine'));
    await expect(failure).rejects.toThrow(PublishConflictError);
    await expect(failure).rejects.toThrow(/futel\/usage@gh-pages kept moving.*3 attempts.*nothing was published/);
    expect(h.emulator.requests.filter((request) => request.method === 'PATCH').map((request) => request.status)).toEqual([422, 422, 422]);
    expect(await h.git('rev-parse', branch)).toBe(theirs.at(-1));
    expect(await h.git('log', '--format=%s', branch)).toBe('theirs 2\ntheirs 1\ntheirs 0\nseed');
    expect(await h.git('rev-parse', `${theirs[0]}^`)).toBe(old);
    expect(await h.git('show', `${branch}:a.json`)).toBe('[0]');
  });
});
