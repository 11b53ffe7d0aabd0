/**
 * LocalGitPublisher on real repositories: the Publisher port (entries read one at a time,
 * only changed paths committed) and the checked-out site, whose local edits are never
 * discarded: a publish or a work-tree update that would lose them is refused, naming them.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { GitHubPublisher } from '../../functions/adapters/github-publisher.js';
import { GitHubEmulator } from '../../local/emulators/github-server.js';
import { PublishRefusedError } from '../../functions/core/publisher.js';
import { gitRaw } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { publishRequest } from './support/github-harness.js';

let site: string;
let emulator: GitHubEmulator | undefined;

const git = async (...args: string[]) => (await gitRaw(site, args, { bare: false })).toString('utf8').trim();
const write = (file: string, content: string) => fs.mkdir(path.dirname(path.join(site, file)), { recursive: true }).then(() => fs.writeFile(path.join(site, file), content));
const read = (file: string) => fs.readFile(path.join(site, file), 'utf8');

beforeEach(async () => {
  site = path.join(await tempDir('git-publisher-'), 'site');
});

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await fs.rm(path.dirname(site), { recursive: true, force: true });
});

describe('LocalGitPublisher: publishing', () => {
  it('commits only the changed entries, reading each once, and nothing when the branch has them', async () => {
    const publisher = await LocalGitPublisher.open(site);
    const first = await publisher.publish(publishRequest({ 'data/a.json': '[1]', 'data/b.json': '[2]', 'index.html': 'home' }, [], 'first'));
    expect(first).toMatchObject({ changed: ['data/a.json', 'data/b.json', 'index.html'], remaining: [], stoppedBy: null });
    expect(await read('data/a.json')).toBe('[1]');

    const reads: string[] = [];
    const request = publishRequest({ 'data/a.json': '[1]', 'data/b.json': '[3]' }, ['index.html', 'data/never.json'], 'second');
    const second = await publisher.publish({
      ...request,
      entries: request.entries.map((entry) => ({ path: entry.path, read: () => (reads.push(entry.path), entry.read()) })),
    });
    expect(reads).toEqual(['data/a.json', 'data/b.json', 'index.html', 'data/never.json']);
    expect(second).toMatchObject({ changed: ['data/b.json', 'index.html'], head: await git('rev-parse', 'gh-pages') });
    expect(await git('diff', '--name-status', 'gh-pages^', 'gh-pages')).toBe('M\tdata/b.json\nD\tindex.html');
    await expect(fs.stat(path.join(site, 'index.html'))).rejects.toThrow();

    expect(await publisher.publish(publishRequest({ 'data/a.json': '[1]' }, [], 'again'))).toMatchObject({ commit: null, changed: [] });
    const small = await LocalGitPublisher.open(site, { maxBatchBytes: 4 });
    expect((await small.publish(publishRequest({ 'data/c.json': '[4]', 'data/d.json': '[5]', 'data/e.json': '[6]' }))).changed).toHaveLength(3);
    expect(await git('show', 'gh-pages:data/e.json')).toBe('[6]');
  });
});

describe('LocalGitPublisher: local edits in the site are never discarded', () => {
  it('refuses a publish over an edited tracked file, even one the commit does not touch, naming it', async () => {
    const publisher = await LocalGitPublisher.open(site);
    await publisher.publish(publishRequest({ 'data/a.json': '[1]', 'notes.txt': 'mine' }));
    const head = await git('rev-parse', 'gh-pages');
    await write('notes.txt', 'my local edit');
    await fs.rm(path.join(site, 'data/a.json'));

    const refused = publisher.publish(publishRequest({ 'data/b.json': '[2]' }));
    await expect(refused).rejects.toThrow(PublishRefusedError);
    await expect(refused).rejects.toThrow(
      `${site} has local edits that publishing would discard: data/a.json, notes.txt; commit, stash (git -C ${site} stash --include-untracked) or remove them, then run again`,
    );
    expect(await git('rev-parse', 'gh-pages')).toBe(head);
    expect(await read('notes.txt')).toBe('my local edit');

    await git('checkout', '--', '.');
    expect((await publisher.publish(publishRequest({ 'data/b.json': '[2]' }))).changed).toEqual(['data/b.json']);
    expect(await read('data/b.json')).toBe('[2]');
  });

  it('keeps untracked files, refusing only one the publish would overwrite', async () => {
    const publisher = await LocalGitPublisher.open(site);
    await publisher.publish(publishRequest({ 'data/a.json': '[1]' }));
    await write('scratch/todo.txt', 'keep me');
    await publisher.publish(publishRequest({ 'data/b.json': '[2]' }));
    expect(await read('scratch/todo.txt')).toBe('keep me');

    await write('data/c.json', 'my own c');
    await expect(publisher.publish(publishRequest({ 'data/c.json': '[3]' }))).rejects.toThrow(/has local edits that publishing would discard: data\/c\.json;/);
    expect(await read('data/c.json')).toBe('my own c');
  });

  it('brings the files up to a branch moved elsewhere (through the GitHub API), keeping local edits as edits', async () => {
    const local = await LocalGitPublisher.open(site);
    await local.publish(publishRequest({ 'data/a.json': '[1]', 'data/b.json': '[2]', 'data/c.json': '[3]' }));
    // `local --publish github`: the GitHub emulator serves the same repository; through it the
    // branch moves, the files do not.
    emulator = await GitHubEmulator.start({ repoDir: site, owner: 'futel', repo: 'usage' });
    const elsewhere = new GitHubPublisher({ owner: 'futel', repo: 'usage', token: 't', baseUrl: emulator.url, minWriteIntervalMs: 0 });
    await elsewhere.publish(publishRequest({ 'data/a.json': '[10]' }));
    expect(await read('data/a.json')).toBe('[1]');
    expect(await local.syncWorkTree()).toEqual([]);
    expect(await read('data/a.json')).toBe('[10]');
    expect(await git('status', '--porcelain')).toBe('');
    await expect(local.assertNoLocalEdits()).resolves.toBeUndefined();

    // Edits to a file the branch changes, to one it does not, a removal and an untracked file where the branch adds one.
    await write('data/a.json', 'mine a');
    await write('data/b.json', 'mine b');
    await fs.rm(path.join(site, 'data/c.json'));
    await write('data/d.json', 'mine d');
    await expect(local.assertNoLocalEdits()).rejects.toThrow(`${site} has local edits that publishing would discard: data/a.json, data/b.json, data/c.json;`);
    await elsewhere.publish(publishRequest({ 'data/a.json': '[11]', 'data/d.json': '[4]', 'data/e.json': '[5]' }));
    expect(await local.syncWorkTree()).toEqual(['data/a.json', 'data/b.json', 'data/c.json', 'data/d.json']);
    expect([await read('data/a.json'), await read('data/b.json'), await read('data/d.json'), await read('data/e.json')]).toEqual(['mine a', 'mine b', 'mine d', '[5]']);
    await expect(fs.stat(path.join(site, 'data/c.json'))).rejects.toThrow();
    // Now edits against the new head: the index and the branch agree.
    expect((await gitRaw(site, ['status', '--porcelain'], { bare: false })).toString()).toBe(' M data/a.json\n M data/b.json\n D data/c.json\n M data/d.json\n');
    expect(await git('diff', 'HEAD', '--', 'data/a.json')).toContain('-[11]');
  });

  it('does not take a commit made in the site for a local edit', async () => {
    const publisher = await LocalGitPublisher.open(site);
    await publisher.publish(publishRequest({ 'data/a.json': '[1]' }));
    await write('README.md', 'about this site');
    await git('add', 'README.md');
    await git('-c', 'user.name=Someone', '-c', 'user.email=someone@example.test', 'commit', '-q', '-m', 'readme');
    expect((await publisher.publish(publishRequest({ 'data/b.json': '[2]' }))).changed).toEqual(['data/b.json']);
    expect(await read('README.md')).toBe('about this site');
  });
});
