import { describe, expect, it } from '@jest/globals';
import {
  DAY_MS,
  dailyColumns,
  dataBounds,
  dayCount,
  isoDate,
  lowerBound,
  matchingPreset,
  normaliseRange,
  parseDayMillis,
  parseIndex,
  parseSeries,
  parseSeriesByName,
  presetRange,
  rangeStats,
  rank,
  sumInRange,
  SummaryFormatError,
  totalsInRange,
  trailingAverage,
  trailingAverageInRange,
  type DayRange,
  type Series,
} from '../../functions/charts/aggregate.js';
import { formatAge, formatShare, parseLastUpdated } from '../../functions/charts/format.js';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const range = (from: string, to: string): DayRange => ({ from: day(from), to: day(to) });

/** 2025-03-01 … 2025-03-10 without the 5th; the 7th had a daily object with no events. */
const total: Series = [
  [day('2025-03-01'), 10],
  [day('2025-03-02'), 20],
  [day('2025-03-03'), 30],
  [day('2025-03-04'), 40],
  [day('2025-03-06'), 60],
  [day('2025-03-07'), 0],
  [day('2025-03-08'), 80],
  [day('2025-03-09'), 90],
  [day('2025-03-10'), 100],
];

describe('days', () => {
  it('parses both day forms and refuses dates that do not exist', () => {
    expect(parseDayMillis('20250301')).toBe(Date.UTC(2025, 2, 1));
    expect(parseDayMillis('2025-03-01')).toBe(Date.UTC(2025, 2, 1));
    expect(parseDayMillis('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    for (const bad of ['2025-02-29', '20251301', '2025-3-1', '', '2025-03-01T00:00:00Z', '20250230']) {
      expect(parseDayMillis(bad)).toBeNull();
    }
  });

  it('gives input values in UTC, whatever the local zone', () => {
    expect(isoDate(day('2025-03-01'))).toBe('2025-03-01');
    expect(isoDate(day('2024-12-31'))).toBe('2024-12-31');
  });

  it('counts the days of an inclusive range', () => {
    expect(dayCount(range('2025-03-01', '2025-03-01'))).toBe(1);
    expect(dayCount(range('2025-03-01', '2025-03-31'))).toBe(31);
    expect(dayCount(range('2024-01-01', '2024-12-31'))).toBe(366);
    expect(dayCount(range('2025-03-02', '2025-03-01'))).toBe(0);
  });
});

describe('ranges', () => {
  const bounds = range('2024-11-01', '2025-03-31');

  it('counts quick ranges back from the last day with data', () => {
    expect(presetRange('7d', bounds)).toEqual(range('2025-03-25', '2025-03-31'));
    expect(presetRange('30d', bounds)).toEqual(range('2025-03-02', '2025-03-31'));
    expect(presetRange('90d', bounds)).toEqual(range('2025-01-01', '2025-03-31'));
    expect(presetRange('all', bounds)).toEqual(bounds);
  });

  it('never reaches before the first day', () => {
    expect(presetRange('1y', bounds)).toEqual(bounds);
    expect(presetRange('90d', range('2025-03-20', '2025-03-31'))).toEqual(range('2025-03-20', '2025-03-31'));
  });

  it('names the preset a range matches, preferring "all" when several do', () => {
    expect(matchingPreset(bounds, bounds)).toBe('all');
    expect(matchingPreset(range('2025-03-02', '2025-03-31'), bounds)).toBe('30d');
    expect(matchingPreset(range('2025-03-01', '2025-03-31'), bounds)).toBeNull();
  });

  it('keeps typed ranges inside the data, and lets the edited end win when the ends cross', () => {
    expect(normaliseRange(day('2020-01-01'), day('2030-01-01'), bounds)).toEqual(bounds);
    expect(normaliseRange(null, null, bounds)).toEqual(bounds);
    expect(normaliseRange(day('2025-03-10'), day('2025-03-01'), bounds, 'from')).toEqual(range('2025-03-10', '2025-03-10'));
    expect(normaliseRange(day('2025-03-10'), day('2025-03-01'), bounds, 'to')).toEqual(range('2025-03-01', '2025-03-01'));
  });

  it('reads the data range from the index, or none for an empty site', () => {
    const index = parseIndex({ firstDay: '20250301', lastDay: '20250310', days: 9, total: 430, lastUpdated: null, events: {}, channels: {} });
    expect(dataBounds(index)).toEqual(range('2025-03-01', '2025-03-10'));
    expect(dataBounds(parseIndex({ firstDay: null, lastDay: null, days: 0, total: 0, lastUpdated: null, events: {}, channels: {} }))).toBeNull();
  });
});

describe('aggregation', () => {
  it('finds range boundaries by binary search, both ends inclusive', () => {
    expect(lowerBound(total, day('2025-03-01'))).toBe(0);
    expect(lowerBound(total, day('2025-03-05'))).toBe(4);
    expect(lowerBound(total, day('2025-04-01'))).toBe(total.length);
    expect(lowerBound([], 0)).toBe(0);
    expect(sumInRange(total, range('2025-03-02', '2025-03-04'))).toBe(90);
    expect(sumInRange(total, range('2025-03-05', '2025-03-05'))).toBe(0);
    expect(sumInRange(total, range('2025-02-01', '2025-04-30'))).toBe(430);
    expect(sumInRange(total, range('2025-04-01', '2025-04-30'))).toBe(0);
    expect(sumInRange([], range('2025-03-01', '2025-03-02'))).toBe(0);
  });

  it('ranks names by their count in the range, ties by name, leaving out names with none', () => {
    const byName = {
      b: [[day('2025-03-01'), 5], [day('2025-03-09'), 100]] as Series,
      a: [[day('2025-03-02'), 5]] as Series,
      c: [[day('2025-03-03'), 7]] as Series,
      '655': [[day('2025-03-01'), 1]] as Series,
    };
    expect(totalsInRange(byName, range('2025-03-01', '2025-03-03'))).toEqual([
      { name: 'c', count: 7 },
      { name: 'a', count: 5 },
      { name: 'b', count: 5 },
      { name: '655', count: 1 },
    ]);
    expect(totalsInRange(byName, range('2025-03-05', '2025-03-08'))).toEqual([]);
    // "__proto__" from JSON is an ordinary name.
    const fromJson = parseSeriesByName(JSON.parse('{"__proto__": [[1740787200000, 3]], "x": [[1740787200000, 1]]}'), 'x');
    expect(totalsInRange(fromJson, range('2025-03-01', '2025-03-01'))).toEqual([
      { name: '__proto__', count: 3 },
      { name: 'x', count: 1 },
    ]);
  });

  it('splits a ranking into the top and the rest', () => {
    const rows = [
      { name: 'a', count: 1 },
      { name: 'b', count: 9 },
      { name: 'c', count: 5 },
      { name: 'd', count: 5 },
    ];
    expect(rank(rows, 2)).toEqual({
      top: [
        { name: 'b', count: 9 },
        { name: 'c', count: 5 },
      ],
      rest: { names: 2, count: 6, untracked: 0 },
      total: 20,
    });
    expect(rank(rows, 10).rest).toEqual({ names: 0, count: 0, untracked: 0 });
    expect(rank([], 5)).toEqual({ top: [], rest: { names: 0, count: 0, untracked: 0 }, total: 0 });
  });

  it('counts events of names without a series in the rest, from the range total', () => {
    const rows = [
      { name: 'a', count: 50 },
      { name: 'b', count: 30 },
    ];
    expect(rank(rows, 1, 100)).toEqual({ top: [{ name: 'a', count: 50 }], rest: { names: 1, count: 50, untracked: 20 }, total: 100 });
    expect(rank(rows, 5, 100).rest).toEqual({ names: 0, count: 20, untracked: 20 });
    // A total lower than the rows (inconsistent files) never makes a negative remainder.
    expect(rank(rows, 5, 10)).toMatchObject({ rest: { untracked: 0 }, total: 80 });
  });

  it('gives one column per calendar day, with gaps where there is no daily object', () => {
    const columns = dailyColumns(total, range('2025-03-03', '2025-03-08'));
    expect(columns.times.map(isoDate)).toEqual(['2025-03-03', '2025-03-04', '2025-03-05', '2025-03-06', '2025-03-07', '2025-03-08']);
    expect(columns.counts).toEqual([30, 40, null, 60, 0, 80]);
    expect(dailyColumns(total, range('2025-04-01', '2025-04-02')).counts).toEqual([null, null]);
    expect(dailyColumns([], range('2025-03-01', '2025-03-01'))).toEqual({ times: [day('2025-03-01')], counts: [null] });
  });

  it('averages over the trailing window, skipping days without data', () => {
    expect(trailingAverage([2, 4, null, 6, 8], 2)).toEqual([2, 3, 4, 6, 7]);
    expect(trailingAverage([null, null, 3], 3)).toEqual([null, null, 3]);
    expect(trailingAverage([1, 2, 3, 4], 7)).toEqual([1, 1.5, 2, 2.5]);
  });

  it('looks back before the range for the first days of the average', () => {
    const average = trailingAverageInRange(total, range('2025-03-03', '2025-03-04'), 3);
    expect(average).toEqual([20, 30]);
    expect(trailingAverageInRange(total, range('2025-03-01', '2025-03-01'), 7)).toEqual([10]);
  });

  it('sums up a range', () => {
    expect(rangeStats(total, range('2025-03-01', '2025-03-10'))).toEqual({
      total: 430,
      days: 10,
      daysWithData: 9,
      averagePerDay: 430 / 9,
      busiest: { time: day('2025-03-10'), count: 100 },
    });
    expect(rangeStats(total, range('2025-03-05', '2025-03-05'))).toEqual({ total: 0, days: 1, daysWithData: 0, averagePerDay: null, busiest: null });
    expect(rangeStats([[0, 5], [DAY_MS, 5]], { from: 0, to: DAY_MS }).busiest).toEqual({ time: 0, count: 5 });
  });
});

describe('reading the summary files', () => {
  const index = {
    firstDay: '20250301',
    lastDay: '20250331',
    days: 31,
    total: 78959,
    lastUpdated: '2025-03-31 23:59:01+00:00',
    events: { 'outgoing-portland': 500, 'incoming-dialtone': 700 },
    channels: { '655': 1000, 'PJSIP-630': 200 },
  };

  it('reads the index, with totals as an object or as [name, count] pairs', () => {
    const fromObject = parseIndex(index);
    expect(fromObject).toMatchObject({ firstDay: '20250301', lastDay: '20250331', days: 31, total: 78959, lastUpdated: '2025-03-31 23:59:01+00:00' });
    expect(fromObject.events).toEqual([
      { name: 'incoming-dialtone', count: 700 },
      { name: 'outgoing-portland', count: 500 },
    ]);
    const fromPairs = parseIndex({ ...index, channels: [['655', 1000], ['PJSIP-630', 200]], seriesEvents: ['incoming-dialtone'] });
    expect(fromPairs.channels).toEqual([
      { name: '655', count: 1000 },
      { name: 'PJSIP-630', count: 200 },
    ]);
  });

  it('says which file is wrong and how', () => {
    expect(() => parseIndex([], 'index.json')).toThrow(new SummaryFormatError('index.json', 'not a JSON object'));
    expect(() => parseIndex({ ...index, firstDay: '2025-13-01' })).toThrow(/"firstDay" is not a YYYYMMDD day/);
    expect(() => parseIndex({ ...index, total: '12' })).toThrow(/"total" is not a count/);
    expect(() => parseIndex({ ...index, events: 'x' })).toThrow(/"events" is neither an object nor an array/);
    expect(() => parseIndex({ ...index, events: { a: -1 } })).toThrow(/"events.a" is not a count/);
    expect(() => parseIndex({ ...index, channels: [['a']] })).toThrow(/not a \[name, count\] pair/);
    expect(() => parseIndex({ ...index, lastUpdated: 5 })).toThrow(/"lastUpdated" is not a string/);
  });

  it('accepts only ascending [time, count] series', () => {
    expect(parseSeries([[1, 2], [3, 4]])).toEqual([[1, 2], [3, 4]]);
    expect(parseSeries([])).toEqual([]);
    expect(() => parseSeries({}, 'total.json')).toThrow('total.json: not a JSON array');
    expect(() => parseSeries([[1, 2, 3]])).toThrow(/is not a \[time, count\] pair/);
    expect(() => parseSeries([[1, 'x']])).toThrow(/is not a \[time, count\] pair/);
    expect(() => parseSeries([[3, 1], [1, 1]])).toThrow(/ascending/);
    expect(() => parseSeriesByName({ a: [[1, 1]], b: 'x' }, 'events.json')).toThrow('events.json "b": not a JSON array');
    expect(() => parseSeriesByName([], 'events.json')).toThrow('events.json: not a JSON object');
  });
});

describe('formatting', () => {
  it("reads Python's timestamps, with or without microseconds", () => {
    expect(parseLastUpdated('2025-03-31 23:59:01+00:00')).toBe(Date.UTC(2025, 2, 31, 23, 59, 1));
    expect(parseLastUpdated('2025-03-31 23:59:01.123456+00:00')).toBe(Date.UTC(2025, 2, 31, 23, 59, 1, 123));
    expect(parseLastUpdated('2025-03-31T16:59:01-07:00')).toBe(Date.UTC(2025, 2, 31, 23, 59, 1));
    expect(parseLastUpdated('yesterday')).toBeNull();
  });

  it('words the age of the data', () => {
    const now = Date.UTC(2025, 3, 10, 12);
    expect(formatAge(now - 30_000, now)).toBe('just now');
    expect(formatAge(now - 3 * 3600_000, now)).toMatch(/3 hours ago/);
    expect(formatAge(now - 9 * 86_400_000, now)).toMatch(/last week|1 week ago/);
  });

  it('shows shares, never a rounded-away one as zero', () => {
    expect(formatShare(1, 0)).toBe('–');
    expect(formatShare(0, 10)).toMatch(/^0(\.0)?%$/);
    expect(formatShare(1, 100_000)).toMatch(/^<0\.1%$/);
    expect(formatShare(1, 8)).toMatch(/^12\.5%$/);
  });
});
