/**
 * `npm run bench:build [-- --profile real-shape|long-tail --days N --events N --names N --repeat N]`:
 * a full and a one-day incremental build of a synthetic history, and a naive single-threaded
 * build of the same corpus in the same run (parse, normalise, de-duplicate, sort and
 * `json.dumps`-format every line). Each build runs as the CLI runs, in a process of its own,
 * under `/usr/bin/time -v` when the machine has it (peak RSS of the whole process, worker
 * threads included). Last line: one JSON object with the figures.
 *
 * `--cpu-prof DIR` writes V8 CPU profiles of the full build (every thread) to DIR; `--cli PATH`
 * benchmarks another checkout's `bin/usage-pipeline.mjs` on the same corpus.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { naiveBuild } from './naive-build.js';
import { PROFILES, writeCorpus, type ProfileName } from './synthetic-corpus.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'real-shape' },
    days: { type: 'string' },
    events: { type: 'string' },
    names: { type: 'string' },
    seed: { type: 'string', default: '20250301' },
    repeat: { type: 'string', default: '1' },
    'skip-naive': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    cli: { type: 'string' },
  },
});
if (!(values.profile in PROFILES)) throw new Error(`--profile: one of ${Object.keys(PROFILES).join(', ')}`);
const profileName = values.profile as ProfileName;
const profile = PROFILES[profileName];
const days = Number(values.days ?? profile.days);
const events = Number(values.events ?? Math.round((profile.events * days) / profile.days));
const repeat = Math.max(1, Number(values.repeat));

const root = path.join(os.tmpdir(), 'usage-pipeline-bench');
// One cached corpus per profile, re-used while its options stay the same, and never written to:
// each run builds from a bucket of hard links to it, so runs side by side do not disturb each other.
const corpusRoot = path.join(root, `corpus-${profileName}`);
const work = path.join(root, `run-${process.pid}`);
const bucket = path.join(work, 'bucket');
const out = path.join(work, 'data');
// `--cli` benchmarks another checkout's command on the same corpus (e.g. before and after a change).
const bin = values.cli ? path.resolve(values.cli) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'usage-pipeline.mjs');
const run = promisify(execFile);
const TIME = '/usr/bin/time';
const timeAvailable = existsSync(TIME);

interface BuildRun {
  /** The build's own figures (`--json`). */
  readonly summary: { seconds: number; mbPerSecond: number; events: number; filesWritten: number; written: string[]; peakRssMb: number; threads: number; timings?: Timings };
  /** From starting the command to its exit, Node's start-up included. */
  readonly wallSeconds: number;
  /** `/usr/bin/time -v`'s maximum resident set size, or the build's own when that is missing. */
  readonly peakRssMb: number;
  /** User plus system CPU time of the process, all threads (null without `/usr/bin/time`): steadier than wall time on a shared machine. */
  readonly cpuSeconds: number | null;
}

async function build(nodeArgs: string[] = []): Promise<BuildRun> {
  const command = [...nodeArgs, bin, 'build', '--input', bucket, '--out', out, '--json'];
  const started = performance.now();
  const { stdout, stderr } = timeAvailable
    ? await run(TIME, ['-v', process.execPath, ...command], { maxBuffer: 256 * 1024 * 1024 })
    : await run(process.execPath, command, { maxBuffer: 256 * 1024 * 1024 });
  const wallSeconds = (performance.now() - started) / 1000;
  const summary = JSON.parse(stdout);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return {
    summary,
    wallSeconds,
    peakRssMb: rss ? Math.round(Number(rss[1]) / 1024) : summary.peakRssMb,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : null,
  };
}

/** The build's own account of its time (`timings` in `build --json`; a `--cli` checkout may not have it). */
interface Timings {
  startup: number;
  plan: number;
  months: number;
  finish: number;
  monthPhases: { read: number; scan: number; write: number; summary: number };
}

function describeTimings(t: Timings): string {
  const phases = Object.entries(t.monthPhases).map(([phase, seconds]) => `${phase} ${seconds.toFixed(2)}`).join(', ');
  return `start-up ${t.startup.toFixed(2)} s, plan ${t.plan.toFixed(2)} s, months ${t.months.toFixed(2)} s (thread time: ${phases} s), finish ${t.finish.toFixed(2)} s`;
}

