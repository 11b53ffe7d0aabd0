/**
 * The line index of a daily object in the drainer's shape, in WebAssembly (AssemblyScript):
 * the structural work of the day-shard fast path (functions/core/canonical-day.ts), which in
 * JavaScript cost more than everything else it does per line. For each line it finds the
 * timestamp and the fields and numbers the names in them (the same bytes, the same number,
 * across days), so that JavaScript works on numbers and never reads a name twice.
 *
 * Memory, from its second page: the names' hash table,
 * each name's place in the arena, the rule flags JavaScript sets per name, the arena of name
 * bytes, then the day's bytes and the line records. Built with `npm run build:wasm`.
 */

/** Slots of the hash table (a power of two); the table holds at most half as many names. */
const TABLE_SLOTS: u32 = 1 << 17;
export const NAME_LIMIT: u32 = TABLE_SLOTS >> 1;
/** Bytes of name text the arena holds. */
export const ARENA_BYTES: u32 = 8 << 20;

/** Past the module's own static data (its labels), which lies in the first page. */
const TABLE: usize = 1 << 16;
const NAME_PLACES: usize = TABLE + (<usize>TABLE_SLOTS << 3);
const PREFIX_RULES: usize = NAME_PLACES + (<usize>NAME_LIMIT << 3);
const ARENA: usize = PREFIX_RULES + <usize>NAME_LIMIT;
/** Where the day's bytes go: after everything above. */
export const INPUT: usize = ARENA + <usize>ARENA_BYTES;

/** A line record: eight u32 (see {@link index}). */
export const RECORD_FIELDS: u32 = 8;

/** Record flags: the channel's bytes are the endpoint's; the timestamp sorts after the previous line's, or before it; it is a real date and time (asked only of one that sorts after). */
const CHANNEL_IS_ENDPOINT: u32 = 1;
const TIMESTAMP_NEW: u32 = 2;
const TIMESTAMP_BACK: u32 = 4;
const TIMESTAMP_REAL: u32 = 8;

/** What JavaScript sets in PREFIX_RULES for a name used as what precedes a channel's last dash. */
const RULE_APPLIES: u8 = 1;

/** Not in the drainer's shape (the general path must read this day). */
export const NOT_CANONICAL: i32 = -1;
/** The names did not fit: JavaScript resets the tables and indexes the day again. */
export const TABLES_FULL: i32 = -2;

let names: u32 = 0;
let arenaUsed: u32 = 0;

export function reset(): void {
  memory.fill(TABLE, 0, ARENA - TABLE);
  names = 0;
  arenaUsed = 0;
}

export function nameCount(): u32 {
  return names;
}

const QUOTE: u8 = 0x22;
const NEWLINE: u8 = 0x0a;

// The labels, as the drainer writes them (canonical-day.ts has the same).
const TIMESTAMP_LABEL = '{"timestamp": "';
const CHANNEL_LABEL = '", "channel": "';
const ENDPOINT_LABEL = '", "endpoint": "';
const EVENT_LABEL = '", "event": "';

