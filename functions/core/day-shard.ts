/**
 * A day shard (`data/date/YYYY/MM/YYYYMMDD.json`) from a daily object (`events/prod/YYYYMMDD`):
 * every line normalised, identical entries kept once (the first), stable-sorted by timestamp.
 */
import { isUtf8 } from 'node:buffer';
import { CanonicalDayScanner } from './canonical-day.js';
import { normaliseLine, type ShardEntry } from './normalise.js';
import type { ShardSpace } from './reusable-buffer.js';
import { compareCodePoints, hasSurrogates } from './python-json.js';
import { timestampProblem } from './timestamp.js';
import type { DayCounts } from './summary.js';

/** A line of a daily object that cannot become an event, with its 1-based line number. */
export interface Rejection {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface DayShard {
  /** The published JSON array, as written: ASCII, as Python's `ensure_ascii` writes it. */
  readonly bytes: Uint8Array;
  /** The same array as text (worked out on first use on the fast path). */
  readonly json: string;
  readonly rejections: readonly Rejection[];
  /** Non-blank lines read. */
  readonly lines: number;
  /** Published events, by event name and by channel. */
  readonly counts: DayCounts;
  /**
   * Entries in published order. On the fast path nothing is kept per line, so they are worked
   * out on first use: read {@link counts} when names and totals are enough.
   */
  readonly entries: readonly ShardEntry[];
}

/** Python's `str.strip()` would not make these events; Python would crash on them, we skip them. */
const BLANK = /^[ \t\f\v]*$/;

/** Keeps a rejected line short enough to print. */
const REJECTED_TEXT_LIMIT = 200;

const canonicalDays = new CanonicalDayScanner();

/**
 * With a `space`, the shard's bytes are built in it (the month build builds each day in place
 * in its rollup): they are valid until its next use.
 */
export function buildDayShard(content: string | Uint8Array, space?: ShardSpace): DayShard {
  // The fast path checks the bytes itself: anything not ASCII (or escaped) is left to the general path.
  const fast = canonicalDays.scan(content, space);
  if (!fast) return buildGeneralDayShard(content);
  let json: string | null = null;
  let entries: readonly ShardEntry[] | null = null;
  return {
    bytes: fast.bytes,
    lines: fast.lines,
    counts: fast.counts,
    rejections: [],
    get json() {
      return (json ??= fast.bytes.toString('latin1'));
    },
    get entries() {
      return (entries ??= buildGeneralDayShard(content).entries);
    },
  };
}

/** Any daily object, line by line: the reference the fast path must agree with. */
export function buildGeneralDayShard(content: string | Uint8Array): DayShard {
  const { text, lines, invalidUtf8 } = splitDailyObject(content);
  const rejections: Rejection[] = [];
  let entries: ShardEntry[] = [];
  /** For each entry, the index of the line it came from. */
  let lineOf: number[] = [];
  let needsCodePointOrder = false;
  // A daily object is normally unique and sorted, and most lines come out of normalisation
  // unchanged: then nothing can repeat, the order is already right, and the published array
  // is mostly the file itself, its newlines turned into separators.
  let strictlySorted = true;
  let changed = 0;
  let inTimestampOrder = true;
  let previousLine = '';
  let previousTimestamp = '';
  let nonBlank = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0 || (line.charCodeAt(0) <= 0x20 && BLANK.test(line))) {
      if (invalidUtf8.has(i)) rejections.push({ line: i + 1, reason: 'not valid UTF-8', text: '' });
      continue;
    }
    nonBlank++;
    const result = normaliseLine(line);
    // A timestamp that is not a real time would be published as a day, a month, a summary's end.
    const problem = result.ok ? timestampProblem(result.entry.timestamp) : result.reason;
    if (!result.ok || problem !== null) {
      rejections.push({ line: i + 1, reason: problem ?? '', text: line.slice(0, REJECTED_TEXT_LIMIT) });
      continue;
    }
    const { entry } = result;
    if (entry.json !== line) changed++;
    if (strictlySorted && line <= previousLine) strictlySorted = false;
    if (inTimestampOrder && entry.timestamp < previousTimestamp) inTimestampOrder = false;
    if (!needsCodePointOrder && !result.ascii && hasSurrogates(entry.timestamp)) needsCodePointOrder = true;
    previousLine = line;
    previousTimestamp = entry.timestamp;
    entries.push(entry);
    lineOf.push(i);
  }
  const reordered = !inTimestampOrder || needsCodePointOrder;
  if (reordered) {
    // Stable: events that share a timestamp keep their order in the file.
    const order = entries.map((_, k) => k);
    const compare = needsCodePointOrder ? compareCodePoints : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    order.sort((a, b) => compare((entries[a] as ShardEntry).timestamp, (entries[b] as ShardEntry).timestamp));
    entries = order.map((k) => entries[k] as ShardEntry);
    lineOf = order.map((k) => lineOf[k] as number);
  }
  if (!strictlySorted || changed > 0) {
    const kept = firstOfEachInOrder(entries);
    if (kept.length !== entries.length) {
      const keep = new Set(kept);
      lineOf = lineOf.filter((_, k) => keep.has(entries[k] as ShardEntry));
      entries = kept;
    }
  }
  const json = !reordered && text !== null && !text.includes('\r') ? fromFileSegments(text, lines, entries, lineOf) : shardArray(entries.map((e) => e.json));
  return { entries, json, bytes: asciiBytes(json), rejections, lines: nonBlank, counts: countEntries(entries) };
}

