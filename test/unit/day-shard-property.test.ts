/**
 * The fast path of a day shard against the naive path (parse every line, normalise, drop
 * repeats, stable-sort, write as Python's json.dumps does), on random daily objects: lines of
 * both shapes, every timestamp form, hostile names, repeats, disorder and broken lines.
 */
import { describe, expect, it } from '@jest/globals';
import { CanonicalDayScanner } from '../../functions/core/canonical-day.js';
import { buildDayShard, buildGeneralDayShard, type DayShard } from '../../functions/core/day-shard.js';
import { rewriteChannelWithRegexes } from '../../functions/core/normalise.js';
import { compareCodePoints, PyNumber, pyDumps, pyLoads, sortByCodePoint, type PyObject } from '../../functions/core/python-json.js';
import { seededRandom } from '../../functions/core/random.js';
import { HOSTILE_NAMES, ORDINARY_NAMES } from '../support/hostile-names.js';

type Random = () => number;
const pick = <T>(rand: Random, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The five forms of the real history, on one of two days, often repeating the previous one. */
function timestamp(rand: Random, previous: string | null): string {
  if (previous !== null && rand() < 0.25) return previous;
  const day = rand() < 0.9 ? '2025-03-01' : '2025-03-02';
  const base = `${day}T${pad(Math.floor(rand() * 3))}:${pad(Math.floor(rand() * 3))}:${pad(Math.floor(rand() * 60))}`;
  switch (Math.floor(rand() * 5)) {
    case 0: return `${base},${pad(Math.floor(rand() * 1000), 3)}-08:00`;
    case 1: return `${base}-08:00`;
    case 2: return `${base}.${pad(Math.floor(rand() * 1000), 3)}Z`;
    case 3: return `${base}.${pad(Math.floor(rand() * 1e6), 6)}`;
    default: return `${base}+00:00`;
  }
}

/**
 * Timestamps that only a careless comparison gets right: prefixes, spaces and `!` (below `"`),
 * escapes, astral characters (all of these are not real times, so their lines are rejected),
 * and real ones that differ only after the seconds (`+` < `,` < `-` < `.` < `Z`).
 */
const ODD_TIMESTAMPS = [
  '2025-03-01T00:00:00+00:00',
  '2025-03-01T00:00:00,5-08:00',
  '2025-03-01T00:00:00-08:00',
  '2025-03-01T00:00:00.5',
  '2025-03-01T00:00:00Z',
  '2025-02-29T00:00:00',
  '2025-03-01T24:00:00',
'', ' ', '!', '2025-03-01T00:00:00', '2025-03-01T00:00:00 ', '2025-03-01T00:00:00!', '2025-03-01T00:00:00\u0001', '2025-03-01T00:00:00\u00e9', '2025-03-01T00:00:00\u{1F4DE}', '2025-03-01T00:00:00\uffff', '2025-03-01T00:00:00"', '2025-03-01T00:00:00\\'];

interface Options {
  /** Only what the drainer writes: printable ASCII, no quotes or backslashes, its key order. */
  readonly canonical: boolean;
}

/** Channels made of the pieces the SIP rewrites look at, so every branch of them is taken. */
function sipLike(rand: Random): string {
  const pieces = ['S', 'I', 'P', 'SIP', 'PJSIP', '-', '-', '/', '1', '9', '0', 'a', '.', '_', ' '];
  let channel = '';
  for (let i = Math.floor(rand() * 10); i > 0; i--) channel += pick(rand, pieces);
  return channel;
}

function name(rand: Random, options: Options): string {
  if (rand() < 0.3) return sipLike(rand);
  if (options.canonical) {
    const candidates = [...ORDINARY_NAMES, ...HOSTILE_NAMES].filter((n) => /^[ !#-[\]-~]*$/.test(n));
    return pick(rand, candidates);
  }
  return pick(rand, rand() < 0.5 ? ORDINARY_NAMES : HOSTILE_NAMES);
}

function line(rand: Random, ts: string, options: Options): string {
  const event: PyObject = new Map([['timestamp', ts], ['channel', name(rand, options)]]);
  const shape = rand();
  if (shape < 0.4) event.set('endpoint', name(rand, options));
  else if (shape < 0.5) event.set('endpoint', '');
  event.set('event', name(rand, options));
  if (!options.canonical) {
    if (rand() < 0.05) event.set('extra', rand() < 0.5 ? null : [new PyNumber('1.0'), 'x']);
    if (rand() < 0.05) return pyDumps(new Map([...event].reverse()));
    if (rand() < 0.05) return JSON.stringify(Object.fromEntries(event));
  }
  return pyDumps(event);
}

interface Day {
  readonly text: string;
  /** Every line is a JSON event (the naive path can read it). */
  readonly valid: boolean;
}

function randomDay(rand: Random): Day {
  const options = { canonical: rand() < 0.6 };
  const count = Math.floor(rand() * 40);
  let lines: string[] = [];
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const ts: string = !options.canonical && rand() < 0.05 ? pick(rand, ODD_TIMESTAMPS) : options.canonical && rand() < 0.02 ? pick(rand, ODD_TIMESTAMPS.slice(0, 13)) : timestamp(rand, previous);
    previous = ts;
    lines.push(line(rand, ts, options));
    if (rand() < 0.05) lines.push(lines[Math.floor(rand() * lines.length)] as string);
  }
  // As a daily object holds them (sorted as strings), or in any order.
  if (rand() < 0.8) lines = sortByCodePoint(lines);
  else lines.sort(() => rand() - 0.5);
  let valid = true;
  if (rand() < 0.05) {
    lines.splice(Math.floor(rand() * (lines.length + 1)), 0, pick(rand, ['', '   ', 'not json', '{"timestamp": "t"}', '[1]']));
    valid = false;
  }
  const separator = rand() < 0.05 ? '\r\n' : '\n';
  const text = lines.join(separator) + (rand() < 0.9 && lines.length > 0 ? separator : '');
  return { text, valid };
}

/** A real date and time in a known form (docs/design.md §2.3), checked the obvious way. */
function naiveIsRealTime(text: string): boolean {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,]\d{1,9})?(?:Z|([+-])(\d\d):(\d\d))?$/.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  const offset = match[8] === undefined ? 0 : Number(match[8]) * 60 + Number(match[9]);
  return year > 0 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 && Number(match[9] ?? 0) < 60 && offset <= 14 * 60;
}

