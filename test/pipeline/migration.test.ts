import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from '@jest/globals';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { listSourceDays } from '../../functions/core/build-plan.js';
import { serialiseState, type BuildState } from '../../functions/core/state.js';
import { runEmbedded } from '../../local/runner/embedded.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { commitsOnBranch, fileOnBranch, filesChangedBy } from '../support/pipeline.js';
import { listFiles, tempDir } from '../support/temp.js';

const run = promisify(execFile);

describeWithFixtures('migration from the Python generator', () => {
  it('adopts the branch state on its first run and rebuilds only what changed since', async () => {
    const home = await tempDir();
    const prod = path.join(home, 'bucket', 'events', 'prod');
    await fs.mkdir(prod, { recursive: true });
    await fs.cp(fixture('futel-2025-03', 'input', 'events', 'prod'), prod, { recursive: true });
    const mtime = new Date('2025-04-01T00:05:00Z');
    for (const name of await fs.readdir(prod)) await fs.utimes(path.join(prod, name), mtime, mtime);

    // The branch as the old generator left it: its data, its state (which has not seen the
    // last day, and saw the 15th at another size), and the web UI beside them.
    const { days } = await listSourceDays(new FsObjectStore(path.join(home, 'bucket')));
    const state: BuildState = new Map(days.filter((d) => d.day !== '20250331').map((d) => [d.key, { size: d.day === '20250315' ? d.size - 1 : d.size, ts: d.ts }]));
    const site = path.join(home, 'site');
    await LocalGitPublisher.open(site);
    await fs.cp(fixture('futel-2025-03', 'expected', 'data'), path.join(site, 'data'), { recursive: true });
    await fs.writeFile(path.join(site, 'data', 'updated_state.json'), serialiseState(state));
    await fs.writeFile(path.join(site, 'index.html'), '<!doctype html><title>usage</title>');
    await run('git', ['-C', site, 'add', '-A']);
    await run('git', ['-C', site, '-c', 'user.name=static-gen', '-c', 'user.email=static-gen@example', 'commit', '-q', '-m', 'Python generator']);
    const [oldHead] = await commitsOnBranch(site);

    const report = await runEmbedded({ home, publish: 'github' });
    expect(report).toMatchObject({ status: 'SUCCEEDED', daysBuilt: 2 });
    const commits = await commitsOnBranch(site);
    expect(commits).toHaveLength(2);
    expect(commits[1]).toBe(oldHead);
    const changed = await filesChangedBy(site, commits[0] as string);
    // The rebuilt days equal what was published: no shard or rollup is rewritten.
    expect(changed.filter((file) => file.startsWith('data/date/'))).toEqual([]);
    expect(changed).toContain('data/updated_state.json');
    expect(changed).toContain('data/summary/date/2025/03.json');
    expect(changed.every((file) => file.startsWith('data/') || file.startsWith('charts/'))).toBe(true);
    expect((await fileOnBranch(site, 'index.html')).toString()).toBe('<!doctype html><title>usage</title>');
    const adopted = JSON.parse((await fileOnBranch(site, 'data/updated_state.json')).toString()) as Record<string, { size: number }>;
    expect(Object.keys(adopted)).toHaveLength(31);
    expect(Object.keys(adopted).at(-1)).toBe('events/prod/20250331');
    // Every file the old generator published is still there, byte for byte.
    for (const file of await listFiles(fixture('futel-2025-03', 'expected', 'data'))) {
      const expected = await fs.readFile(fixture('futel-2025-03', 'expected', 'data', file));
      expect({ file, same: (await fileOnBranch(site, `data/${file}`)).equals(expected) }).toEqual({ file, same: true });
    }
  });
});
