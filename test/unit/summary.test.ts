import { describe, expect, it } from '@jest/globals';
import { epochMillis, type Day, type Month } from '../../functions/core/days.js';
import { compareCodePoints } from '../../functions/core/python-json.js';
import { seededRandom } from '../../functions/core/random.js';
import { buildSeries, MonthCounts, SERIES_EVENT_LIMIT } from '../../functions/core/summary.js';
import { updateSeries, type MonthChange } from '../../functions/core/summary-update.js';
import { HOSTILE_NAMES, ORDINARY_NAMES } from '../support/hostile-names.js';

/** Names JavaScript objects order first (array indexes), and ones that only look like them. */
const INDEX_LIKE = ['0', '7', '655', '4294967294', '4294967295', '01', '-1', '1e3'];
const NAMES = [...ORDINARY_NAMES, ...HOSTILE_NAMES, ...INDEX_LIKE];

function randomMonths(seed: number, nameCount: number, monthNames = ['202111', '202112', '202201', '202503']): MonthCounts[] {
  const rand = seededRandom(seed);
  const names = NAMES.slice(0, nameCount);
  const months: MonthCounts[] = [];
  for (const month of monthNames) {
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
    index: JSON.stringify({
      firstDay: days[0] ?? null,
      lastDay: days.at(-1) ?? null,
      days: days.length,
      total: total.reduce((s, p) => s + (p[1] as number), 0),
      lastUpdated,
      events,
      channels,
      seriesEvents,
      months: Object.fromEntries(months.map((m) => [m.month, m.fingerprint])),
    }),
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

  it('read the months a second time only when a series event was not among a month\'s busiest', async () => {
    /** Months of many events: `star` is rare in every month but the last, where it is the busiest by far. */
    const manyEvents = (starInLast: number) =>
      ['202501', '202502', '202503'].map((name, m) => {
        const month = new MonthCounts(name as Month);
        const events = new Map<string, number>(Array.from({ length: 4 * SERIES_EVENT_LIMIT + 50 }, (_, i) => [`e${i}`, 1000 - i] as const));
        events.set('star', m === 2 ? starInLast : 1);
        month.addCounts(`${name}01` as Day, { total: 1, events, channels: new Map([['c', m + 1]]) });
        return month;
      });
    for (const [starInLast, readings] of [
      [1_000_000, 2],
      [1, 1],
    ] as const) {
      const months = manyEvents(starInLast);
      let read = 0;
      const files = await buildSeries(() => {
        read++;
        return months;
      }, null);
      expect(files).toEqual(reference(months, null));
      expect([starInLast, read]).toEqual([starInLast, readings]);
    }
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

describe('all-time summary files updated for the months a run rewrote', () => {
  const MONTHS = ['202111', '202112', '202201', '202202', '202302', '202503'];

  it('give exactly what a rebuild from every month gives, or say they cannot', async () => {
    let updated = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rand = seededRandom(seed);
      const nameCount = seed % 5 === 0 ? NAMES.length : 3 + (seed % 20);
      const before = randomMonths(seed, nameCount, MONTHS.slice(0, 4 + (seed % 3)));
      // Some months change, sometimes one is new.
      const changedMonths = MONTHS.filter(() => rand() < 0.3);
      if (changedMonths.length === 0) changedMonths.push(MONTHS[seed % MONTHS.length] as string);
      const rewritten = randomMonths(seed + 1000, nameCount, changedMonths);
      const after = [...before.filter((m) => !changedMonths.includes(m.month)), ...rewritten].sort((a, b) => (a.month < b.month ? -1 : 1));
      const changes: MonthChange[] = rewritten.map((current) => ({ current, previous: before.find((m) => m.month === current.month) ?? null }));
      const previous = await buildSeries(() => before, 'then');
      const update = updateSeries(previous, changes, 'now');
      const rebuilt = await buildSeries(() => after, 'now');
      if (update !== null) {
        expect({ seed, ...update }).toEqual({ seed, ...rebuilt });
        updated++;
      } else {
        // Only when an event that occurred before, without a series of its own, enters the busiest 100.
        const before100 = new Set(JSON.parse(previous.index).seriesEvents);
        const known = new Set(JSON.parse(previous.index).events.map(([name]: [string]) => name));
        expect(JSON.parse(rebuilt.index).seriesEvents.some((name: string) => !before100.has(name) && known.has(name))).toBe(true);
      }
    }
    expect(updated).toBeGreaterThan(40);
  });

  it('drop the names that no longer occur, and add the new ones', async () => {
    // Pairs, not object literals: `{ __proto__: 2 }` would not make a key.
    const month = (events: Array<[string, number]>, channels: Array<[string, number]>) => {
      const counts = new MonthCounts('202503' as Month);
      const total = events.reduce((sum, [, n]) => sum + n, 0);
      counts.addCounts('20250301' as Day, { total, events: new Map(events), channels: new Map(channels) });
      return counts;
    };
    const other = new MonthCounts('202502' as Month);
    other.addCounts('20250201' as Day, { total: 1, events: new Map([['kept', 1]]), channels: new Map([['655', 1]]) });
    const before = month([['kept', 2], ['gone', 1]], [['655', 2], ['constructor', 1]]);
    const after = month([['kept', 1], ['__proto__', 2]], [['655', 1], ['toString', 2]]);
    const previous = await buildSeries(() => [other, before], null);
    const update = updateSeries(previous, [{ previous: before, current: after }], null);
    expect(update).toEqual(await buildSeries(() => [other, after], null));
    expect(JSON.parse(update!.index).events.map(([name]: [string]) => name).sort()).toEqual(['__proto__', 'kept']);
    expect(Object.keys(JSON.parse(update!.channels)).sort()).toEqual(['655', 'toString']);
  });

  it('refuse previous files they cannot trust: missing, malformed, or at odds with the month as it was', async () => {
    const before = randomMonths(5, 10);
    const current = randomMonths(6, 10, ['202112'])[0] as MonthCounts;
    const previous = await buildSeries(() => before, null);
    const change = { current, previous: before[1] as MonthCounts };
    expect(updateSeries(previous, [change], null)).not.toBeNull();
    expect(updateSeries({ ...previous, total: '{' }, [change], null)).toBeNull();
    expect(updateSeries({ ...previous, channels: '[]' }, [change], null)).toBeNull();
    expect(updateSeries({ ...previous, index: '{"events": []}' }, [change], null)).toBeNull();
    // The month's previous summary is not what the files were made from (as after a crash
    // between writing a month summary and the all-time files).
    expect(updateSeries(previous, [{ current, previous: current }], null)).toBeNull();
    expect(updateSeries(previous, [{ current, previous: null }], null)).toBeNull();
    expect(updateSeries({ ...previous, index: previous.index.replace(/"months":\{[^}]*\}/, '"months":{}') }, [change], null)).toBeNull();
  });
});
