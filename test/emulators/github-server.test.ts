/**
 * The GitHub emulator driven by a real Octokit over HTTP, with every result checked on the
 * repository with the git CLI itself.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import sodium from 'libsodium-wrappers';
import { GitHubEmulator, type GitHubEmulatorOptions } from '../../functions/emulators/github-server.js';
import { GitRepository } from '../../functions/adapters/git/repository.js';
import { gitRaw } from '../support/git.js';

const owner = 'futel';
const repo = 'usage';
const branch = 'gh-pages';


async function git(gitDir: string, ...args: string[]): Promise<string> {
  return (await gitRaw(gitDir, args)).toString('utf8').trim();
}

/** Status of a rejected Octokit call (RequestError), or a failure if it resolved. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const requestError = error as { status: number; message: string; response?: { headers: Record<string, string> } };
    return { status: requestError.status, message: requestError.message, headers: requestError.response?.headers ?? {} };
  }
  throw new Error('expected the request to fail');
}

/** Octokit's request log would print every expected 4xx/5xx as console.error. */
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let tmp: string;
let emulator: GitHubEmulator;
let kit: Octokit;
let gitDir: string;

async function startEmulator(overrides: Partial<GitHubEmulatorOptions> = {}): Promise<GitHubEmulator> {
  const started = await GitHubEmulator.start({ repoDir: path.join(tmp, 'usage.git'), owner, repo, ...overrides });
  emulators.push(started);
  return started;
}
const emulators: GitHubEmulator[] = [];

beforeAll(async () => {
  await sodium.ready;
});

/**
 * A first commit on `main`, made with git itself: like github.com, the emulator refuses Git
 * Data requests in an empty repository (see github-limits.test.ts).
 */