// @ts-ignore: decorator
@inline function labelAt(at: usize, end: usize, label: string): bool {
  const length = <usize>label.length;
  if (at + length > end) return false;
  for (let i: usize = 0; i < length; i++) {
    if (load<u8>(at + i) != <u8>label.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/**
 * The first `byte` at or after `from`, before `to`; `to` when there is none. Sixteen bytes at a
 * time: memory goes on past any `to` (the records follow the day), so reading past it is safe.
 */
// @ts-ignore: decorator
@inline function find(from: usize, to: usize, byte: u8): usize {
  const wanted = i8x16.splat(<i8>byte);
  for (let at = from; at < to; at += 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(at), wanted));
    if (mask != 0) {
      const found = at + <usize>ctz(mask);
      return found < to ? found : to;
    }
  }
  return to;
}

/** Whether `[from, to)` holds only printable ASCII but the backslash, and newlines. */
function canonicalBytes(from: usize, to: usize): bool {
  const space = i8x16.splat(0x20);
  const tilde = i8x16.splat(0x7e);
  const backslash = i8x16.splat(0x5c);
  const newline = i8x16.splat(<i8>NEWLINE);
  let at = from;
  for (; at + 16 <= to; at += 16) {
    const chunk = v128.load(at);
    const bad = v128.or(
      v128.andnot(i8x16.lt_u(chunk, space), i8x16.eq(chunk, newline)),
      v128.or(i8x16.gt_u(chunk, tilde), i8x16.eq(chunk, backslash)),
    );
    if (v128.any_true(bad)) return false;
  }
  for (; at < to; at++) {
    const byte = load<u8>(at);
    if ((byte < 0x20 && byte != NEWLINE) || byte > 0x7e || byte == 0x5c) return false;
  }
  return true;
}

/** How the bytes `[from, from + length)` sort against the previous timestamp's: as `compareInPlace` in ascii-bytes.ts. */
function compareTimestamps(previous: usize, previousLength: usize, from: usize, length: usize): i32 {
  const common = previousLength < length ? previousLength : length;
  for (let i: usize = 0; i < common; i++) {
    const difference = <i32>load<u8>(from + i) - <i32>load<u8>(previous + i);
    if (difference != 0) return difference;
  }
  return <i32>length - <i32>previousLength;
}

// @ts-ignore: decorator
@inline function twoDigits(at: usize): i32 {
  const tens = <i32>load<u8>(at) - 0x30;
  const units = <i32>load<u8>(at + 1) - 0x30;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : -1;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

/** Whether `[from, to)` is a real date and time in a known form: `isRealTimestampAt` in functions/core/timestamp.ts, byte for byte. */
function isRealTimestamp(from: usize, to: usize): bool {
  if (to - from < 19) return false;
  const century = twoDigits(from);
  const yearInCentury = twoDigits(from + 2);
  const month = twoDigits(from + 5);
  const day = twoDigits(from + 8);
  const hour = twoDigits(from + 11);
  const minute = twoDigits(from + 14);
  const second = twoDigits(from + 17);
  if (century < 0 || yearInCentury < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (load<u8>(from + 4) != 0x2d || load<u8>(from + 7) != 0x2d || load<u8>(from + 10) != 0x54 || load<u8>(from + 13) != 0x3a || load<u8>(from + 16) != 0x3a) return false;
  const year = century * 100 + yearInCentury;
  if (year < 1 || (day > 28 && day > daysInMonth(year, month))) return false;
  let at = from + 19;
  if (at < to && (load<u8>(at) == 0x2e || load<u8>(at) == 0x2c)) {
    const digitsFrom = ++at;
    while (at < to && at - digitsFrom < 10 && load<u8>(at) >= 0x30 && load<u8>(at) <= 0x39) at++;
    if (at == digitsFrom || at - digitsFrom > 9) return false;
  }
  if (at == to) return true;
  if (at + 1 == to) return load<u8>(at) == 0x5a;
  const sign = load<u8>(at);
  if (at + 6 != to || (sign != 0x2b && sign != 0x2d) || load<u8>(at + 3) != 0x3a) return false;
  const zoneHours = twoDigits(at + 1);
  const zoneMinutes = twoDigits(at + 4);
  return zoneHours >= 0 && zoneMinutes >= 0 && zoneMinutes <= 59 && (zoneHours < 14 || (zoneHours == 14 && zoneMinutes == 0));
}

/** The number of the name `[from, to)`, added when new; -1 when the tables are full. */
function nameOf(from: usize, to: usize): i32 {
  const length = <u32>(to - from);
  let hash: u32 = 2166136261;
  for (let at = from; at < to; at++) hash = (hash ^ <u32>load<u8>(at)) * 16777619;
  hash |= 1;
  let slot = hash & (TABLE_SLOTS - 1);
  while (true) {
    const entry = TABLE + (<usize>slot << 3);
    const stored = load<u32>(entry);
    if (stored == 0) break;
    if (stored == hash) {
      const id = load<u32>(entry, 4);
      const place = NAME_PLACES + (<usize>id << 3);
      if (load<u32>(place, 4) == length && memory.compare(ARENA + <usize>load<u32>(place), from, length) == 0) return <i32>id;
    }
    slot = (slot + 1) & (TABLE_SLOTS - 1);
  }
  if (names >= NAME_LIMIT || arenaUsed + length > ARENA_BYTES) return -1;
  const id = names++;
  memory.copy(ARENA + <usize>arenaUsed, from, length);
  const place = NAME_PLACES + (<usize>id << 3);
  store<u32>(place, arenaUsed);
  store<u32>(place, length, 4);
  arenaUsed += length;
  const entry = TABLE + (<usize>slot << 3);
  store<u32>(entry, hash);
  store<u32>(entry, id, 4);
  return <i32>id;
}

/**
 * Indexes the day of `length` bytes at INPUT, writing a record per line at `records`:
 * [line start, timestamp end, line end (its newline or the day's end), event, endpoint + 1
 * (0: no endpoint field), prefix + 1 (0: none), channel + 1 (0: not looked up), flags]
 * (offsets from the day's start, names by number). The prefix is what precedes the channel's
 * last dash; the channel is looked up unless its prefix is known to decide its rewrite. Only
 * lines with a missing or empty endpoint get a prefix and channel. The flags (CHANNEL_IS_ENDPOINT
 * and the others above) compare the channel with the endpoint and the timestamp with the
 * previous line's, and say whether a timestamp that sorts after it is a real time. Returns the number of lines, {@link NOT_CANONICAL} or {@link TABLES_FULL}.
 *
 * The checks are the fast path's (canonical-day.ts): every byte printable ASCII but the
 * quote and the backslash (or a newline, or a quote where the shape puts one), each line
 * `{"timestamp": "…", "channel": "…", ["endpoint": "…", ]"event": "…"}`.
 */
export function index(length: usize, records: usize): i32 {
  const end = INPUT + length;
  // Nothing needs escaping: then no name needs checking on its own.
  if (!canonicalBytes(INPUT, end)) return NOT_CANONICAL;
  let lines: i32 = 0;
  let record = records;
  let previous: usize = 0;
  let previousLength: usize = 0;
  for (let start = INPUT; start < end; ) {
    const lineEnd = find(start, end, NEWLINE);
    if (!labelAt(start, end, TIMESTAMP_LABEL)) return NOT_CANONICAL;
    const timestampEnd = find(start + 15, lineEnd, QUOTE);
    if (timestampEnd >= lineEnd || !labelAt(timestampEnd, end, CHANNEL_LABEL)) return NOT_CANONICAL;
    const keyFrom = timestampEnd + 15;
    if (lineEnd < keyFrom + 2 || load<u8>(lineEnd - 1) != 0x7d || load<u8>(lineEnd - 2) != QUOTE) return NOT_CANONICAL;
    const keyTo = lineEnd - 2;
    const channelEnd = find(keyFrom, keyTo + 1, QUOTE);
    let eventFrom: usize;
    let endpointFrom: usize = 0;
    let endpointEnd: usize = 0;
    let endpoint: i32 = -1;
    if (labelAt(channelEnd, end, ENDPOINT_LABEL)) {
      endpointFrom = channelEnd + 16;
      endpointEnd = find(endpointFrom, keyTo + 1, QUOTE);
      if (!labelAt(endpointEnd, end, EVENT_LABEL)) return NOT_CANONICAL;
      eventFrom = endpointEnd + 13;
      endpoint = nameOf(endpointFrom, endpointEnd);
      if (endpoint < 0) return TABLES_FULL;
    } else {
      if (!labelAt(channelEnd, end, EVENT_LABEL)) return NOT_CANONICAL;
      eventFrom = channelEnd + 13;
    }
    // Every quote accounted for: the event ends where the key does.
    if (eventFrom > keyTo || find(eventFrom, keyTo + 1, QUOTE) != keyTo) return NOT_CANONICAL;
    const event = nameOf(eventFrom, keyTo);
    if (event < 0) return TABLES_FULL;
    let prefix: i32 = -1;
    let channel: i32 = -1;
    let flags: u32 = 0;
    if (endpoint < 0 || endpointEnd == endpointFrom) {
      let dash = channelEnd - 1;
      while (dash > keyFrom && load<u8>(dash) != 0x2d) dash--;
      if (dash > keyFrom) {
        prefix = nameOf(keyFrom, dash);
        if (prefix < 0) return TABLES_FULL;
      }
      if (prefix < 0 || load<u8>(PREFIX_RULES + <usize>prefix) != RULE_APPLIES) {
        channel = nameOf(keyFrom, channelEnd);
        if (channel < 0) return TABLES_FULL;
      }
    } else if (channelEnd - keyFrom == endpointEnd - endpointFrom && memory.compare(keyFrom, endpointFrom, channelEnd - keyFrom) == 0) {
      flags = CHANNEL_IS_ENDPOINT;
    }
    const timestampFrom = start + 15;
    const order = lines == 0 ? 1 : compareTimestamps(previous, previousLength, timestampFrom, timestampEnd - timestampFrom);
    if (order > 0) {
      flags |= TIMESTAMP_NEW;
      if (isRealTimestamp(timestampFrom, timestampEnd)) flags |= TIMESTAMP_REAL;
      previous = timestampFrom;
      previousLength = timestampEnd - timestampFrom;
    } else if (order < 0) {
      flags |= TIMESTAMP_BACK;
    }
    store<u32>(record, <u32>(start - INPUT));
    store<u32>(record, <u32>(timestampEnd - INPUT), 4);
    store<u32>(record, <u32>(lineEnd - INPUT), 8);
    store<u32>(record, <u32>event, 12);
    store<u32>(record, <u32>(endpoint + 1), 16);
    store<u32>(record, <u32>(prefix + 1), 20);
    store<u32>(record, <u32>(channel + 1), 24);
    store<u32>(record, flags, 28);
    record += <usize>RECORD_FIELDS << 2;
    lines++;
    start = lineEnd + 1;
  }
  return lines;
}

/** Where JavaScript reads a name's bytes: its offset in memory, and its length. */
export function nameOffset(id: u32): u32 {
  return <u32>ARENA + load<u32>(NAME_PLACES + (<usize>id << 3));
}

export function nameLength(id: u32): u32 {
  return load<u32>(NAME_PLACES + (<usize>id << 3), 4);
}

/** Records what JavaScript decided for a name used as a prefix (1: its rule applies, 2: not). */
export function setPrefixRule(id: u32, rule: u8): void {
  store<u8>(PREFIX_RULES + <usize>id, rule);
}
