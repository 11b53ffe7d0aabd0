/**
 * The publish step against the GitHub emulator with github.com's limits: a late-month run with a
 * 9 MB rollup stays one small commit; a whole history too big for one run's budget goes out
 * over several runs, the branch consistent after every commit and every run within the
 * secondary limits; a corrupt pending list is named in one line.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { GitHubPublisher, type GitHubPublisherOptions } from '../../functions/adapters/github-publisher.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import type { Publisher } from '../../functions/core/publisher.js';
import { GitHubEmulator, SimulatedClock, type GitHubEmulatorOptions } from '../../local/emulators/github-server.js';
import { PENDING_PUBLISH_KEY } from '../../functions/core/bucket-layout.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import { noCheckpoints, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { silentLog } from '../../functions/core/log.js';
import type { MetricPoint } from '../../functions/core/metrics.js';
import { addPending, readPending } from '../../functions/pipeline/pending.js';
import { publish } from '../../functions/pipeline/publish.js';
import { gitRaw } from '../support/git.js';
import { inconsistencies, syntheticSite } from '../support/synthetic-site.js';
import { tempDir } from '../support/temp.js';

const owner = 'futel';
const repo = 'usage';
const branch = 'gh-pages';
/** Emulator time runs 200 times faster; the client's waits and write spacing shrink alike. */
const SCALE = 200;

let home: string;
let emulator: GitHubEmulator;
let clock: SimulatedClock;
let metrics: MetricPoint[];

async function startEmulator(limits: GitHubEmulatorOptions['limits'] = {}): Promise<void> {
  clock = new SimulatedClock(SCALE);
  emulator = await GitHubEmulator.start({ repoDir: path.join(home, 'site.git'), owner, repo, clock: clock.now, limits });
}

function githubPublisher(options: Partial<GitHubPublisherOptions> = {}): GitHubPublisher {
  return new GitHubPublisher({ owner, repo, token: 't', baseUrl: emulator.url, timeScale: SCALE, ...options });
}

function depsWith(publisher: Publisher): PipelineDeps {
  return {
    bucket: new FsObjectStore(path.join(home, 'bucket')),
    publisher,
    config: DEFAULT_CONFIG,
    log: silentLog,
    clock: () => new Date(),
    checkpoint: noCheckpoints,
    metrics: { publish: (points) => metrics.push(...points) },
  };
}

/** Builds files into the bucket's site mirror and marks them pending, as finalize does. */
async function build(deps: PipelineDeps, files: Map<string, Buffer>): Promise<void> {
  for (const [file, content] of files) await deps.bucket.put(`site/${file}`, content);
  await addPending(deps, { written: [...files.keys()], deleted: [] });
}

async function git(...args: string[]): Promise<string> {
  return (await gitRaw(emulator.gitDir, args)).toString('utf8').trim();
}

beforeEach(async () => {
  home = await tempDir('publish-limits-');
  metrics = [];
});

afterEach(async () => {
  await emulator?.close();
});