function medianTimings(list: readonly Timings[]): Timings {
  const of = (pick: (t: Timings) => number) => round(median(list.map(pick)));
  return {
    startup: of((t) => t.startup),
    plan: of((t) => t.plan),
    months: of((t) => t.months),
    finish: of((t) => t.finish),
    monthPhases: {
      read: of((t) => t.monthPhases.read),
      scan: of((t) => t.monthPhases.scan),
      write: of((t) => t.monthPhases.write),
      summary: of((t) => t.monthPhases.summary),
    },
  };
}

function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const range = (list: readonly number[], digits = 3) => [round(Math.min(...list), digits), round(Math.max(...list), digits)];

const generated = performance.now();
const { stats: corpus, reused } = await writeCorpus({ root: corpusRoot, profile: profileName, days, events, eventNames: Number(values.names ?? profile.eventNames), seed: Number(values.seed) });
const mb = corpus.bytes / 1e6;
console.log(
  `corpus ${profileName}: ${corpus.days.length} days, ${corpus.events.toLocaleString('en-US')} events, ${mb.toFixed(1)} MB, ` +
    `${(corpus.withoutEndpointShare * 100).toFixed(1)}% of lines without endpoint, ${corpus.changedByNormalisation.toLocaleString('en-US')} changed by normalisation, ` +
    `busiest day ${corpus.busiestDay.day} (${corpus.busiestDay.events.toLocaleString('en-US')} events), forms ${JSON.stringify(corpus.timestampForms)} ` +
    `(${reused ? 're-used' : `generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`}) in ${corpusRoot}`,
);
await linkBucket(path.join(corpusRoot, 'events', 'prod'), path.join(bucket, 'events', 'prod'));
try {
  console.log(JSON.stringify(await measure()));
} finally {
  await fs.rm(work, { recursive: true, force: true });
}