/** What the Python generator did, done the obvious way (and lines whose time is not real left out). */
function naiveShard(text: string): { json: string; events: Map<string, number>; channels: Map<string, number> } {
  const seen = new Set<string>();
  const kept: Array<{ timestamp: string; json: string; channel: string; event: string }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const event = pyLoads(line) as PyObject;
    if (!naiveIsRealTime(event.get('timestamp') as string)) continue;
    const endpoint = event.get('endpoint');
    const channel = typeof endpoint === 'string' && endpoint !== '' ? endpoint : rewriteChannelWithRegexes(event.get('channel') as string);
    const name = (event.get('event') as string).split('_').join('-');
    event.set('channel', channel);
    event.set('event', name);
    const json = pyDumps(event);
    if (seen.has(json)) continue;
    seen.add(json);
    kept.push({ timestamp: event.get('timestamp') as string, json, channel, event: name });
  }
  kept.sort((a, b) => compareCodePoints(a.timestamp, b.timestamp));
  const count = (names: string[]) => names.reduce((map, n) => map.set(n, (map.get(n) ?? 0) + 1), new Map<string, number>());
  return { json: `[${kept.map((k) => k.json).join(', ')}]`, events: count(kept.map((k) => k.event)), channels: count(kept.map((k) => k.channel)) };
}

const sorted = (map: ReadonlyMap<string, number>) => [...map].sort((a, b) => compareCodePoints(a[0], b[0]));

/** What the build writes: the bytes, read back as UTF-8. */
const published = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function summary(shard: DayShard) {
  expect(published(shard.bytes)).toBe(shard.json);
  return { json: shard.json, lines: shard.lines, rejected: shard.rejections.length, total: shard.counts.total, events: sorted(shard.counts.events), channels: sorted(shard.counts.channels) };
}

