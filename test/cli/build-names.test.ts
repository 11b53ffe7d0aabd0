/**
 * Every name is counted whatever its spelling: a channel or event named like a property every
 * object inherits (`__proto__`, `constructor`, `toString`, …) must appear in every summary
 * file with the same totals as the day shards hold.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runBuild } from '../../functions/generator/run-build.js';
import { parseIndex, parseSeries, parseSeriesByName, totalsInRange } from '../../functions/charts/aggregate.js';
import { eventChannelPath } from '../../functions/core/site-paths.js';
import { HOSTILE_NAMES, OBJECT_PROTOTYPE_NAMES } from '../support/hostile-names.js';
import { tempDir } from '../support/temp.js';

const DAY = '20250301';

/** Name i is the event of i + 1 lines, each on a channel named after another name. */
function dailyObject(names: readonly string[]): string {
  const lines: string[] = [];
  let second = 0;
  names.forEach((event, i) => {
    for (let r = 0; r <= i; r++) {
      const channel = names[(i + r) % names.length] as string;
      const time = new Date(Date.UTC(2025, 2, 1) + second++ * 1000).toISOString().replace('.000Z', '+00:00');
      lines.push(`{"timestamp": "${time}", "channel": ${JSON.stringify(channel)}, "endpoint": ${JSON.stringify(channel)}, "event": ${JSON.stringify(event)}}`);
    }
  });
  return `${lines.sort().join('\n')}\n`;
}

const readJson = async (root: string, file: string): Promise<unknown> => JSON.parse(await fs.readFile(path.join(root, file), 'utf8'));

function tally(names: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

const sorted = (pairs: Iterable<readonly [string, number]>) => [...pairs].map(([n, c]) => [n, c] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** `{"name": [dayIndex, count, …]}` (a month summary's columns) as name → total. */
function columnTotals(columns: Record<string, number[]>): Map<string, number> {
  return new Map(Object.entries(columns).map(([name, pairs]) => [name, pairs.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)]));
}

async function buildAndCheck(names: readonly string[], threads: number): Promise<void> {
  const root = await tempDir();
  const input = path.join(root, 'bucket');
  const out = path.join(root, 'data');
  await fs.mkdir(path.join(input, 'events', 'prod'), { recursive: true });
  await fs.writeFile(path.join(input, 'events', 'prod', DAY), dailyObject(names));
  const summary = await runBuild({ input, out, layouts: ['date', 'summary', 'channel', 'event'], threads });
  expect(summary.rejected).toBe(0);

  const shard = (await readJson(out, 'date/2025/03/20250301.json')) as Array<{ channel: string; event: string }>;
  const events = tally(shard.map((e) => e.event));
  const channels = tally(shard.map((e) => e.channel));
  expect(events.size).toBe(names.length);
  expect(channels.size).toBe(names.length);

  const index = parseIndex(await readJson(out, 'summary/index.json'));
  expect(index.total).toBe(shard.length);
  expect(sorted(index.events.map((e) => [e.name, e.count]))).toEqual(sorted(events));
  expect(sorted(index.channels.map((e) => [e.name, e.count]))).toEqual(sorted(channels));

  const month = (await readJson(out, 'summary/date/2025/03.json')) as { total: number[]; events: Record<string, number[]>; channels: Record<string, number[]> };
  expect(month.total).toEqual([shard.length]);
  expect(sorted(columnTotals(month.events))).toEqual(sorted(events));
  expect(sorted(columnTotals(month.channels))).toEqual(sorted(channels));

  const all = { from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 1) };
  const total = parseSeries(await readJson(out, 'summary/series/total.json'));
  expect(total).toEqual([[all.from, shard.length]]);
  const eventSeries = parseSeriesByName(await readJson(out, 'summary/series/events.json'), 'events.json');
  expect(sorted(totalsInRange(eventSeries, all).map((r) => [r.name, r.count]))).toEqual(sorted(events));
  const channelSeries = parseSeriesByName(await readJson(out, 'summary/series/channels.json'), 'channels.json');
  expect(sorted(totalsInRange(channelSeries, all).map((r) => [r.name, r.count]))).toEqual(sorted(channels));

  // The all-time file of every event/channel pair.
  for (const [pair, count] of tally(shard.map((e) => JSON.stringify([e.event, e.channel])))) {
    const [event, channel] = JSON.parse(pair) as [string, string];
    expect({ pair, items: ((await readJson(out, eventChannelPath(event, channel))) as unknown[]).length }).toEqual({ pair, items: count });
  }

  // Event names as published: `_` becomes `-`.
  expect(new Set(events.keys())).toEqual(new Set(names.map((name) => name.replaceAll('_', '-'))));
  expect(new Set((await readJson(out, 'event-list.json')) as string[])).toEqual(new Set(events.keys()));
}

describe('usage-pipeline build: names that objects inherit', () => {
  it(`counts each of the ${OBJECT_PROTOTYPE_NAMES.length} names of Object.prototype as channel and as event, in every summary file`, async () => {
    expect(OBJECT_PROTOTYPE_NAMES).toContain('__proto__');
    await buildAndCheck(OBJECT_PROTOTYPE_NAMES, 0);
  });

  it('does the same on worker threads', async () => {
    await buildAndCheck(OBJECT_PROTOTYPE_NAMES, 2);
  });

  it('counts hostile names too: empty, paths, control characters, non-ASCII, surrogates, very long', async () => {
    await buildAndCheck(HOSTILE_NAMES, 0);
  });
});
