/**
 * A day shard (`data/date/YYYY/MM/YYYYMMDD.json`) from a daily object (`events/prod/YYYYMMDD`):
 * every line normalised, identical entries kept once (the first), stable-sorted by timestamp.
 */
import { isUtf8 } from 'node:buffer';
import { normaliseLine, type ShardEntry } from './normalise.js';
import { compareCodePoints, hasSurrogates } from './python-json.js';

/** A line of a daily object that cannot become an event, with its 1-based line number. */
export interface Rejection {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface DayShard {
  /** Entries in published order. */
  readonly entries: readonly ShardEntry[];
  /** The published JSON array. */
  readonly json: string;
  readonly rejections: readonly Rejection[];
  /** Non-blank lines read. */
  readonly lines: number;
}

/** Python's `str.strip()` would not make these events; Python would crash on them, we skip them. */
const BLANK = /^[ \t\f\v]*$/;

/** Keeps a rejected line short enough to print. */
const REJECTED_TEXT_LIMIT = 200;

export function buildDayShard(content: string | Uint8Array): DayShard {
  const { lines, invalidUtf8 } = splitDailyObject(content);
  const rejections: Rejection[] = [];
  const seen = new Set<string>();
  const entries: ShardEntry[] = [];
  let needsCodePointOrder = false;
  let nonBlank = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (BLANK.test(line)) {
      if (invalidUtf8.has(i)) rejections.push({ line: i + 1, reason: 'not valid UTF-8', text: '' });
      continue;
    }
    nonBlank++;
    const result = normaliseLine(line);
    if (!result.ok) {
      rejections.push({ line: i + 1, reason: result.reason, text: line.slice(0, REJECTED_TEXT_LIMIT) });
      continue;
    }
    const { entry } = result;
    if (seen.has(entry.json)) continue;
    seen.add(entry.json);
    entries.push(entry);
    if (!needsCodePointOrder && hasSurrogates(entry.timestamp)) needsCodePointOrder = true;
  }
  entries.sort(
    needsCodePointOrder
      ? (a, b) => compareCodePoints(a.timestamp, b.timestamp)
      : (a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0),
  );
  return { entries, json: shardArray(entries.map((e) => e.json)), rejections, lines: nonBlank };
}

/** `json.dumps(list)` for already-serialised items. */
export function shardArray(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** The items of a published array, as text, without re-parsing them (`[a, b]` → `a, b`). */
export function arrayBody(json: string): string {
  return json.slice(1, -1);
}

/**
 * Splits a daily object into lines. Python would have refused a file that is not UTF-8; we
 * keep the valid lines and name each line that is not.
 */
export function splitDailyObject(content: string | Uint8Array): { lines: string[]; invalidUtf8: Set<number> } {
  if (typeof content === 'string') return { lines: content.split('\n'), invalidUtf8: new Set() };
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (isUtf8(buffer)) return { lines: buffer.toString('utf8').split('\n'), invalidUtf8: new Set() };
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
  return { lines, invalidUtf8 };
}