async function measure() {
  const fulls: BuildRun[] = [];
  for (let i = 0; i < repeat; i++) {
    await fs.rm(out, { recursive: true, force: true });
    const profiling = values['cpu-prof'] !== undefined && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof'])}`] : [];
    const full = await build(profiling);
    fulls.push(full);
    const s = full.summary;
    console.log(`full build:        ${s.seconds.toFixed(2)} s (${full.wallSeconds.toFixed(2)} s with start-up, ${full.cpuSeconds?.toFixed(2)} s CPU), ${s.mbPerSecond.toFixed(1)} MB/s, ${Math.round(s.events / s.seconds).toLocaleString('en-US')} events/s, ${s.filesWritten} files, peak RSS ${full.peakRssMb} MB, ${s.threads} threads`);
    if (s.timings) console.log(`  where it went:    ${describeTimings(s.timings)}`);
  }

  // The busiest day gains an event and a newer modification time, as after a drain; its month is
  // the largest to roll up again.
  const changedDay = corpus.busiestDay.day;
  const changedFile = path.join(bucket, 'events', 'prod', changedDay);
  const original = await fs.readFile(changedFile);
  const incrementals: BuildRun[] = [];
  for (let i = 0; i < repeat; i++) {
    const extra = `{"timestamp": "${changedDay.slice(0, 4)}-${changedDay.slice(4, 6)}-${changedDay.slice(6)}T23:59:59+00:00", "channel": "655", "endpoint": "655", "event": "bench-extra-${i}"}\n`;
    // A new file in place of the link: the corpus itself stays as generated.
    await fs.rm(changedFile);
    await fs.writeFile(changedFile, Buffer.concat([original, Buffer.from(extra)]));
    const when = new Date(Date.now() + i * 1000);
    await fs.utimes(changedFile, when, when);
    const incremental = await build();
    incrementals.push(incremental);
    console.log(`incremental build: ${incremental.summary.seconds.toFixed(2)} s (${incremental.wallSeconds.toFixed(2)} s with start-up, ${incremental.cpuSeconds?.toFixed(2)} s CPU), ${incremental.summary.filesWritten} files written (${incremental.summary.written.join(', ')}), peak RSS ${incremental.peakRssMb} MB`);
  }

  const first = (fulls[0] as BuildRun).summary;
  let naiveSeconds: number | null = null;
  if (!values['skip-naive']) {
    naiveSeconds = await naiveBuild(path.join(corpusRoot, 'events', 'prod'), path.join(work, 'naive'), corpus.days);
    console.log(`naive single-threaded day shards only: ${naiveSeconds.toFixed(2)} s (${(mb / naiveSeconds).toFixed(1)} MB/s)`);
  }
  // The same reads and writes with no line work: what no build can beat (see io-floor.mjs).
  const floorRuns: number[] = [];
  for (let i = 0; i < repeat; i++) floorRuns.push(await ioFloor(first.threads));
  const ioFloorSeconds = median(floorRuns);
  console.log(`file-system floor: ${ioFloorSeconds.toFixed(2)} s (reading every daily object, writing its day file and rollup, no line work, ${first.threads} threads, start-up included)`);
  const fullSeconds = median(fulls.map((f) => f.summary.seconds));
  const fullWallSeconds = median(fulls.map((f) => f.wallSeconds));
  return {
      profile: profileName,
      corpusMb: round(mb, 1),
      events: corpus.events,
      days: corpus.days.length,
      withoutEndpointShare: corpus.withoutEndpointShare,
      changedByNormalisation: corpus.changedByNormalisation,
      busiestDayEvents: corpus.busiestDay.events,
      fullSeconds: round(fullSeconds),
      fullWallSeconds: round(fullWallSeconds),
      fullCpuSeconds: timeAvailable ? round(median(fulls.map((f) => f.cpuSeconds ?? 0))) : null,
      mbPerSecond: round(mb / fullSeconds, 1),
      eventsPerSecond: Math.round(first.events / fullSeconds),
      peakRssMb: Math.max(...fulls.map((f) => f.peakRssMb), ...incrementals.map((f) => f.peakRssMb)),
      peakRssSource: timeAvailable ? '/usr/bin/time -v' : 'process.resourceUsage',
      filesWritten: first.filesWritten,
      incrementalSeconds: round(median(incrementals.map((f) => f.summary.seconds))),
      incrementalWallSeconds: round(median(incrementals.map((f) => f.wallSeconds))),
      incrementalCpuSeconds: timeAvailable ? round(median(incrementals.map((f) => f.cpuSeconds ?? 0))) : null,
      incrementalFilesWritten: (incrementals[0] as BuildRun).summary.filesWritten,
      naiveSeconds: naiveSeconds === null ? null : round(naiveSeconds),
      // Against the whole command, start-up included: the stricter of the two.
      ratioToNaive: naiveSeconds === null ? null : round(fullWallSeconds / naiveSeconds),
      ioFloorSeconds: round(ioFloorSeconds),
      ioFloorRatioToNaive: naiveSeconds === null ? null : round(ioFloorSeconds / naiveSeconds),
      threads: first.threads,
      ...(first.timings ? { fullTimings: medianTimings(fulls.map((f) => f.summary.timings as Timings)) } : {}),
      runs: repeat,
      ...(repeat > 1
        ? {
            fullSecondsRange: range(fulls.map((f) => f.summary.seconds)),
            fullWallSecondsRange: range(fulls.map((f) => f.wallSeconds)),
            incrementalWallSecondsRange: range(incrementals.map((f) => f.wallSeconds)),
            peakRssMbRange: range(fulls.map((f) => f.peakRssMb), 0),
          }
        : {}),
  };
}

async function ioFloor(threads: number): Promise<number> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'io-floor.mjs');
  const { stdout } = await run(process.execPath, [script, path.join(bucket, 'events', 'prod'), path.join(work, 'floor'), String(Math.max(1, threads))]);
  return (JSON.parse(stdout) as { seconds: number }).seconds;
}

async function linkBucket(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const name of await fs.readdir(from)) await fs.link(path.join(from, name), path.join(to, name));
}
