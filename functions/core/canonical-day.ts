/**
 * The fast path of a day shard, for the daily objects our drainer writes: every line printable
 * ASCII without escapes, in the shape `{"timestamp": "…", "channel": "…", ["endpoint": "…", ]"event": "…"}`,
 * and the lines in timestamp order. That is nearly every day of the real history, and for
 * such a day the shard is the file with its newlines turned into separators, except where
 * normalisation changes a line or makes it repeat an earlier one.
 *
 * A line is its timestamp plus a *suffix* (`", "channel": …}`), and a day has only as many
 * distinct suffixes as it has channel/endpoint/event combinations: each suffix is checked,
 * normalised and counted once, then found again by one map lookup. Nothing is kept per line.
 *
 * Anything else (escapes, non-ASCII, CR, a blank or malformed line, lines out of timestamp
 * order) gets `null`, and the day goes through the general path, which this one must match
 * byte for byte (the property tests compare them).
 */
import { normaliseEventName, rewriteChannel } from './normalise.js';
import type { ReusableBuffer } from './reusable-buffer.js';
import type { DayCounts } from './summary.js';

export interface CanonicalDay {
  /** The published JSON array, as bytes. */
  readonly bytes: Buffer;
  /** Lines read (none is blank on this path). */
  readonly lines: number;
  readonly counts: DayCounts;
}

/**
 * A piece of the published array: consecutive lines copied as they are (`from` is the first
 * line's start, `to` the last one's end), or one line whose head (`from`–`to`: up to its
 * timestamp's end) is followed by a rewritten suffix.
 */
interface Piece {
  readonly from: number;
  to: number;
  readonly replacement: string | null;
}

const LINE_START = '{"timestamp": "';
/**
 * A line's start up to its channel, with a timestamp that needs no escaping (sticky: matched
 * where the line starts).
 */
