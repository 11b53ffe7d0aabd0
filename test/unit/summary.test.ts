import { describe, expect, it } from '@jest/globals';
import { epochMillis, type Day, type Month } from '../../functions/core/days.js';
import { compareCodePoints } from '../../functions/core/python-json.js';
import { seededRandom } from '../../functions/core/random.js';
import { buildSeries, MonthCounts, SERIES_EVENT_LIMIT } from '../../functions/core/summary.js';
import { HOSTILE_NAMES, ORDINARY_NAMES } from '../support/hostile-names.js';

/** Names JavaScript objects order first (array indexes), and ones that only look like them. */
const INDEX_LIKE = ['0', '7', '655', '4294967294', '4294967295', '01', '-1', '1e3'];
const NAMES = [...ORDINARY_NAMES, ...HOSTILE_NAMES, ...INDEX_LIKE];

function randomMonths(seed: number, nameCount: number): MonthCounts[] {
  const rand = seededRandom(seed);
  const names = NAMES.slice(0, nameCount);
  const months: MonthCounts[] = [];
  for (const month of ['202111', '202112', '202201', '202503']) {
    const counts = new MonthCounts(month as Month);
    for (let d = 1; d <= 28; d++) {
      if (rand() < 0.3) continue;
      const events = new Map<string, number>();
      const channels = new Map<string, number>();
      let total = 0;
      for (const name of names) {
        if (rand() < 0.5) continue;
        const n = 1 + Math.floor(rand() * 50);
        events.set(name, n);
        total += n;
      }
      for (const name of names) if (rand() < 0.5) channels.set(name, 1 + Math.floor(rand() * 9));
      counts.addCounts(`${month}${String(d).padStart(2, '0')}` as Day, { total, events, channels });
    }
    months.push(counts);
  }
  return months;
}

/** The files as plain objects and arrays would have them, in records without a prototype. */
function reference(months: MonthCounts[], lastUpdated: string | null) {
  const totals = (columnsOf: (m: MonthCounts) => ReadonlyMap<string, readonly number[]>) => {
    const out = new Map<string, number>();
    for (const m of months) for (const [name, pairs] of columnsOf(m)) out.set(name, (out.get(name) ?? 0) + pairs.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0));
    return [...out].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  };
  const series = (names: string[], columnsOf: (m: MonthCounts) => ReadonlyMap<string, readonly number[]>) => {
    const out: Record<string, Array<[number, number]>> = Object.create(null);
    for (const name of names) {
      out[name] = [];
      for (const m of months) {
        const pairs = columnsOf(m).get(name) ?? [];
        for (let i = 0; i < pairs.length; i += 2) out[name].push([epochMillis(m.days[pairs[i] as number] as Day), pairs[i + 1] as number]);
      }
    }
    return JSON.stringify(out);
  };
  const events = totals((m) => m.eventColumns());
  const channels = totals((m) => m.channelColumns());
  const days = months.flatMap((m) => m.days);
  const total = months.flatMap((m) => m.days.map((day, i) => [epochMillis(day), m.totals[i] as number]));
  const seriesEvents = events.slice(0, SERIES_EVENT_LIMIT).map(([name]) => name);
  return {
    index: JSON.stringify({ firstDay: days[0] ?? null, lastDay: days.at(-1) ?? null, days: days.length, total: total.reduce((s, p) => s + (p[1] as number), 0), lastUpdated, events, channels, seriesEvents }),
    total: JSON.stringify(total),
    events: series(seriesEvents, (m) => m.eventColumns()),
    channels: series(channels.map(([name]) => name), (m) => m.channelColumns()),
  };
}

describe('summary files', () => {
  it.each([
    [1, NAMES.length],
    [2, 5],
    [3, 0],
  ])('all-time files match what plain records give, with hostile and index-like names (seed %p, %p names)', async (seed, count) => {
    const months = randomMonths(seed, count);
    expect(await buildSeries(() => months, '2025-03-31 00:00:00+00:00')).toEqual(reference(months, '2025-03-31 00:00:00+00:00'));
  });

  it('keeps only the busiest events in the event series', async () => {
    const month = new MonthCounts('202503' as Month);
    const events = new Map(Array.from({ length: SERIES_EVENT_LIMIT + 20 }, (_, i) => [`e${i}`, i + 1] as const));
    month.addCounts('20250301' as Day, { total: 1, events, channels: new Map([['c', 1]]) });
    const files = await buildSeries(() => [month], null);
    expect(Object.keys(JSON.parse(files.events))).toHaveLength(SERIES_EVENT_LIMIT);
    expect(JSON.parse(files.index).events).toHaveLength(SERIES_EVENT_LIMIT + 20);
  });

  it('writes and reads back a month with every hostile name, as channel and as event', () => {
    const month = new MonthCounts('202503' as Month);
    const names = new Map(NAMES.map((name, i) => [name, i + 1] as const));
    month.addCounts('20250301' as Day, { total: 5, events: names, channels: names });
    month.addCounts('20250302' as Day, { total: 2, events: new Map([['__proto__', 2]]), channels: new Map([['constructor', 2]]) });
    const text = month.serialise();
    const again = MonthCounts.parse(text);
    expect(again.serialise()).toBe(text);
    expect(again.countsOf('20250301' as Day)?.events).toEqual(names);
    expect(again.countsOf('20250302' as Day)?.events).toEqual(new Map([['__proto__', 2]]));
    expect(Object.keys(JSON.parse(text).events)).toHaveLength(names.size);
  });
});
