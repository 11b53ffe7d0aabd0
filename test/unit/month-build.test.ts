/**
 * A month rollup is its day shards' items in day order, however each day was made: built in
 * place by the fast path, built by the general path, empty, or re-used from the site.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import type { Day, Month } from '../../functions/core/days.js';
import { type SourceDay } from '../../functions/core/build-plan.js';
import { buildMonth } from '../../functions/core/month-build.js';
import { tempDir } from '../support/temp.js';

const line = (day: string, hh: string, channel: string, event: string) =>
  `{"timestamp": "${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${hh}:00:00+00:00", "channel": "${channel}", "endpoint": "${channel}", "event": "${event}"}`;

/** Days of March 2025 by kind of shard they give. */
const DAYS: Record<string, string> = {
  // fast path
  '20250301': `${line('20250301', '01', '655', 'ivr')}\n${line('20250301', '02', '630', 'operator')}\n`,
  // empty daily object: `[]`, nothing in the rollup
  '20250302': '',
  // only a broken line: `[]` too
  '20250303': 'not json\n',
  // general path (non-ASCII, escaped on output)
  '20250304': `{"timestamp": "2025-03-04T01:00:00+00:00", "channel": "caf\u00e9", "endpoint": "", "event": "e"}\n`,
  // fast path, after the general one
  '20250305': `${line('20250305', '03', '655', 'ivr')}\n`,
  // old line shape, rewritten
  '20250306': '{"timestamp": "2025-03-06T04:00:00-08:00", "channel": "SIP/630-0000011f", "event": "filter_dial"}\n',
};

async function setUp(): Promise<{ source: FsObjectStore; site: FsObjectStore; days: SourceDay[] }> {
  const root = await tempDir();
  const days: SourceDay[] = [];
  for (const [day, text] of Object.entries(DAYS)) {
    const file = path.join(root, 'bucket', 'events', 'prod', day);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    days.push({ day: day as Day, key: `events/prod/${day}`, size: Buffer.byteLength(text), ts: '2025-04-01 00:00:00+00:00' });
  }
  return { source: new FsObjectStore(path.join(root, 'bucket')), site: new FsObjectStore(path.join(root, 'data')), days };
}

async function read(store: FsObjectStore, key: string): Promise<string> {
  return Buffer.from((await store.get(key))!.body).toString('utf8');
}

/** What the rollup must be: the days' shards concatenated as Python would (`json.dumps(a + b)`). */
async function expectedRollup(site: FsObjectStore, days: readonly SourceDay[]): Promise<string> {
  const bodies: string[] = [];
  for (const { day } of days) {
    const shard = await read(site, `date/2025/03/${day}.json`);
    if (shard !== '[]') bodies.push(shard.slice(1, -1));
  }
  return `[${bodies.join(', ')}]`;
}

describe('month rollups', () => {
  it('are the day shards in day order, whichever way each day was built', async () => {
    const { source, site, days } = await setUp();
    await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: new Set(days.map((d) => d.day)) });
    expect(await read(site, 'date/2025/03/20250302.json')).toBe('[]');
    expect(await read(site, 'date/2025/03/20250304.json')).toContain('caf\\u00e9');
    const rollup = await read(site, 'date/2025/03.json');
    expect(rollup).toBe(await expectedRollup(site, days));
    expect(JSON.parse(rollup)).toHaveLength(5);
  });

  it('are the same when unchanged days are re-used from the site', async () => {
    const { source, site, days } = await setUp();
    const all = new Set(days.map((d) => d.day));
    await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: all });
    const first = await read(site, 'date/2025/03.json');
    const summary = await read(site, 'summary/date/2025/03.json');
    // Every other day re-used, the rest rebuilt.
    const rebuilt = new Set([days[0]!.day, days[2]!.day, days[4]!.day]);
    await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: rebuilt, reuseDays: new Set([...all].filter((d) => !rebuilt.has(d))) });
    expect(await read(site, 'date/2025/03.json')).toBe(first);
    expect(await read(site, 'summary/date/2025/03.json')).toBe(summary);
    // And with only re-used days, as when finalize rolls a month up after its days were built.
    await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: new Set(), reuseDays: all });
    expect(await read(site, 'date/2025/03.json')).toBe(first);
  });

  it('account for their time by phase: a month of re-used days scans nothing', async () => {
    const { source, site, days } = await setUp();
    const all = new Set(days.map((d) => d.day));
    const built = await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: all });
    for (const phase of ['read', 'scan', 'write', 'summary'] as const) expect(built.timings[phase]).toBeGreaterThan(0);
    const reused = await buildMonth(site, source, '202503' as Month, days, { layouts: ['date', 'summary'], writeDays: new Set(), reuseDays: all });
    expect(reused.timings.scan).toBe(0);
    expect(reused.timings.read).toBeGreaterThan(0);
  });

  it('are `[]` for a month of empty days', async () => {
    const { source, site, days } = await setUp();
    const empty = days.filter((d) => d.day === '20250302' || d.day === '20250303');
    await buildMonth(site, source, '202503' as Month, empty, { layouts: ['date'], writeDays: new Set(empty.map((d) => d.day)) });
    expect(await read(site, 'date/2025/03.json')).toBe('[]');
  });
});