const LINE_HEAD = /\{"timestamp": "[ !#-[\]-~]*", "channel": "/y;
const CHANNEL_LABEL = '", "channel": "';
const QUOTE = 0x22;
const CLOSING_BRACE = 0x7d;
const SUFFIX_SHAPE = /^", "channel": "([ !#-[\]-~]*)", (?:"endpoint": "([ !#-[\]-~]*)", )?"event": "([ !#-[\]-~]*)"\}$/;
/** Runs of one timestamp longer than this look up repeats in a set rather than a list. */
const SHORT_RUN = 8;
/** Characters of a key's start and end that choose its bucket. */
const FINGERPRINT_HEAD = 10;
const FINGERPRINT_TAIL = 12;
/** Distinct suffixes remembered across days before the memory starts over. */
const SUFFIX_MEMORY_LIMIT = 50_000;

interface Suffix {
  /** What follows `"channel": "` up to the closing `"}`: what varies from one suffix to another. */
  readonly key: string;
  /** Slots of the normalised channel and event names in the scanner's name tables. */
  readonly channel: number;
  readonly event: number;
  /** The normalised suffix when normalisation changes the line, else null (the line is copied). */
  readonly replacement: string | null;
  /** Same id, same published entry (given the same timestamp). */
  readonly id: number;
  /** The day (scan) the count belongs to. */
  scan: number;
  count: number;
}

export class CanonicalDayScanner {
  private readonly suffixes = new SuffixTable();
  private readonly ids = new Map<string, number>();
  private readonly channels = new NameTable();
  private readonly events = new NameTable();
  private scans = 0;

  /**
   * The day's shard from its text and, when the caller has them, the bytes it was decoded from
   * (on this path the text is ASCII: character offsets are byte offsets).
   */
  scan(text: string, bytes?: Uint8Array, workspace?: ReusableBuffer): CanonicalDay | null {
    if (this.suffixes.size > SUFFIX_MEMORY_LIMIT) {
      this.suffixes.clear();
      this.ids.clear();
      this.channels.clear();
      this.events.clear();
    }
    const scan = ++this.scans;
    const used: Suffix[] = [];
    const pieces: Piece[] = [];
    let copying: Piece | null = null;
    // How much longer rewritten lines are than the originals, in all.
    let growth = 0;
    // Where the previous line's timestamp stands, and the entries of the current run of one
    // timestamp, to drop repeats.
    let previousFrom = 0;
    let previousLength = -1;
    const runIds: number[] = [];
    let runSet: Set<number> | null = null;
    let lines = 0;
    let kept = 0;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      LINE_HEAD.lastIndex = start;
      if (!LINE_HEAD.test(text)) return null;
      const timestampEnd = LINE_HEAD.lastIndex - CHANNEL_LABEL.length;
      // The suffix is `", "channel": "` + key + `"}`.
      if (end - 2 < LINE_HEAD.lastIndex || text.charCodeAt(end - 1) !== CLOSING_BRACE || text.charCodeAt(end - 2) !== QUOTE) return null;
      const suffix = this.suffixes.find(text, LINE_HEAD.lastIndex, end - 2) ?? this.learn(text.slice(timestampEnd, end));
      if (suffix === null) return null;
      const timestampFrom = start + LINE_START.length;
      const order = previousLength === -1 ? 1 : compareInPlace(text, previousFrom, previousLength, timestampFrom, timestampEnd - timestampFrom);
      lines++;
      if (order > 0) {
        previousFrom = timestampFrom;
        previousLength = timestampEnd - timestampFrom;
        runIds.length = 0;
        runSet = null;
      } else if (order < 0) {
        return null;
      } else if (runSet ? runSet.has(suffix.id) : runIds.includes(suffix.id)) {
        // Identical to an earlier entry of this timestamp once normalised: the first one stays.
        copying = null;
        start = end + 1;
        continue;
      }
      if (runSet) runSet.add(suffix.id);
      else if (runIds.push(suffix.id) > SHORT_RUN) runSet = new Set(runIds);
      if (suffix.scan !== scan) {
        suffix.scan = scan;
        suffix.count = 0;
        used.push(suffix);
      }
      suffix.count++;
      kept++;
      if (suffix.replacement !== null) {
        pieces.push({ from: start, to: timestampEnd, replacement: suffix.replacement });
        growth += Math.max(0, suffix.replacement.length - (end - timestampEnd));
        copying = null;
      } else if (copying !== null && copying.to === start - 1) {
        copying.to = end;
      } else {
        pieces.push((copying = { from: start, to: end, replacement: null }));
      }
      start = end + 1;
    }
    const input = bytes ?? Buffer.from(text, 'latin1');
    const lead = lines + 2 + growth;
    const work = workspace ? workspace.take(lead + input.length) : Buffer.allocUnsafe(lead + input.length);
    return { bytes: assemble(work, input, pieces, lead), lines, counts: this.countsOf(used, kept) };
  }

  /** The day's counts by name, from its suffixes' counts: a few additions per distinct suffix, no lookups. */
  private countsOf(used: readonly Suffix[], total: number): DayCounts {
    const events = this.events.startCounting();
    const channels = this.channels.startCounting();
    for (const { event, channel, count } of used) {
      events[event] = (events[event] as number) + count;
      channels[channel] = (channels[channel] as number) + count;
    }
    return { total, events: this.events.counted(), channels: this.channels.counted() };
  }

  /** Checks, normalises and remembers a suffix not seen before; null when it is not in the drainer's shape. */
  private learn(slice: string): Suffix | null {
    // A copy: a slice would keep the whole day's text alive for as long as the suffix is remembered.
    const suffixText = detached(slice);
    const match = SUFFIX_SHAPE.exec(suffixText);
    if (!match) return null;
    const rawChannel = match[1] as string;
    const endpoint = match[2];
    const rawEvent = match[3] as string;
    const channel = endpoint ? endpoint : rewriteChannel(rawChannel);
    const event = normaliseEventName(rawEvent);
    const replacement =
      channel === rawChannel && event === rawEvent ? null : `", "channel": "${channel}", ${endpoint === undefined ? '' : `"endpoint": "${endpoint}", `}"event": "${event}"}`;
    const published = replacement ?? suffixText;
    let id = this.ids.get(published);
    if (id === undefined) this.ids.set(published, (id = this.ids.size));
    const key = suffixText.slice(CHANNEL_LABEL.length, -2);
    const suffix: Suffix = { key, channel: this.channels.slot(channel), event: this.events.slot(event), replacement, id, scan: 0, count: 0 };
    this.suffixes.add(suffix);
    return suffix;
  }
}

/** The same characters in a string of their own, not a view into a larger one. */
function detached(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

const OPEN = 0x5b;
const CLOSE = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * The published array, built in `work`, which gets the daily object's bytes past `lead` bytes
 * of room: each line moves left into place (a memmove, no decoding or encoding), which never
 * overtakes a line not yet read because `lead` covers the separators and the growth of
 * rewritten lines.
 */
function assemble(work: Buffer, input: Uint8Array, pieces: readonly Piece[], lead: number): Buffer {
  work.set(input, lead);
  let at = 0;
  work[at++] = OPEN;
  const separate = () => {
    if (at > 1) {
      work[at++] = COMMA;
      work[at++] = SPACE;
    }
  };
  for (const { from, to, replacement } of pieces) {
    if (replacement !== null) {
      separate();
      work.copyWithin(at, lead + from, lead + to);
      at += to - from;
      at += work.write(replacement, at, 'latin1');
      continue;
    }
    for (let line = lead + from; ; ) {
      const newline = work.indexOf(NEWLINE, line);
      const end = newline === -1 || newline > lead + to ? lead + to : newline;
      separate();
      work.copyWithin(at, line, end);
      at += end - line;
      if (end === lead + to) break;
      line = end + 1;
    }
  }
  work[at++] = CLOSE;
  return work.subarray(0, at);
}

/**
 * How the string at `b` (of length `bLength`) compares with the one at `a`, both inside `text`:
 * positive when it sorts after, as `<` would say, without slicing either out.
 */
function compareInPlace(text: string, a: number, aLength: number, b: number, bLength: number): number {
  const common = Math.min(aLength, bLength);
  for (let i = 0; i < common; i++) {
    const difference = text.charCodeAt(b + i) - text.charCodeAt(a + i);
    if (difference !== 0) return difference;
  }
  return bLength - aLength;
}

/**
 * Suffixes by key, found in place: a line's key is never sliced out or hashed as a string.
 * The bucket comes from the key's length and a few of its characters (where channels and
 * events tend to differ); the key itself is then compared where it stands in the text.
 */
class SuffixTable {
  private buckets: Array<Suffix[] | undefined> = new Array<Suffix[] | undefined>(1024);
  size = 0;

  find(text: string, from: number, to: number): Suffix | undefined {
    const bucket = this.buckets[fingerprint(text, from, to) & (this.buckets.length - 1)];
    if (bucket === undefined) return undefined;
    if (bucket.length === 1 && (bucket[0] as Suffix).key.length !== to - from) return undefined;
    // Sliced and compared whole: faster in V8 than startsWith at a position.
    const key = text.slice(from, to);
    for (const suffix of bucket) if (suffix.key === key) return suffix;
    return undefined;
  }

  add(suffix: Suffix): void {
    if (++this.size > this.buckets.length) {
      const all = this.buckets.flatMap((bucket) => bucket ?? []);
      this.buckets = new Array<Suffix[] | undefined>(this.buckets.length * 4);
      for (const each of all) this.place(each);
    }
    this.place(suffix);
  }

  clear(): void {
    this.buckets = new Array<Suffix[] | undefined>(1024);
    this.size = 0;
  }

  private place(suffix: Suffix): void {
    const index = fingerprint(suffix.key, 0, suffix.key.length) & (this.buckets.length - 1);
    (this.buckets[index] ??= []).push(suffix);
  }
}

/**
 * A hash of the key's length, its first characters (the channel) and its last ones (the end of
 * the event name), read in place. Keys that differ elsewhere only share a bucket.
 */
function fingerprint(text: string, from: number, to: number): number {
  let hash = to - from;
  const head = Math.min(to, from + FINGERPRINT_HEAD);
  for (let i = from; i < head; i++) hash = Math.imul(hash, 31) + text.charCodeAt(i);
  const tail = Math.max(from, to - FINGERPRINT_TAIL);
  for (let i = tail; i < to; i++) hash = Math.imul(hash, 31) + text.charCodeAt(i);
  return (hash ^ (hash >>> 15)) >>> 0;
}

/** Names numbered in the order first seen, with a count per name for the day being counted. */
class NameTable {
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  private counts = new Float64Array(0);

  slot(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      this.slots.set(name, (slot = this.names.length));
      this.names.push(name);
    }
    return slot;
  }

  startCounting(): Float64Array {
    if (this.counts.length < this.names.length) this.counts = new Float64Array(Math.max(this.names.length, 2 * this.counts.length));
    else this.counts.fill(0, 0, this.names.length);
    return this.counts;
  }

  /** The names counted since {@link startCounting}, with their counts. */
  counted(): Map<string, number> {
    const out = new Map<string, number>();
    for (let slot = 0; slot < this.names.length; slot++) if (this.counts[slot] !== 0) out.set(this.names[slot] as string, this.counts[slot] as number);
    return out;
  }

  clear(): void {
    this.slots.clear();
    this.names.length = 0;
  }
}