async function seedMain(dir: string): Promise<string> {
  const blob = (await gitRaw(dir, ['hash-object', '-w', '--stdin'], { input: 'seed\n' })).toString().trim();
  const tree = (await gitRaw(dir, ['mktree'], { input: `100644 blob ${blob}\tREADME.md\n` })).toString().trim();
  const commit = (await gitRaw(dir, ['commit-tree', tree], { input: 'seed' })).toString().trim();
  await git(dir, 'update-ref', 'refs/heads/main', commit);
  return commit;
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'github-emulator-test-'));
  emulator = await startEmulator();
  gitDir = emulator.gitDir;
  await seedMain(gitDir);
  kit = new Octokit({ baseUrl: emulator.url, log: quiet });
});

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((started) => started.close()));
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Creates a commit with `files` (null deletes) on top of `parent` (or as a root commit). */
async function commitFiles(files: Record<string, string | null>, parent?: string, message = 'publish'): Promise<string> {
  const baseTree = parent ? (await kit.rest.git.getCommit({ owner, repo, commit_sha: parent })).data.tree.sha : undefined;
  const tree = await kit.rest.git.createTree({
    owner,
    repo,
    ...(baseTree ? { base_tree: baseTree } : {}),
    tree: Object.entries(files).map(([filePath, content]) =>
      content === null
        ? { path: filePath, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path: filePath, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await kit.rest.git.createCommit({
    owner,
    repo,
    message,
    tree: tree.data.sha,
    parents: parent ? [parent] : [],
  });
  return commit.data.sha;
}

async function createBranch(files: Record<string, string>): Promise<string> {
  const sha = await commitFiles(files, undefined, 'first');
  await kit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
  return sha;
}

async function listFiles(treeish: string): Promise<string[]> {
  return (await git(gitDir, 'ls-tree', '-r', '--name-only', treeish)).split('\n').filter(Boolean);
}

describe('GitHubEmulator: branches and commits', () => {
  it('creates a branch from scratch (an orphan root commit) next to the default branch', async () => {
    expect(await git(gitDir, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect((await failure(kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }))).status).toBe(404);

    const tree = await kit.rest.git.createTree({
      owner,
      repo,
      tree: [
        { path: 'index.html', mode: '100644', type: 'blob', content: '<h1>usage</h1>\n' },
        { path: 'data/date/2025/03/01.json', mode: '100644', type: 'blob', content: '{"calls": 3}' },
      ],
    });
    expect(tree.status).toBe(201);
    expect(tree.data.truncated).toBe(false);
    expect(tree.data.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['data', 'tree'],
      ['index.html', 'blob'],
    ]);

    const commit = await kit.rest.git.createCommit({
      owner,
      repo,
      message: 'Publish usage data',
      tree: tree.data.sha,
      parents: [],
      author: { name: 'Futel Bot', email: 'bot@futel.example', date: '2025-03-01T12:00:00-08:00' },
    });
    expect(commit.status).toBe(201);
    expect(commit.data.parents).toEqual([]);
    expect(commit.data.tree.sha).toBe(tree.data.sha);
    expect(commit.data.author).toEqual({ name: 'Futel Bot', email: 'bot@futel.example', date: '2025-03-01T20:00:00Z' });
    // GitHub: an omitted committer is the author.
    expect(commit.data.committer).toEqual(commit.data.author);

    const ref = await kit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
    expect(ref.status).toBe(201);
    expect(ref.data).toMatchObject({ ref: `refs/heads/${branch}`, object: { sha: commit.data.sha, type: 'commit' } });
    expect(ref.data.object.url).toBe(`${emulator.url}/repos/${owner}/${repo}/git/commits/${commit.data.sha}`);

    // The real repository now has that branch, commit, identity and files.
    expect(await git(gitDir, 'rev-parse', `refs/heads/${branch}`)).toBe(commit.data.sha);
    expect(await git(gitDir, 'log', '-1', '--format=%an|%ae|%ad|%cn|%s', '--date=raw', branch)).toBe(
      'Futel Bot|bot@futel.example|1740859200 -0800|Futel Bot|Publish usage data',
    );
    expect(await git(gitDir, 'rev-list', '--count', branch)).toBe('1');
    expect(await git(gitDir, 'show', `${branch}:data/date/2025/03/01.json`)).toBe('{"calls": 3}');
    expect(await listFiles(branch)).toEqual(['data/date/2025/03/01.json', 'index.html']);

    const read = await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
    expect(read.data.object.sha).toBe(commit.data.sha);
    const legacy = await kit.request('GET /repos/{owner}/{repo}/git/refs/heads/{branch}', { owner, repo, branch });
    expect((legacy.data as { object: { sha: string } }).object.sha).toBe(commit.data.sha);
    expect((await failure(kit.rest.git.getRef({ owner, repo, ref: 'heads/missing' }))).status).toBe(404);

    const again = await failure(kit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha }));
    expect(again.status).toBe(422);
    expect(again.message).toContain('Reference already exists');
    const badSha = await failure(kit.rest.git.createRef({ owner, repo, ref: 'refs/heads/other', sha: 'f'.repeat(40) }));
    expect(badSha.status).toBe(422);

    const fetched = await kit.rest.git.getCommit({ owner, repo, commit_sha: commit.data.sha });
    expect(fetched.data).toMatchObject({ sha: commit.data.sha, message: 'Publish usage data', tree: { sha: tree.data.sha } });
    expect((await failure(kit.rest.git.getCommit({ owner, repo, commit_sha: tree.data.sha }))).status).toBe(404);

    const repository = await kit.rest.repos.get({ owner, repo });
    expect(repository.data).toMatchObject({ default_branch: 'main', full_name: 'futel/usage', name: 'usage', owner: { login: 'futel' }, private: false });
  });

  it('uses the emulator identity when a commit has none and rejects bad trees and parents', async () => {
    const first = await createBranch({ 'a.txt': 'a' });
    expect(await git(gitDir, 'log', '-1', '--format=%an <%ae>', first)).toBe('GitHub Emulator <github-emulator@users.noreply.localhost>');
    const tree = (await kit.rest.git.getCommit({ owner, repo, commit_sha: first })).data.tree.sha;
    expect((await failure(kit.rest.git.createCommit({ owner, repo, message: 'x', tree: first, parents: [] }))).message).toContain(
      'Tree SHA does not exist',
    );
    expect((await failure(kit.rest.git.createCommit({ owner, repo, message: 'x', tree, parents: [tree] }))).message).toContain(
      'Parent SHA does not exist or is not a commit object',
    );
    const badDate = await failure(
      kit.rest.git.createCommit({ owner, repo, message: 'x', tree, parents: [], author: { name: 'a', email: 'b', date: 'yesterday' } }),
    );
    expect(badDate.status).toBe(422);
    // A newline in a name would let a client forge commit header lines.
    const forged = await failure(
      kit.rest.git.createCommit({ owner, repo, message: 'x', tree, parents: [], author: { name: 'a\nparent x', email: 'b' } }),
    );
    expect(forged.status).toBe(422);

    const distinct = await kit.rest.git.createCommit({
      owner,
      repo,
      message: 'x',
      tree,
      parents: [first],
      author: { name: 'Author', email: 'author@example.test', date: '2024-01-02T03:04:05Z' },
      committer: { name: 'Committer', email: 'committer@example.test', date: '2024-02-03T04:05:06Z' },
    });
    expect(await git(gitDir, 'log', '-1', '--format=%an|%at|%cn|%ct', distinct.data.sha)).toBe(
      `Author|${Date.parse('2024-01-02T03:04:05Z') / 1000}|Committer|${Date.parse('2024-02-03T04:05:06Z') / 1000}`,
    );
  });

  it('adds, modifies and deletes nested files and directories through base_tree', async () => {
    const first = await createBranch({
      'index.html': 'home',
      'data/a.json': '1',
      'data/date/2025/03/01.json': 'd1',
      'data/date/2025/03/02.json': 'd2',
      'data/old/x.json': 'x',
      'data/old/deeper/y.json': 'y',
    });
    const baseTree = (await kit.rest.git.getCommit({ owner, repo, commit_sha: first })).data.tree.sha;
    const tree = await kit.rest.git.createTree({
      owner,
      repo,
      base_tree: baseTree,
      tree: [
        { path: 'data/a.json', mode: '100644', type: 'blob', content: '2' },
        { path: 'data/date/2025/04/01.json', mode: '100644', type: 'blob', content: 'd3' },
        { path: 'data/date/2025/03/02.json', mode: '100644', type: 'blob', sha: null },
        { path: 'data/old', mode: '040000', type: 'tree', sha: null },
        { path: 'bin/run.sh', mode: '100755', type: 'blob', content: '#!/bin/sh\n' },
      ],
    });
    const commit = await kit.rest.git.createCommit({ owner, repo, message: 'update', tree: tree.data.sha, parents: [first] });

    expect(await listFiles(commit.data.sha)).toEqual([
      'bin/run.sh',
      'data/a.json',
      'data/date/2025/03/01.json',
      'data/date/2025/04/01.json',
      'index.html',
    ]);
    expect(await git(gitDir, 'show', `${commit.data.sha}:data/a.json`)).toBe('2');
    expect(await git(gitDir, 'show', `${commit.data.sha}:data/date/2025/03/01.json`)).toBe('d1');
    expect(await git(gitDir, 'ls-tree', commit.data.sha, 'bin/run.sh')).toMatch(/^100755 blob /);
    // Entries not mentioned keep their blobs.
    expect(await git(gitDir, 'rev-parse', `${commit.data.sha}:index.html`)).toBe(await git(gitDir, 'rev-parse', `${first}:index.html`));

    // A subtree can be placed by sha under another path.
    const subtree = await git(gitDir, 'rev-parse', `${commit.data.sha}:data/date`);
    const copied = await kit.rest.git.createTree({
      owner,
      repo,
      base_tree: tree.data.sha,
      tree: [{ path: 'archive/date', mode: '040000', type: 'tree', sha: subtree }],
    });
    expect(await listFiles(copied.data.sha)).toContain('archive/date/2025/04/01.json');

    const missing = await failure(
      kit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: [{ path: 'nope.json', mode: '100644', type: 'blob', sha: null }] }),
    );
    expect(missing.status).toBe(422);
    const malformed = await failure(
      kit.rest.git.createTree({ owner, repo, tree: [{ path: '/abs.json', mode: '100644', type: 'blob', content: 'x' }] }),
    );
    expect(malformed.message).toContain('tree.path contains a malformed path component');
    const both = await failure(
      kit.rest.git.createTree({ owner, repo, tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x', sha: first }] }),
    );
    expect(both.message).toContain('Must supply either tree.sha or tree.content');
    const unknownBlob = await failure(
      kit.rest.git.createTree({ owner, repo, tree: [{ path: 'x', mode: '100644', type: 'blob', sha: 'a'.repeat(40) }] }),
    );
    expect(unknownBlob.status).toBe(422);
  });

  it('lists trees like GitHub, recursively or not, by sha or branch name', async () => {
    const first = await createBranch({ 'index.html': 'home', 'data/a.json': '1', 'data/date/2025/03/01.json': 'd1' });
    const top = await kit.rest.git.getTree({ owner, repo, tree_sha: branch });
    expect(top.data.tree.map((entry) => entry.path)).toEqual(['data', 'index.html']);
    expect(top.data.tree.find((entry) => entry.path === 'index.html')).toMatchObject({ type: 'blob', mode: '100644', size: 4 });

    const treeSha = await git(gitDir, 'rev-parse', `${first}^{tree}`);
    const recursive = await kit.rest.git.getTree({ owner, repo, tree_sha: treeSha, recursive: '1' });
    expect(recursive.data.sha).toBe(treeSha);
    expect(recursive.data.truncated).toBe(false);
    const expected = (await git(gitDir, 'ls-tree', '-r', '-t', treeSha))
      .split('\n')
      .map((line) => {
        const [meta = '', entryPath] = line.split('\t');
        const [mode, type, sha] = meta.split(' ');
        return { path: entryPath, mode, type, sha };
      });
    expect(recursive.data.tree.map(({ path: p, mode, type, sha }) => ({ path: p, mode, type, sha }))).toEqual(expected);
    expect((await failure(kit.rest.git.getTree({ owner, repo, tree_sha: 'b'.repeat(40) }))).status).toBe(404);
  });

  it('creates and reads blobs, utf-8 and base64', async () => {
    const text = await kit.rest.git.createBlob({ owner, repo, content: 'héllo\n', encoding: 'utf-8' });
    expect(text.status).toBe(201);
    expect(text.data.sha).toBe((await gitRaw(gitDir, ['hash-object', '--stdin'], { input: 'héllo\n' })).toString().trim());
    expect(await git(gitDir, 'cat-file', '-t', text.data.sha)).toBe('blob');

    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256));
    const binary = await kit.rest.git.createBlob({ owner, repo, content: bytes.toString('base64'), encoding: 'base64' });
    expect(await gitRaw(gitDir, ['cat-file', 'blob', binary.data.sha])).toEqual(bytes);
    const read = await kit.rest.git.getBlob({ owner, repo, file_sha: binary.data.sha });
    expect(read.data).toMatchObject({ sha: binary.data.sha, size: 300, encoding: 'base64' });
    expect(Buffer.from(read.data.content, 'base64')).toEqual(bytes);
    // GitHub wraps base64 content at 60 characters.
    expect(read.data.content.split('\n')[0]).toHaveLength(60);

    // A blob created on its own can go into a tree by sha, with its mode.
    const tree = await kit.rest.git.createTree({
      owner,
      repo,
      tree: [{ path: 'tools/run', mode: '100755', type: 'blob', sha: text.data.sha }],
    });
    expect(await git(gitDir, 'ls-tree', '-r', tree.data.sha)).toBe(`100755 blob ${text.data.sha}\ttools/run`);

    expect((await failure(kit.rest.git.getBlob({ owner, repo, file_sha: 'c'.repeat(40) }))).status).toBe(404);
    expect((await failure(kit.rest.git.getBlob({ owner, repo, file_sha: tree.data.sha }))).status).toBe(404);
    expect((await failure(kit.rest.git.createBlob({ owner, repo, content: 'not base64!', encoding: 'base64' }))).status).toBe(422);
  });

  it('creates a tree of 2,000 inline files in one request when the limits are off', async () => {
    const kind = await startEmulator({ repoDir: gitDir, limits: false });
    kit = new Octokit({ baseUrl: kind.url, log: quiet });
    const first = await createBranch({ 'index.html': 'home' });
    const baseTree = (await kit.rest.git.getCommit({ owner, repo, commit_sha: first })).data.tree.sha;
    const entries = Array.from({ length: 2000 }, (_, i) => ({
      path: `data/date/${2020 + (i % 5)}/${String((i % 12) + 1).padStart(2, '0')}/${i}.json`,
      mode: '100644' as const,
      type: 'blob' as const,
      content: JSON.stringify({ day: i, calls: i * 3 }),
    }));
    const tree = await kit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries });
    const files = await listFiles(tree.data.sha);
    expect(files).toHaveLength(2001);
    expect(await git(gitDir, 'show', `${tree.data.sha}:data/date/2021/02/1.json`)).toBe('{"day":1,"calls":3}');
  });
});

