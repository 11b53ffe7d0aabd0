/**
 * What the old generator did per line, done straightforwardly, single-threaded: the baseline
 * the build benchmark measures against. Every line is parsed, normalised, de-duplicated,
 * sorted and written back as Python's `json.dumps` writes it; one day shard per daily object.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { normaliseEventName, rewriteChannel } from '../../functions/core/normalise.js';
import { pyDumps, pyLoads, type PyObject } from '../../functions/core/python-json.js';

/** Seconds taken to write `out/YYYYMMDD.json` for every day. */
export async function naiveBuild(dailyObjects: string, out: string, days: readonly string[]): Promise<number> {
  await fs.rm(out, { recursive: true, force: true });
  await fs.mkdir(out, { recursive: true });
  const started = performance.now();
  for (const day of days) {
    const text = await fs.readFile(path.join(dailyObjects, day), 'utf8');
    const seen = new Set<string>();
    const shard: Array<{ ts: string; json: string }> = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const event = pyLoads(line) as PyObject;
      const endpoint = event.get('endpoint');
      event.set('channel', typeof endpoint === 'string' && endpoint ? endpoint : rewriteChannel(event.get('channel') as string));
      event.set('event', normaliseEventName(event.get('event') as string));
      const json = pyDumps(event);
      if (!seen.has(json)) {
        seen.add(json);
        shard.push({ ts: event.get('timestamp') as string, json });
      }
    }
    shard.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    await fs.writeFile(path.join(out, `${day}.json`), `[${shard.map((o) => o.json).join(', ')}]`);
  }
  return (performance.now() - started) / 1000;
}
