/**
 * `npm run bench:build [-- --days N --events N --names N]`: a full and an incremental build of a
 * synthetic history, against a naive single-threaded build (parse, normalise, re-serialise
 * every line) of the same corpus. Last line: one JSON object with the figures.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { pyDumps, pyLoads, type PyObject } from '../../functions/core/python-json.js';
import { normaliseEventName, rewriteChannel } from '../../functions/core/normalise.js';
import { writeCorpus } from './synthetic-corpus.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '365' },
    events: { type: 'string', default: '1500000' },
    names: { type: 'string', default: '5000' },
    'skip-naive': { type: 'boolean', default: false },
  },
});
const root = path.join(os.tmpdir(), 'usage-pipeline-bench-build');
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'usage-pipeline.mjs');
const run = promisify(execFile);

async function build(args: string[]) {
  const { stdout } = await run(process.execPath, [bin, 'build', '--input', path.join(root, 'bucket'), '--out', path.join(root, 'data'), '--json', ...args], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** What the old generator did per line, done straightforwardly: the baseline to beat. */
async function naiveBuild(days: string[]): Promise<number> {
  const started = performance.now();
  for (const day of days) {
    const text = await fs.readFile(path.join(root, 'bucket', 'events', 'prod', day), 'utf8');
    const seen = new Set<string>();
    const out: Array<{ ts: string; json: string }> = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const event = pyLoads(line) as PyObject;
      const endpoint = event.get('endpoint');
      event.set('channel', typeof endpoint === 'string' && endpoint ? endpoint : rewriteChannel(event.get('channel') as string));
      event.set('event', normaliseEventName(event.get('event') as string));
      const json = pyDumps(event);
      if (!seen.has(json)) {
        seen.add(json);
        out.push({ ts: event.get('timestamp') as string, json });
      }
    }
    out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    await fs.mkdir(path.join(root, 'naive'), { recursive: true });
    await fs.writeFile(path.join(root, 'naive', `${day}.json`), `[${out.map((o) => o.json).join(', ')}]`);
  }
  return (performance.now() - started) / 1000;
}

await fs.rm(root, { recursive: true, force: true });
const generated = performance.now();
const corpus = await writeCorpus({ root: path.join(root, 'bucket'), days: Number(values.days), events: Number(values.events), eventNames: Number(values.names) });
const mb = corpus.bytes / 1e6;
console.log(`corpus: ${corpus.days.length} days, ${corpus.events.toLocaleString('en-US')} events, ${mb.toFixed(1)} MB (generated in ${((performance.now() - generated) / 1000).toFixed(1)} s) in ${root}`);

const full = await build([]);
console.log(`full build:        ${full.seconds.toFixed(2)} s, ${full.mbPerSecond.toFixed(1)} MB/s, ${Math.round(full.events / full.seconds).toLocaleString('en-US')} events/s, ${full.filesWritten} files, peak RSS ${full.peakRssMb} MB, ${full.threads} threads`);

// One day gains an event and a newer modification time, as after a drain.
const changedDay = corpus.days[Math.floor(corpus.days.length / 2)] as string;
const changedFile = path.join(root, 'bucket', 'events', 'prod', changedDay);
const extra = `{"timestamp": "${changedDay.slice(0, 4)}-${changedDay.slice(4, 6)}-${changedDay.slice(6)}T23:59:59+00:00", "channel": "655", "endpoint": "655", "event": "bench-extra"}\n`;
await fs.appendFile(changedFile, extra);
const incremental = await build([]);
console.log(`incremental build: ${incremental.seconds.toFixed(2)} s, ${incremental.filesWritten} files written (${incremental.written.join(', ')}), peak RSS ${incremental.peakRssMb} MB`);

let naiveSeconds: number | null = null;
if (!values['skip-naive']) {
  naiveSeconds = await naiveBuild(corpus.days);
  console.log(`naive single-threaded day shards only: ${naiveSeconds.toFixed(2)} s (${(mb / naiveSeconds).toFixed(1)} MB/s); full build takes ${((full.seconds / naiveSeconds) * 100).toFixed(0)}% of that`);
}
console.log(
  JSON.stringify({
    corpusMb: Number(mb.toFixed(1)),
    events: corpus.events,
    days: corpus.days.length,
    fullSeconds: Number(full.seconds.toFixed(3)),
    mbPerSecond: Number(full.mbPerSecond.toFixed(1)),
    eventsPerSecond: Math.round(full.events / full.seconds),
    peakRssMb: Math.max(full.peakRssMb, incremental.peakRssMb),
    filesWritten: full.filesWritten,
    incrementalSeconds: Number(incremental.seconds.toFixed(3)),
    incrementalFilesWritten: incremental.filesWritten,
    naiveSeconds: naiveSeconds === null ? null : Number(naiveSeconds.toFixed(3)),
    threads: full.threads,
  }),
);
