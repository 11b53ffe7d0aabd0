/**
 * `npm run bench:scale -- --years N [--events-per-day E] [--runs-apart-hours H]`: the whole
 * pipeline at a history size, under production's limits. A deterministic synthetic history of N
 * years shaped like the real one (the real-shape profile of the build benchmark: ~3,800 events a
 * day, older years without `endpoint`, late-month rollups of several MB) is rebuilt from nothing
 * with `local --rebuild-all --publish github`: every step in its own process held to its
 * Lambda's memory, the state machine under a Standard workflow's payload and history limits,
 * and publishing through the GitHub emulator with github.com's limits, on one hourly budget.
 * When the publish is too big for one run's budget, scheduled runs follow (H hours apart on the
 * emulator's clock, which runs fast so nothing waits) until the branch has everything; the
 * branch is checked for consistency after every run.
 *
 * Last line: one JSON object with `executionHistoryEvents`, `maxPayloadBytes`,
 * `stepPeakMemoryMb` and `stepMemoryMb` per step, `githubRequests`, `githubContentRequests`,
 * `largestRequestBytes`, `commits`, `runs`, `seconds`, and the targets they are held to.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { GitHubEmulator, SimulatedClock } from '../../local/emulators/github-server.js';
import { runEmbedded, type EmbeddedReport } from '../../local/runner/embedded.js';
import { writeCorpus } from './synthetic-corpus.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    years: { type: 'string', default: '10' },
    'events-per-day': { type: 'string', default: '3800' },
    'runs-apart-hours': { type: 'string', default: '4' },
  },
});
const years = Number(values.years);
const eventsPerDay = Number(values['events-per-day']);
const runsApartMs = Number(values['runs-apart-hours']) * 3_600_000;
if (!(years > 0) || !(eventsPerDay > 0) || !(runsApartMs > 0)) throw new Error('usage: npm run bench:scale -- --years N [--events-per-day E] [--runs-apart-hours H]');

/** The emulator's clock (and the publisher's waits) run this much faster than real time. */
const TIME_SCALE = 1000;
const MAX_RUNS = 20;

const days = Math.round(years * 365.25);
// The history ends yesterday, so its last month is the current one, late in a month or not.
const firstDay = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const corpusRoot = path.join(os.tmpdir(), 'usage-pipeline-bench', `scale-${years}y-${eventsPerDay}`);
const started = performance.now();
const { stats: corpus, reused } = await writeCorpus({ root: corpusRoot, profile: 'real-shape', days, events: days * eventsPerDay, eventNames: 300, firstDay });
console.log(`corpus: ${corpus.days.length} days from ${firstDay}, ${corpus.events.toLocaleString('en-US')} events, ${Math.round(corpus.bytes / 1e6)} MB${reused ? ' (cached)' : ''}`);

const home = await fs.mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-bench-scale-'));
const prod = path.join(home, 'bucket', 'events', 'prod');
await fs.mkdir(prod, { recursive: true });
// Hard links: the corpus stays as generated, and the copy costs nothing.
for (const name of await fs.readdir(path.join(corpusRoot, 'events', 'prod'))) await fs.link(path.join(corpusRoot, 'events', 'prod', name), path.join(prod, name));

const site = path.join(home, 'site');
await LocalGitPublisher.open(site);
const clock = new SimulatedClock(TIME_SCALE);
const token = randomBytes(16).toString('hex');
const emulator = await GitHubEmulator.start({ repoDir: site, owner: 'futel', repo: 'usage', token, clock: clock.now, requestLog: 'summary' });
const githubEmulator = { emulator, token, timeScale: TIME_SCALE };

