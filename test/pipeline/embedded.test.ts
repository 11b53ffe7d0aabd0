import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from '@jest/globals';
import { runEmbedded, type EmbeddedReport } from '../../local/runner/embedded.js';
import { runCli } from '../support/cli.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { bucketKeys, commitsOnBranch, fileOnBranch, filesChangedBy, fixtureMessages } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

describeWithFixtures('the embedded default: SNS → SQS → the state machine → gh-pages', () => {
  let home: string;
  let first: EmbeddedReport;
  let largestPayload = 0;

  beforeAll(async () => {
    home = await tempDir();
    first = await runEmbedded({
      home,
      messages: await fixtureMessages(),
      onPayload: (_state, bytes) => (largestPayload = Math.max(largestPayload, bytes)),
    });
  });

  it('classifies every message and reports the run', () => {
    expect(first).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'scheduled',
      received: 2654,
      kept: 2646,
      dropped: { hostname: 1, channel: 2, event: 2 },
      malformed: 3,
      daysMerged: 1,
      daysBuilt: 1,
      queue: { remaining: 0, deadLetters: 0 },
    });
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('publishes the day shard the Python generator published, byte for byte, and the daily object the drainer kept', async () => {
    const shard = await fileOnBranch(path.join(home, 'site'), 'data/date/2025/03/20250301.json');
    expect(shard.equals(await fs.readFile(fixture('futel-2025-03', 'expected', 'data', 'date', '2025', '03', '20250301.json')))).toBe(true);
    const daily = await fs.readFile(path.join(home, 'bucket', 'events', 'prod', '20250301'));
    expect(daily.equals(await fs.readFile(fixture('futel-2025-03', 'input', 'events', 'prod', '20250301')))).toBe(true);
  });

  it('publishes data and charts in one commit, and leaves the work tree in step', async () => {
    const site = path.join(home, 'site');
    expect(await commitsOnBranch(site)).toEqual([first.commit]);
    const files = await filesChangedBy(site, first.commit as string);
    expect(files).toEqual(
      expect.arrayContaining(['data/date/2025/03/20250301.json', 'data/date/2025/03.json', 'data/event-list.json', 'data/updated_state.json', 'data/last_updated.txt', 'charts/index.html']),
    );
    expect(first.filesPublished).toBe(files.length);
    const onDisk = await fs.readFile(path.join(site, 'data', 'date', '2025', '03', '20250301.json'));
    expect(onDisk.equals(await fileOnBranch(site, 'data/date/2025/03/20250301.json'))).toBe(true);
  });

  it('quarantines the malformed bodies with their reasons and leaves no staging behind', async () => {
    const bucket = path.join(home, 'bucket');
    const rejected = await bucketKeys(bucket, 'rejected');
    expect(rejected).toHaveLength(3);
    const reasons = await Promise.all(rejected.map(async (key) => JSON.parse(await fs.readFile(path.join(bucket, key), 'utf8')).reason as string));
    expect(reasons.sort()).toEqual([expect.stringMatching(/^Message is not JSON/), expect.stringMatching(/^Message is not JSON/), 'Message.event is missing or not an object']);
    expect(await bucketKeys(bucket, 'staging')).toEqual([]);
    expect(await bucketKeys(bucket, 'state')).toEqual([]);
  });

  it('keeps every state payload small: keys, not data', () => {
    expect(largestPayload).toBeGreaterThan(0);
    expect(largestPayload).toBeLessThan(8 * 1024);
  });

  it('makes no commit when nothing is new, and re-runs a day without the queue', async () => {
    const again = await runEmbedded({ home, messages: await fixtureMessages() });
    expect(again).toMatchObject({ status: 'SUCCEEDED', received: 2654, kept: 2646, daysBuilt: 0, filesPublished: 0, commit: null });
    const rerun = await runEmbedded({ home, day: '2025-03-01' });
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', mode: 'rerun', received: 0, daysBuilt: 1, filesPublished: 0, commit: null, queue: null });
    expect(await commitsOnBranch(path.join(home, 'site'))).toHaveLength(1);
  });

  it('refuses to re-run a day that has no data, naming it', async () => {
    const report = await runEmbedded({ home, day: '2025-03-05' });
    expect(report.status).toBe('FAILED');
    expect(JSON.stringify(report.failure)).toContain('no daily object for 20250305');
  });

  it('publishes the same result through the GitHub API served over the repository', async () => {
    const other = await tempDir();
    const report = await runEmbedded({ home: other, messages: await fixtureMessages(), publish: 'github' });
    expect(report).toMatchObject({ status: 'SUCCEEDED', kept: 2646 });
    const shard = await fileOnBranch(path.join(other, 'site'), 'data/date/2025/03/20250301.json');
    expect(shard.equals(await fileOnBranch(path.join(home, 'site'), 'data/date/2025/03/20250301.json'))).toBe(true);
  });
});

describeWithFixtures('usage-pipeline local (the command)', () => {
  it('runs the events file and prints the report as JSON', async () => {
    const home = await tempDir();
    const result = await runCli(['local', '--home', home, '--events', fixture('messages', 'sns-20250301.ndjson'), '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ received: 2654, kept: 2646, dropped: { hostname: 1, channel: 2, event: 2 }, malformed: 3, daysMerged: 1, daysBuilt: 1 });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['received', 'kept', 'dropped', 'malformed', 'daysMerged', 'daysBuilt', 'filesPublished', 'commit']));
  });

  it('refuses bad options before doing anything', async () => {
    const home = path.join(await tempDir(), 'home');
    for (const [args, message] of [
      [['--day', '2025-02-30'], /--day: "2025-02-30" is not a real date/],
      [['--day', '2999-01-01'], /--day: 2999-01-01 is in the future/],
      [['--generate', 'ten'], /--generate: "ten" is not a whole number/],
      [['--generate', '5', '--day', '2025-03-01'], /--generate and --day cannot be combined/],
      [['--events', '/nonexistent.ndjson'], /--events: cannot read \/nonexistent.ndjson: ENOENT/],
    ] as const) {
      const result = await runCli(['local', '--home', home, ...args]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    await expect(fs.stat(home)).rejects.toThrow('ENOENT');
  });
});