function countEntries(entries: readonly ShardEntry[]): DayCounts {
  const events = new Map<string, number>();
  const channels = new Map<string, number>();
  for (const { event, channel } of entries) {
    events.set(event, (events.get(event) ?? 0) + 1);
    channels.set(channel, (channels.get(channel) ?? 0) + 1);
  }
  return { total: entries.length, events, channels };
}

/**
 * The published array built from slices of the file: each run of consecutive lines that
 * normalisation left unchanged is copied as one piece, newlines turned into separators.
 */
function fromFileSegments(text: string, lines: readonly string[], entries: readonly ShardEntry[], lineOf: readonly number[]): string {
  const parts: string[] = [];
  let offset = 0;
  const starts = lines.map((line) => {
    const start = offset;
    offset += line.length + 1;
    return start;
  });
  let runFirst = -1;
  let runLast = -1;
  const flush = () => {
    if (runFirst === -1) return;
    parts.push(text.slice(starts[runFirst], (starts[runLast] as number) + (lines[runLast] as string).length).replaceAll('\n', ', '));
    runFirst = -1;
  };
  for (let k = 0; k < entries.length; k++) {
    const line = lineOf[k] as number;
    const entry = entries[k] as ShardEntry;
    if (entry.json !== lines[line]) {
      flush();
      parts.push(entry.json);
    } else if (runFirst !== -1 && line === runLast + 1) {
      runLast = line;
    } else {
      flush();
      runFirst = runLast = line;
    }
  }
  flush();
  return shardArray(parts);
}

/**
 * Drops repeated entries, keeping the first. Identical entries share a timestamp, so after the
 * stable sort they sit in the same run of equal timestamps, in file order: looking within
 * runs gives the same result as a global "first of each" before sorting.
 */
function firstOfEachInOrder(entries: readonly ShardEntry[]): ShardEntry[] {
  const unique: ShardEntry[] = [];
  let runStart = 0;
  let seen: Set<string> | null = null;
  for (const entry of entries) {
    if (unique.length === 0 || (unique[unique.length - 1] as ShardEntry).timestamp !== entry.timestamp) {
      runStart = unique.length;
      seen = null;
      unique.push(entry);
      continue;
    }
    const runLength = unique.length - runStart;
    if (runLength < 8) {
      let duplicate = false;
      for (let k = runStart; k < unique.length; k++) if ((unique[k] as ShardEntry).json === entry.json) duplicate = true;
      if (!duplicate) unique.push(entry);
      continue;
    }
    seen ??= new Set(unique.slice(runStart).map((e) => e.json));
    if (!seen.has(entry.json)) {
      seen.add(entry.json);
      unique.push(entry);
    }
  }
  return unique;
}

/** `json.dumps(list)` for already-serialised items. */
export function shardArray(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/**
 * The bytes of published JSON. It is ASCII (Python's `ensure_ascii`), so each character is one
 * byte: copied as Latin-1, which is cheaper than encoding UTF-8 and gives the same bytes.
 */
function asciiBytes(json: string): Buffer {
  return Buffer.from(json, 'latin1');
}

/**
 * Splits a daily object into lines. Python would have refused a file that is not UTF-8; we
 * keep the valid lines and name each line that is not.
 */
export function splitDailyObject(content: string | Uint8Array): { text: string | null; lines: string[]; invalidUtf8: Set<number> } {
  if (typeof content === 'string') return { text: content, lines: content.split('\n'), invalidUtf8: new Set() };
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (isUtf8(buffer)) {
    const text = buffer.toString('utf8');
    return { text, lines: text.split('\n'), invalidUtf8: new Set() };
  }
  const lines: string[] = [];
  const invalidUtf8 = new Set<number>();
  let start = 0;
  while (start <= buffer.length) {
    let end = buffer.indexOf(0x0a, start);
    if (end === -1) end = buffer.length;
    const slice = buffer.subarray(start, end);
    if (isUtf8(slice)) lines.push(slice.toString('utf8'));
    else {
      invalidUtf8.add(lines.length);
      lines.push('');
    }
    start = end + 1;
  }
  return { text: null, lines, invalidUtf8 };
}