describe('GitHubEmulator: ref updates', () => {
  it('rejects a non-fast-forward update with 422, accepts a fast-forward, and allows force', async () => {
    const root = await createBranch({ 'a.txt': '1' });
    const ahead = await commitFiles({ 'a.txt': '2' }, root);
    const sibling = await commitFiles({ 'a.txt': 'other' }, root);

    const fastForward = await kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: ahead });
    expect(fastForward.status).toBe(200);
    expect(fastForward.data.object.sha).toBe(ahead);
    expect(await git(gitDir, 'rev-parse', branch)).toBe(ahead);

    const rejected = await failure(kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: sibling, force: false }));
    expect(rejected.status).toBe(422);
    expect(rejected.message).toContain('Update is not a fast forward');
    expect(await git(gitDir, 'rev-parse', branch)).toBe(ahead);

    const forced = await kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: sibling, force: true });
    expect(forced.data.object.sha).toBe(sibling);
    expect(await git(gitDir, 'rev-parse', branch)).toBe(sibling);

    expect((await failure(kit.rest.git.updateRef({ owner, repo, ref: 'heads/missing', sha: root }))).message).toContain(
      'Reference does not exist',
    );

    await kit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
    expect(await git(gitDir, 'for-each-ref', '--format=%(refname)', 'refs/heads')).toBe('refs/heads/main');
    expect((await failure(kit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` }))).status).toBe(422);
  });

  it('lets exactly one of two concurrent updates from the same head win', async () => {
    const root = await createBranch({ 'a.txt': '1' });
    const [one, two] = await Promise.all([commitFiles({ 'a.txt': 'one' }, root), commitFiles({ 'a.txt': 'two' }, root)]);
    const results = await Promise.allSettled([
      kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: one! }),
      kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: two! }),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as { status: number }).status).toBe(422);
    const winner = results[0]!.status === 'fulfilled' ? one : two;
    expect(await git(gitDir, 'rev-parse', branch)).toBe(winner);
  });

  it('compare-and-swaps at the git level: a stale expected value changes nothing', async () => {
    const root = await createBranch({ 'a.txt': '1' });
    const next = await commitFiles({ 'a.txt': '2' }, root);
    const later = await commitFiles({ 'a.txt': '3' }, next);
    const repository = await GitRepository.open(path.join(tmp, 'usage.git'));
    expect(await repository.updateRef(`refs/heads/${branch}`, next, root)).toBe('ok');
    // A writer that still believes the branch is at `root` must lose.
    expect(await repository.updateRef(`refs/heads/${branch}`, later, root)).toBe('stale');
    expect(await git(gitDir, 'rev-parse', branch)).toBe(next);
    expect(await repository.updateRef('refs/heads/new', root, null)).toBe('ok');
    expect(await repository.updateRef('refs/heads/new', next, null)).toBe('stale');
    expect(await repository.deleteRef('refs/heads/new', next)).toBe('stale');
    expect(await repository.deleteRef('refs/heads/new', root)).toBe('ok');
  });

  it('runs beforeRequest hooks, which can move the branch between a read and the ref update', async () => {
    const root = await createBranch({ 'a.txt': '1' });
    const seen: string[] = [];
    let raced = false;
    let outsider = '';
    emulator.beforeRequest(async ({ method, path: requestPath }) => {
      seen.push(`${method} ${requestPath}`);
      if (method === 'PATCH' && !raced) {
        raced = true;
        // Someone else pushes to the branch with plain git while our client is mid-publish.
        const tree = await git(gitDir, 'rev-parse', `${root}^{tree}`);
        outsider = (await gitRaw(gitDir, ['commit-tree', tree, '-p', root], { input: 'outsider' })).toString().trim();
        await git(gitDir, 'update-ref', `refs/heads/${branch}`, outsider, root);
      }
    });

    const head = (await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
    expect(head).toBe(root);
    const mine = await commitFiles({ 'a.txt': 'mine' }, head);
    const rejected = await failure(kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: mine }));
    expect(rejected.status).toBe(422);
    expect(await git(gitDir, 'rev-parse', branch)).toBe(outsider);
    expect(seen).toContain(`GET /repos/${owner}/${repo}/git/ref/heads/${branch}`);
    expect(seen).toContain(`PATCH /repos/${owner}/${repo}/git/refs/heads/${branch}`);

    // The client's retry: re-read, rebuild on the new head, and it fast-forwards.
    const newHead = (await kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
    const rebuilt = await commitFiles({ 'a.txt': 'mine' }, newHead);
    await kit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: rebuilt });
    expect(await git(gitDir, 'rev-list', '--count', branch)).toBe('3');
  });
});

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
    emulator.injectFault({
      method: 'GET',
      path: /\/git\/ref\//,
      times: 1,
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    const plain = await failure(kit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
    expect(plain.status).toBe(403);
    expect(plain.headers['retry-after']).toBe('1');
    expect(plain.message).toContain('secondary rate limit');

    emulator.injectFault({
      method: 'GET',
      path: /\/git\/ref\//,
      times: 1,
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
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
    const limited = await startEmulator({ repoDir: path.join(tmp, 'limited.git'), rateLimit: 2 });
    const base = `${limited.url}/repos/${owner}/${repo}`;
    const first = await fetch(base);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);

    const unknown = await fetch(`${base}/pulls`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const limitedOut = await fetch(base);
    expect(limitedOut.status).toBe(403);
    expect(limitedOut.headers.get('x-ratelimit-remaining')).toBe('0');

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
