/**
 * The GitHub emulator's Git Data API (commits, trees, blobs, refs) driven by a real Octokit over
 * HTTP, with every result checked on the repository with the git CLI itself.
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { EmulatorRepository } from '../../local/emulators/github/emulator-repository.js';
import { gitRaw } from '../support/git.js';
import { branch, commitFiles, createBranch, emulator, failure, git, gitDir, kit, listFiles, owner, quiet, repo, startEmulator, tmp, useEmulator, useKit } from './support/emulator-harness.js';

useEmulator();

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
    useKit(new Octokit({ baseUrl: kind.url, log: quiet }));
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
    const repository = await EmulatorRepository.open(path.join(tmp, 'usage.git'));
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

