/** Issue 10, item 3: a daily object that shrinks must never wipe a published day. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { expect, it } from '@jest/globals';
import { runEmbedded } from '../../local/runner/embedded.js';
import { runCli } from '../support/cli.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { commitsOnBranch, fileOnBranch, fixtureMessages } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

describeWithFixtures('a daily object that shrank', () => {
  it('is refused with its reason until the day is re-run explicitly', async () => {
    const home = await tempDir();
    const site = path.join(home, 'site');
    const shardPath = 'data/date/2025/03/20250301.json';
    expect(await runEmbedded({ home, messages: await fixtureMessages() })).toMatchObject({ status: 'SUCCEEDED' });
    const published = await fileOnBranch(site, shardPath);
    const daily = path.join(home, 'bucket', 'events', 'prod', '20250301');
    await fs.writeFile(daily, '');

    const refused = await runEmbedded({ home });
    expect(refused).toMatchObject({ status: 'SUCCEEDED', daysBuilt: 0, daysRefused: 1, commit: null });
    const plan = JSON.parse(await fs.readFile(path.join(home, 'bucket', 'runs', refused.runId, 'plan.json'), 'utf8'));
    expect(plan.refused).toEqual([
      expect.objectContaining({ key: 'events/prod/20250301', size: 0, reason: expect.stringMatching(/^events\/prod\/20250301 is 0 bytes but its published files were built from \d+ bytes: events would be lost$/) }),
    ]);
    expect((await fileOnBranch(site, shardPath)).equals(published)).toBe(true);

    // The command says so and exits non-zero; a plain run keeps refusing.
    const cli = await runCli(['local', '--home', home]);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toContain('days REFUSED 1: their daily objects shrank; the published days were kept');

    // Only an explicit re-run of the day accepts the smaller object.
    const accepted = await runEmbedded({ home, day: '2025-03-01' });
    expect(accepted).toMatchObject({ status: 'SUCCEEDED', daysBuilt: 1, daysRefused: 0 });
    expect((await fileOnBranch(site, shardPath)).toString()).toBe('[]');
    expect(await commitsOnBranch(site)).toHaveLength(2);
  });

  it('keeps the published shard of that day in a month rollup rebuilt for another day', async () => {
    const home = await tempDir();
    const prod = path.join(home, 'bucket', 'events', 'prod');
    await fs.mkdir(prod, { recursive: true });
    for (const day of ['20250301', '20250302']) await fs.copyFile(fixture('futel-2025-03', 'input', 'events', 'prod', day), path.join(prod, day));
    expect(await runEmbedded({ home, rebuildAll: true })).toMatchObject({ status: 'SUCCEEDED' });
    const rollup = await fileOnBranch(path.join(home, 'site'), 'data/date/2025/03.json');
    // Day 1 loses its second half; day 2 gains an event.
    const lines = (await fs.readFile(path.join(prod, '20250301'), 'utf8')).split('\n');
    await fs.writeFile(path.join(prod, '20250301'), `${lines.slice(0, 100).join('\n')}\n`);
    await fs.appendFile(path.join(prod, '20250302'), '{"timestamp": "2025-03-02T23:59:59+00:00", "channel": "PJSIP/655-0000ffff", "endpoint": "655", "event": "zzz-new"}\n');
    const report = await runEmbedded({ home });
    expect(report).toMatchObject({ status: 'SUCCEEDED', daysBuilt: 1, daysRefused: 1 });
    const rebuilt = (await fileOnBranch(path.join(home, 'site'), 'data/date/2025/03.json')).toString();
    expect(rebuilt).toContain('"event": "zzz-new"');
    // Everything day 1 had is still there.
    expect(rebuilt.length).toBeGreaterThan(rollup.length);
    expect(rebuilt.startsWith(rollup.toString().slice(0, -1))).toBe(true);
  });

  it('is refused by usage-pipeline build too, until --days accepts it', async () => {
    const input = await tempDir();
    const out = await tempDir();
    const prod = path.join(input, 'events', 'prod');
    await fs.mkdir(prod, { recursive: true });
    await fs.copyFile(fixture('futel-2025-03', 'input', 'events', 'prod', '20250301'), path.join(prod, '20250301'));
    expect((await runCli(['build', '--input', input, '--out', out])).code).toBe(0);
    const shard = await fs.readFile(path.join(out, 'date', '2025', '03', '20250301.json'));
    await fs.writeFile(path.join(prod, '20250301'), '');
    const refused = await runCli(['build', '--input', input, '--out', out]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/^REFUSED events\/prod\/20250301 is 0 bytes but its published files were built from \d+ bytes: events would be lost; the published day was kept \(rebuild it with --days 20250301 to accept the smaller object\)$/m);
    expect((await fs.readFile(path.join(out, 'date', '2025', '03', '20250301.json'))).equals(shard)).toBe(true);
    const accepted = await runCli(['build', '--input', input, '--out', out, '--days', '20250301']);
    expect(accepted.code).toBe(0);
    expect(await fs.readFile(path.join(out, 'date', '2025', '03', '20250301.json'), 'utf8')).toBe('[]');
  });
});