describe('day shards: the fast path agrees with the naive path', () => {
  it('on 3,000 random daily objects of both line shapes, every timestamp form and hostile names', () => {
    const rand = seededRandom(12);
    let fastDays = 0;
    let naiveDays = 0;
    for (let n = 0; n < 3000; n++) {
      const { text, valid } = randomDay(rand);
      const shard = buildDayShard(text);
      // The same from the bytes, as the build reads them.
      expect(summary(buildDayShard(Buffer.from(text, 'utf8')))).toEqual(summary(shard));
      // The general path is the reference for everything, broken lines included.
      expect({ text, ...summary(shard) }).toEqual({ text, ...summary(buildGeneralDayShard(text)) });
      expect(shard.entries.length).toBe(shard.counts.total);
      if (valid) {
        const naive = naiveShard(text);
        expect({ text, json: published(shard.bytes), events: sorted(shard.counts.events), channels: sorted(shard.counts.channels) }).toEqual({
          text,
          json: naive.json,
          events: sorted(naive.events),
          channels: sorted(naive.channels),
        });
        naiveDays++;
      }
      if (new CanonicalDayScanner().scan(text) !== null) fastDays++;
    }
    // Both paths were really exercised.
    expect(fastDays).toBeGreaterThan(1000);
    expect(naiveDays).toBeGreaterThan(2500);
  });

  it('with one scanner for many days, as a build uses it', () => {
    const rand = seededRandom(99);
    const scanner = new CanonicalDayScanner();
    let scanned = 0;
    for (let n = 0; n < 500; n++) {
      const { text } = randomDay(rand);
      const fast = scanner.scan(text);
      if (fast === null) continue;
      scanned++;
      const general = buildGeneralDayShard(text);
      expect({ text, json: published(fast.bytes), lines: fast.lines, total: fast.counts.total, events: sorted(fast.counts.events), channels: sorted(fast.counts.channels) }).toEqual({
        text,
        json: general.json,
        lines: general.lines,
        total: general.counts.total,
        events: sorted(general.counts.events),
        channels: sorted(general.counts.channels),
      });
    }
    expect(scanned).toBeGreaterThan(150);
  });

  it('keeps the first of entries that only normalisation makes identical, within a run of one timestamp', () => {
    const ts = '2025-03-01T00:00:00+00:00';
    const text = [
      `{"timestamp": "${ts}", "channel": "SIP-twilio", "event": "a-b"}`,
      `{"timestamp": "${ts}", "channel": "SIP-twilio-termination", "event": "a_b"}`,
      `{"timestamp": "${ts}", "channel": "655", "endpoint": "655", "event": "x"}`,
      `{"timestamp": "${ts}", "channel": "SIP-twilio-x", "event": "a-b"}`,
    ].join('\n');
    const fast = new CanonicalDayScanner().scan(text);
    expect(fast && published(fast.bytes)).toBe(`[{"timestamp": "${ts}", "channel": "SIP-twilio", "event": "a-b"}, {"timestamp": "${ts}", "channel": "655", "endpoint": "655", "event": "x"}]`);
    expect(fast?.counts.total).toBe(2);
    expect(fast?.lines).toBe(4);
  });

  it('leaves to the general path what it cannot copy: escapes, non-ASCII, CR, blank lines, disorder', () => {
    const ok = '{"timestamp": "2025-03-01T00:00:01+00:00", "channel": "655", "event": "x"}';
    const scanner = new CanonicalDayScanner();
    expect(scanner.scan(ok)).not.toBeNull();
    for (const text of [
      ok.replace('655', '6\\u00355'),
      ok.replace('655', '6\u00e95'),
      `${ok}\r\n`,
      `${ok}\n\n${ok}`,
      `${ok.replace(':01', ':02')}\n${ok}`,
      ok.replace('"x"}', '"x" }'),
      ok.replace('01+00:00', '01\u0001'),
      ok.replace('01+00:00', '01\u007f'),
    ]) {
      expect({ text, fast: scanner.scan(text) }).toEqual({ text, fast: null });
    }
  });
});
