/**
 * `npm run bench:publish [-- --days N --day-bytes N --runs-apart-hours N]`: publishing through
 * the GitHub emulator with github.com's limits, with the production defaults of the GitHub
 * publisher, at the real site's scale (default: 1,651 days of ~300 KB, 9 MB month rollups).
 *
 * 1. the whole history into an empty repository, one scheduled run after another, until the
 *    backlog is gone (runs, commits, requests per run, consistency after every run);
 * 2. a typical late-month run on that branch (three new days and the month's rollup).
 *
 * The emulator's clock runs fast (the publisher's waits shrink alike), so the bench never
 * waits for GitHub's rate limits; the work itself (hashing, JSON, git) is real. Memory is
 * sampled during publishing, for this whole process: the publisher and the emulator (which
 * parses each request) together. Last line: one JSON object with the figures.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GitHubPublisher } from '../../functions/adapters/github-publisher.js';
import type { PublishEntry } from '../../functions/core/publisher.js';
import { GitHubEmulator, SimulatedClock } from '../../local/emulators/github-server.js';
import { publishingOrder } from '../../functions/pipeline/publish-order.js';
import { inconsistencies, lazySite, type LazyFile } from '../support/synthetic-site.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '1651' },
    'day-bytes': { type: 'string', default: '300000' },
    'runs-apart-hours': { type: 'string', default: '4' },
  },
});
const SCALE = 1000;
const days = Number(values.days);
const dayBytes = Number(values['day-bytes']);
const runsApartMs = Number(values['runs-apart-hours']) * 3_600_000;

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-bench-publish-'));
const clock = new SimulatedClock(SCALE);
const emulator = await GitHubEmulator.start({ repoDir: path.join(root, 'site.git'), owner: 'futel', repo: 'usage', clock: clock.now, requestLog: 'summary' });
const publisher = new GitHubPublisher({ owner: 'futel', repo: 'usage', token: 't', baseUrl: emulator.url, timeScale: SCALE });

/** Highest RSS and heap seen while `work` runs, in MB. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; rssMb: number; heapMb: number; seconds: number }> {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const started = performance.now();
  try {
    const result = await work();
    sample();
    return { result, rssMb: Math.round(rss / 1e6), heapMb: Math.round(heap / 1e6), seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    clearInterval(timer);
  }
}

/** Bytes of a pack of every object of the branch, as `git push` to an empty remote would send. */
async function gitPackBytes(gitDir: string): Promise<number> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = execFile('sh', ['-c', `git --git-dir "${gitDir}" rev-list --objects gh-pages | git --git-dir "${gitDir}" pack-objects --stdout | wc -c`], (error, stdout) =>
      error ? reject(error) : resolve(Number(stdout.trim())),
    );
    child.stdin?.end();
  });
}

function entries(files: readonly LazyFile[], paths: readonly string[]): PublishEntry[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  return publishingOrder(paths, []).map(({ path: file }) => ({ path: file, read: async () => byPath.get(file)!.content() }));
}

try {
  // The history ends on the 27th of a month, so that the typical run below is late in one.
  const firstDay = new Date(Date.parse('2025-03-27T00:00:00Z') - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const history = lazySite({ firstDay, days, dayBytes });
  let pending = history.map((file) => file.path);
  const runs: { contentRequests: number; requests: number; largestRequestBytes: number; published: number; backlog: number; stoppedBy: string | null; rssMb: number; heapMb: number; seconds: number }[] = [];
  while (pending.length > 0 && runs.length < 50) {
    const before = emulator.stats;
    const { result, rssMb, heapMb, seconds } = await measured(() => publisher.publish({ entries: entries(history, pending), message: `run ${runs.length + 1}` }));
    const after = emulator.stats;
    const problems = await inconsistencies(emulator.gitDir, 'gh-pages');
    if (problems.length > 0) throw new Error(`run ${runs.length + 1} left the branch inconsistent: ${problems.slice(0, 3).join('; ')}`);
    runs.push({
      requests: after.requests - before.requests,
      contentRequests: after.contentRequests - before.contentRequests,
      largestRequestBytes: result.requests?.largestBodyBytes ?? 0,
      published: pending.length - result.remaining.length,
      backlog: result.remaining.length,
      stoppedBy: result.stoppedBy?.limit ?? null,
      rssMb,
      heapMb,
      seconds,
    });
    console.log(`run ${runs.length}: ${JSON.stringify(runs.at(-1))}`);
    pending = [...result.remaining];
    clock.advance(runsApartMs);
  }

  // What git's own transfer would send instead: the whole branch as one pack.
  const packBytes = await gitPackBytes(emulator.gitDir);

  // A typical late-month run: three new days at the end of the last month, and its rollup.
  const grown = lazySite({ firstDay, days: days + 3, dayBytes });
  const known = new Set(history.map((file) => file.path));
  const last = grown.filter((file) => /^data\/date\/\d{4}\/\d{2}\.json$/.test(file.path)).at(-1)!;
  const lastSummary = last.path.replace('data/date/', 'data/summary/date/');
  const spanning = new Set([lastSummary, 'data/summary/index.json', 'data/updated_state.json', 'data/last_updated.txt']);
  const changed = grown.filter((file) => !known.has(file.path) || file.path === last.path || spanning.has(file.path)).map((file) => file.path);
  clock.advance(runsApartMs);
  const before = emulator.stats;
  const typical = await measured(() => publisher.publish({ entries: entries(grown, changed), message: 'typical' }));
  const after = emulator.stats;

  const totalBytes = history.reduce((sum, file) => sum + (file.path.endsWith('.json') && file.path.split('/').length === 5 ? dayBytes : 0), 0);
  console.log(
    JSON.stringify({
      days,
      files: history.length,
      approxDataMb: Math.round((2 * totalBytes) / 1e6),
      wholeHistory: {
        runs: runs.length,
        hoursToPublish: (runs.length - 1) * Number(values['runs-apart-hours']),
        contentRequestsPerRun: runs.map((run) => run.contentRequests),
        maxRequestsPerRun: Math.max(...runs.map((run) => run.requests)),
        largestRequestBytes: Math.max(...runs.map((run) => run.largestRequestBytes)),
        peakRssMb: Math.max(...runs.map((run) => run.rssMb)),
        peakHeapMb: Math.max(...runs.map((run) => run.heapMb)),
        secondsPerRun: runs.map((run) => run.seconds),
      },
      typicalRun: {
        files: changed.length,
        rollupBytes: last.content().byteLength,
        requests: after.requests - before.requests,
        contentRequests: after.contentRequests - before.contentRequests,
        largestRequestBytes: typical.result.requests?.largestBodyBytes ?? 0,
        commits: typical.result.commit ? 1 : 0,
        seconds: typical.seconds,
      },
      gitPushPackMb: Math.round(packBytes / 1e6),
      limitRefusals: emulator.stats.limitRefusals,
      treeRequestLimitBytes: emulator.limits.treeRequestBytes,
    }),
  );
} finally {
  await emulator.close();
  await fs.rm(root, { recursive: true, force: true });
}