describe('publishing within GitHub limits', () => {
  it('publishes a late-month run with a 9 MB rollup as one commit of at most 10 requests, none over the tree limit', async () => {
    await startEmulator();
    // The branch as the previous run left it: March 1–27 of 2025, at ~300 KB a day.
    const before = syntheticSite({ firstDay: '2025-03-01', days: 27, dayBytes: 300_000 });
    const seed = await LocalGitPublisher.open(emulator.gitDir);
    await seed.publish({ entries: [...before].map(([file, content]) => ({ path: file, read: async () => content })), message: 'seed' });
    const seeded = await git('rev-parse', branch);

    const after = syntheticSite({ firstDay: '2025-03-01', days: 30, dayBytes: 300_000 });
    const changed = new Map([...after].filter(([file, content]) => !before.get(file)?.equals(content)));
    expect(after.get('data/date/2025/03.json')!.byteLength).toBeGreaterThan(9_000_000);
    const deps = depsWith(githubPublisher());
    await build(deps, changed);
    const start = emulator.requests.length;

    const output = await publish(deps, { runId: 'late-march', days: ['20250328', '20250329', '20250330'] });
    const requests = emulator.requests.slice(start);
    expect(output).toMatchObject({ filesPublished: changed.size, publishBacklog: 0, stoppedBy: null });
    expect(await git('rev-list', '--count', `${seeded}..${branch}`)).toBe('1');
    expect(requests.length).toBeLessThanOrEqual(10);
    expect(emulator.stats.limitRefusals).toBe(0);
    for (const request of requests.filter((r) => r.path.endsWith('/git/trees') && r.method === 'POST')) {
      expect(Buffer.byteLength(JSON.stringify(request.body))).toBeLessThanOrEqual(emulator.limits.treeRequestBytes);
      expect((request.body as { tree: unknown[] }).tree.length).toBeLessThanOrEqual(emulator.limits.treeRequestEntries);
    }
    // The rollup went as a blob of its own.
    expect(requests.filter((r) => r.path.endsWith('/git/blobs')).length).toBe(1);
    expect(await inconsistencies(emulator.gitDir, branch)).toEqual([]);
    expect(await deps.bucket.get(PENDING_PUBLISH_KEY)).toBeNull();
    expect(metrics).toEqual([{ name: 'PublishBacklog', unit: 'Count', value: 0 }]);
  });

  it('publishes a 2,000-day history into an empty repository over several runs, consistent after every commit', async () => {
    // The hour's budget scaled down with the publisher's, so that several runs are needed.
    await startEmulator({ contentRequestsPerHour: 10 });
    const site = syntheticSite({ firstDay: '2020-01-01', days: 2000, dayBytes: 2_000 });
    const deps = depsWith(githubPublisher({ maxContentRequests: 8 }));
    await build(deps, site);

    const outputs = [];
    for (let run = 1; run <= 12; run++) {
      const before = emulator.stats;
      const output = await publish(deps, { runId: `run-${run}` });
      outputs.push(output);
      expect(emulator.stats.contentRequests - before.contentRequests).toBeLessThanOrEqual(8);
      expect(output.requests?.contentCreating).toBe(emulator.stats.contentRequests - before.contentRequests);
      expect(await inconsistencies(emulator.gitDir, branch)).toEqual([]);
      expect((await readPending(deps)).written).toHaveLength(output.publishBacklog);
      if (output.publishBacklog === 0) break;
      expect(output.stoppedBy).toEqual({ limit: 'content-requests', message: expect.stringMatching(/^published \d+ of \d+ paths: .*budget of 8 content-creating GitHub requests per publish \(maxContentRequests; GitHub allows 500 an hour\); the rest stays pending/) });
      // The schedule's next run, an hour later.
      clock.advance(61 * 60 * 1000);
    }
    expect(outputs.length).toBeGreaterThan(2);
    expect(outputs.at(-1)).toMatchObject({ publishBacklog: 0, stoppedBy: null });
    expect(outputs.map((output) => output.publishBacklog)).toEqual([...outputs.map((output) => output.publishBacklog)].sort((a, b) => b - a));
    expect(emulator.stats.limitRefusals).toBe(0);
    expect(metrics.map((point) => point.value)).toEqual(outputs.map((output) => output.publishBacklog));

    // Every commit, not only each run's last, leaves the branch consistent; the state comes last.
    const commits = (await git('rev-list', '--reverse', branch)).split('\n');
    expect(commits.length).toBe(outputs.length + 1);
    for (const commit of commits) expect(await inconsistencies(emulator.gitDir, commit)).toEqual([]);
    expect(await git('ls-tree', '--name-only', commits.at(-2)!, 'data/updated_state.json')).toBe('');
    expect((await git('ls-tree', '-r', '--name-only', branch)).split('\n').sort()).toEqual([...site.keys()].sort());
  });

  it('names the pending list in one line when it is corrupt, and publishes nothing', async () => {
    await startEmulator();
    const deps = depsWith(githubPublisher());
    await deps.bucket.put(PENDING_PUBLISH_KEY, '{"written": ["data/a.json"');
    await expect(publish(deps, { runId: 'r' })).rejects.toThrow(
      /^state\/pending-publish\.json in the bucket is not a pending list \(not JSON: [^\n]*\); it names the paths built but not yet published: repair it, or delete it and run \{"rebuild": "all"\} to publish everything again$/,
    );
    await deps.bucket.put(PENDING_PUBLISH_KEY, '{"written": "data/a.json"}');
    await expect(publish(deps, { runId: 'r' })).rejects.toThrow(/^state\/pending-publish\.json in the bucket is not a pending list \(written: /);
    expect(emulator.stats.requests).toBe(0);
  });
});
