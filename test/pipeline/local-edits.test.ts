/**
 * `usage-pipeline local` never discards edits made in HOME/site (issue 10, item 5). With the
 * local git publisher, a run refuses before it starts, with one line naming the files; once
 * they are out of the way, the next run publishes. Through the GitHub API the branch moves first: the files are then brought
 * up to date around the edits, which stay as edits.
 */
import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { generateMessages } from '../../local/generate.js';
import { runEmbedded } from '../../local/runner/embedded.js';
import { PENDING_PUBLISH_KEY } from '../../functions/core/bucket-layout.js';
import { gitRaw } from '../support/git.js';
import { commitsOnBranch, fileOnBranch } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

describe('local runs and edits in HOME/site', () => {
  it('refuses to discard them (--publish git), then publishes once they are gone', async () => {
    const publish = 'git';
    const home = await tempDir('local-edits-');
    const site = path.join(home, 'site');
    const messages = (seed: number) => generateMessages({ count: 200, seed, firstDay: '2025-03-01', days: 2 });
    expect(await runEmbedded({ home, publish, messages: messages(1) })).toMatchObject({ status: 'SUCCEEDED' });
    const commits = await commitsOnBranch(site);

    // An edit to a file the next run does not touch, and one to a file it rewrites.
    await fs.appendFile(path.join(site, 'data/date/2025/03/20250301.json'), '\n');
    await fs.writeFile(path.join(site, 'data/last_updated.txt'), 'my own');
    // Refused before anything is sent or built: the same events can simply be sent again.
    await expect(runEmbedded({ home, publish, messages: messages(2) })).rejects.toThrow(
      `${site} has local edits that publishing would discard: data/date/2025/03/20250301.json, data/last_updated.txt; commit, stash (git -C ${site} stash --include-untracked) or remove them, then run again`,
    );
    expect(await fs.readFile(path.join(site, 'data/last_updated.txt'), 'utf8')).toBe('my own');
    expect((await fs.readFile(path.join(site, 'data/date/2025/03/20250301.json'), 'utf8')).endsWith('\n')).toBe(true);
    expect(await commitsOnBranch(site)).toEqual(commits);

    await gitRaw(site, ['checkout', '--', '.'], { bare: false });
    const after = await runEmbedded({ home, publish, messages: messages(2) });
    expect(after.status).toBe('SUCCEEDED');
    expect((await commitsOnBranch(site)).length).toBeGreaterThan(commits.length);
    expect(await fs.readFile(path.join(site, 'data/last_updated.txt'))).toEqual(await fileOnBranch(site, 'data/last_updated.txt'));
    await expect(fs.stat(path.join(home, 'bucket', PENDING_PUBLISH_KEY))).rejects.toThrow();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('keeps them in the work tree when the branch moves through the GitHub API (--publish github)', async () => {
    const home = await tempDir('local-edits-');
    const site = path.join(home, 'site');
    const messages = (seed: number) => generateMessages({ count: 200, seed, firstDay: '2025-03-01', days: 2 });
    expect(await runEmbedded({ home, publish: 'github', messages: messages(1) })).toMatchObject({ status: 'SUCCEEDED' });
    await fs.writeFile(path.join(site, 'data/last_updated.txt'), 'my own');
    await fs.appendFile(path.join(site, 'data/date/2025/03/20250301.json'), '\n');

    const next = await runEmbedded({ home, publish: 'github', messages: messages(2) });
    expect(next.status).toBe('SUCCEEDED');
    expect(await fs.readFile(path.join(site, 'data/last_updated.txt'), 'utf8')).toBe('my own');
    expect((await fileOnBranch(site, 'data/last_updated.txt')).toString()).not.toBe('my own');
    expect((await gitRaw(site, ['status', '--porcelain'], { bare: false })).toString()).toBe(' M data/date/2025/03/20250301.json\n M data/last_updated.txt\n');
    await fs.rm(home, { recursive: true, force: true });
  });
});