const reports: EmbeddedReport[] = [];
try {
  const benchStarted = performance.now();
  for (let n = 1; n <= MAX_RUNS; n++) {
    const report = await runEmbedded({ home, publish: 'github', github: githubEmulator, ...(n === 1 ? { rebuildAll: true } : {}), lockWaitSeconds: 0 });
    reports.push(report);
    if (report.status !== 'SUCCEEDED') throw new Error(`run ${n} ${report.status}: ${JSON.stringify(report.failure)}`);
    const problems = await inconsistencies(site);
    if (problems.length > 0) throw new Error(`run ${n} left the branch inconsistent: ${problems.slice(0, 3).join('; ')}`);
    console.log(
      `run ${n}: ${report.mode}, ${report.daysBuilt} days built, ${report.filesPublished} files published, backlog ${report.publishBacklog}` +
        `${report.publishStoppedBy ? ` (${report.publishStoppedBy})` : ''}; history ${report.limits.historyEvents} events; GitHub ${JSON.stringify(report.limits.github)}`,
    );
    if (report.publishBacklog === 0) break;
    clock.advance(runsApartMs);
  }
  const seconds = (performance.now() - benchStarted) / 1000;
  const last = reports.at(-1)!;
  if (last.publishBacklog > 0) throw new Error(`the backlog was not gone after ${MAX_RUNS} runs`);

  const steps = new Map<string, { peak: number; memory: number }>();
  for (const report of reports) {
    for (const [step, s] of Object.entries(report.limits.steps)) {
      if (!s) continue;
      const seen = steps.get(step);
      steps.set(step, { peak: Math.max(seen?.peak ?? 0, s.peakMemoryMb ?? 0), memory: s.memoryMb });
    }
  }
  const github = reports.map((r) => r.limits.github!);
  const contentRequests = github.map((g) => g.contentRequests);
  const commits = Number((await run('git', ['-C', site, 'rev-list', '--count', 'gh-pages'])).stdout.trim());
  const files = (await run('git', ['-C', site, 'ls-tree', '-r', '--name-only', 'gh-pages'], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n').filter(Boolean).length;
  const budget = 400;
  const totalContent = contentRequests.reduce((a, b) => a + b, 0);
  const result = {
    years,
    days: corpus.days.length,
    events: corpus.events,
    corpusMb: Math.round(corpus.bytes / 1e6),
    filesOnBranch: files,
    executionHistoryEvents: Math.max(...reports.map((r) => r.limits.historyEvents)),
    maxPayloadBytes: Math.max(...reports.map((r) => r.limits.largestPayload.bytes)),
    stepPeakMemoryMb: Object.fromEntries([...steps].map(([step, s]) => [step, s.peak])),
    stepMemoryMb: Object.fromEntries([...steps].map(([step, s]) => [step, s.memory])),
    stepMemoryShare: Math.max(...[...steps.values()].map((s) => s.peak / s.memory)),
    githubRequests: github.reduce((sum, g) => sum + g.requests, 0),
    githubContentRequests: totalContent,
    contentRequestsPerRun: contentRequests,
    largestRequestBytes: Math.max(...github.map((g) => g.largestRequestBytes)),
    limitRefusals: github.reduce((sum, g) => sum + g.limitRefusals, 0),
    commits,
    runs: reports.length,
    fewestRunsTheBudgetAllows: Math.ceil(totalContent / budget),
    seconds: Math.round(seconds * 10) / 10,
    totalSecondsWithCorpus: Math.round((performance.now() - started) / 100) / 10,
    targets: { executionHistoryEvents: 5000, stepMemoryShare: 0.7, limitRefusals: 0 },
  };
  console.log(JSON.stringify(result));
} finally {
  await emulator.close();
  await fs.rm(home, { recursive: true, force: true });
}

/**
 * Files on the branch that name a day whose shard is not there: the state, the month rollups
 * (through the state's days of that month) and the month summaries.
 */
async function inconsistencies(repo: string): Promise<string[]> {
  const show = async (file: string) => (await run('git', ['-C', repo, 'show', `gh-pages:${file}`], { maxBuffer: 512 * 1024 * 1024 })).stdout;
  const listing = new Set((await run('git', ['-C', repo, 'ls-tree', '-r', '--name-only', 'gh-pages'], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n').filter(Boolean));
  const shard = (day: string) => `data/date/${day.slice(0, 4)}/${day.slice(4, 6)}/${day}.json`;
  const problems: string[] = [];
  const stateDays = listing.has('data/updated_state.json') ? Object.keys(JSON.parse(await show('data/updated_state.json')) as object).map((key) => key.slice('events/prod/'.length)) : [];
  for (const day of stateDays) if (!listing.has(shard(day))) problems.push(`data/updated_state.json names ${day}`);
  for (const file of listing) {
    const summary = /^data\/summary\/date\/(\d{4})\/(\d{2})\.json$/.exec(file);
    if (summary) {
      for (const day of (JSON.parse(await show(file)) as { days: string[] }).days) if (!listing.has(shard(day))) problems.push(`${file} names ${day}`);
    }
  }
  return problems;
}
