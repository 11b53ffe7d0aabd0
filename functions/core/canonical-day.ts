/**
 * The fast path of a day shard, for the daily objects our drainer writes: every line printable
 * ASCII without escapes, in the shape `{"timestamp": "…", "channel": "…", ["endpoint": "…", ]"event": "…"}`,
 * and the lines in timestamp order. That is nearly every day of the real history, and for
 * such a day the shard is the file with its newlines turned into separators, except where
 * normalisation changes a line or makes it repeat an earlier one.
 *
 * A line is its timestamp plus a *suffix* (`", "channel": …}`). Suffixes repeat (a day has as
 * many as it has channel/endpoint/event combinations): a known one is found in place and
 * needs nothing more. An unknown one is read name by name, and names repeat even when their
 * combinations do not (channels with unique suffixes, thousands of event names): each name
 * is checked and normalised once. Nothing is kept per line.
 *
 * Anything else (escapes, non-ASCII, CR, a blank or malformed line, lines out of timestamp
 * order) gets `null`, and the day goes through the general path, which this one must match
 * byte for byte (the property tests compare them).
 */
import { asciiBytes, asciiEncoded, compareInPlace, labelAt } from './ascii-bytes.js';
import { isRealTimestampAt, timestampProblem } from './timestamp.js';
import { normaliseEventName, rewriteChannel } from './normalise.js';
import type { ShardSpace } from './reusable-buffer.js';
import { assemble, type Piece } from './shard-assembly.js';
import type { DayCounts } from './summary.js';
import { detached, NameTable, TextTable } from './text-table.js';

export interface CanonicalDay {
  /** The published JSON array, as bytes. */
  readonly bytes: Buffer;
  /** Lines read (none is blank on this path). */
  readonly lines: number;
  readonly counts: DayCounts;
}

/** A line's start, up to its timestamp. */
const TIMESTAMP_LABEL = asciiBytes('{"timestamp": "');
const ENDPOINT_LABEL = asciiBytes('", "endpoint": "');
const EVENT_LABEL = asciiBytes('", "event": "');
const CANONICAL_NAME = /^[ !#-[\]-~]*$/;
const CANONICAL_RUN = /[ !#-[\]-~]*/y;
const CHANNEL_TEXT = '", "channel": "';
const CHANNEL_LABEL = asciiBytes(CHANNEL_TEXT);
const QUOTE = 0x22;
const CLOSING_BRACE = 0x7d;
/** Runs of one timestamp longer than this look up repeats in a set rather than a list. */
const SHORT_RUN = 8;
/** Entries a day may add to a table before it must show that they repeat (a quarter of its lines). */
const LEARN_FREELY = 1000;
/** Names a table holds across days before the tables start over. */
const MEMORY_LIMIT = 50_000;
/**
 * Suffixes remembered across days. Past a few thousand, a lookup misses the processor's caches
 * and costs more than reading the line's names: data with that many combinations (thousands
 * of event names) is read name by name.
 */
const SUFFIX_LIMIT = 8192;
/** Names per table an entry id can number (ids stay exact doubles). */
const SLOT_LIMIT = 2 ** 17;

/**
 * A name as written in a line, with what it becomes in each role, worked out on first use
 * (-1: not yet). Every field is set from the start: one object shape for all names.
 */
class RawName {
  /** As a channel without endpoint: the slot of the rewritten channel, and whether it changed. */
  rewrittenSlot = -1;
  rewriteChanges = false;
  /** As a non-empty endpoint: its slot as the published channel, and among endpoints. */
  channelSlot = -1;
  endpointSlot = -1;
  /**
   * As what precedes a channel's last `-`: the slot of every such channel's rewrite, or
   * {@link NO_PREFIX_RULE} when the first SIP rewrite would not end at that dash.
   */
  prefixSlot = -1;
  /** As an event: the slot of the normalised name, and whether it changed. */
  eventSlot = -1;
  eventChanges = false;
  /** As an event: the rewritten suffixes it ends, by published channel and endpoint ({@link replacementKey}). */
  replacements: Map<number, string> | null = null;

  constructor(readonly key: string) {}
}

const NO_PREFIX_RULE = -2;

class Suffix {
  /** The last scan that met it: what has not been met for a while is forgotten first. */
  lastUsed = 0;

  constructor(
    /** What follows `"channel": "` up to the closing `"}`. */
    public key: string,
    /** Slots of the published channel and event, for counting. */
    public channel: number,
    public event: number,
    /** Same id, same published entry (given the same timestamp). */
    public id: number,
    /** The published suffix when normalisation changes the line, else null (the line is copied). */
    public replacement: string | null,
  ) {}
}

export class CanonicalDayScanner {
  private readonly suffixes = new TextTable<Suffix>();
  private readonly names = new TextTable<RawName>();
  private readonly channels = new NameTable();
  private readonly events = new NameTable();
  private readonly endpoints = new NameTable();
  /** Entries learnt (remembered) in the current scan, and lines read so far. */
  private learnt = 0;
  private lines = 0;
  private nameMisses = 0;
  private scans = 0;
  /** What a suffix that is not remembered is read into, line after line. */
  private readonly passing = new Suffix('', 0, 0, 0, null);
  /** The bytes of the day being scanned (the text's characters: this path reads only ASCII). */
  private bytes: Uint8Array = new Uint8Array(0);
  /** Whether the last channel {@link rewrittenChannel} read is changed by the SIP rewrites. */
  private rewriteChanged = false;

  /**
   * The day's shard from its text and, when the caller has them, the bytes it was decoded from
   * (on this path the text is ASCII: character offsets are byte offsets).
   */
  scan(text: string, encoded?: Uint8Array, space?: ShardSpace): CanonicalDay | null {
    // Fixed parts are compared as bytes, which V8 reads faster than a string's characters.
    const bytes = encoded ?? asciiEncoded(text);
    if (bytes === null) return null;
    this.bytes = bytes;
    this.forgetIfFull();
    const scan = ++this.scans;
    // Every line could bring a new name: counts have room for them all.
    const lineBound = Math.ceil(text.length / 40) + 1;
    const eventCounts = this.events.startCounting(lineBound);
    const channelCounts = this.channels.startCounting(lineBound);
    const pieces: Piece[] = [];
    let copying: Piece | null = null;
    // How much longer rewritten lines are than the originals, in all.
    let growth = 0;
    // Where the previous line's timestamp stands, and the entries of the current run of one
    // timestamp, to drop repeats.
    let previousFrom = 0;
    let previousLength = -1;
    const runIds = new Float64Array(SHORT_RUN);
    let runLength = 0;
    let runSet: Set<number> | null = null;
    let kept = 0;
    this.learnt = 0;
    this.lines = 0;
    this.nameMisses = 0;
    // Known suffixes are looked up while nearly every line has one.
    let lookUpSuffixes = true;
    let misses = 0;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      // The timestamp ends at the line's first quote after its label. It needs no escaping: a
      // new one is checked below as a real time, and any other equals the one before.
      if (!labelAt(bytes, start, TIMESTAMP_LABEL)) return null;
      const timestampEnd = text.indexOf('"', start + TIMESTAMP_LABEL.length);
      if (timestampEnd === -1 || timestampEnd >= end || !labelAt(bytes, timestampEnd, CHANNEL_LABEL)) return null;
      const keyFrom = timestampEnd + CHANNEL_LABEL.length;
      // The suffix is `", "channel": "` + key + `"}`.
      if (end - 2 < keyFrom || text.charCodeAt(end - 1) !== CLOSING_BRACE || text.charCodeAt(end - 2) !== QUOTE) return null;
      let suffix = lookUpSuffixes ? this.suffixes.find(text, keyFrom, end - 2, bytes) : undefined;
      if (suffix !== undefined) suffix.lastUsed = scan;
      else {
        const read = this.readSuffix(text, keyFrom, end - 2, lookUpSuffixes);
        if (read === null) return null;
        suffix = read;
        if (lookUpSuffixes && ++misses > 20 && misses * 10 > this.lines) lookUpSuffixes = false;
      }
      const timestampFrom = start + TIMESTAMP_LABEL.length;
      const order = previousLength === -1 ? 1 : compareInPlace(bytes, previousFrom, previousLength, timestampFrom, timestampEnd - timestampFrom);
      this.lines++;
      if (order > 0) {
        // Each new timestamp is checked once; a line with one that is not a real time leaves
        // the day to the general path, which rejects that line with its reason.
        if (!isRealTimestampAt(bytes, timestampFrom, timestampEnd) && timestampProblem(text.slice(timestampFrom, timestampEnd)) !== null) return null;
        previousFrom = timestampFrom;
        previousLength = timestampEnd - timestampFrom;
        runLength = 0;
        runSet = null;
      } else if (order < 0) {
        return null;
      } else if (runSet ? runSet.has(suffix.id) : inRun(runIds, runLength, suffix.id)) {
        // Identical to an earlier entry of this timestamp once normalised: the first one stays.
        copying = null;
        start = end + 1;
        continue;
      }
      if (runSet) runSet.add(suffix.id);
      else if (runLength < SHORT_RUN) runIds[runLength++] = suffix.id;
      else runSet = new Set([...runIds, suffix.id]);
      eventCounts[suffix.event] = (eventCounts[suffix.event] as number) + 1;
      channelCounts[suffix.channel] = (channelCounts[suffix.channel] as number) + 1;
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
    const lead = this.lines + 2 + growth;
    const work = space ? space.take(lead + bytes.length) : Buffer.allocUnsafe(lead + bytes.length);
    return {
      bytes: assemble(work, bytes, pieces, lead),
      lines: this.lines,
      counts: { total: kept, events: this.events.counted(), channels: this.channels.counted() },
    };
  }

  /**
   * Keeps the tables bounded across days. Suffixes are many (a combination each): those not met
   * in the last days go first. Names are few unless they never repeat: then everything starts over.
   */
  private forgetIfFull(): void {
    if ([this.names.size, this.channels.size, this.events.size, this.endpoints.size].some((size) => size > MEMORY_LIMIT)) {
      for (const table of [this.suffixes, this.names, this.channels, this.events, this.endpoints]) table.clear();
      return;
    }
    if (this.suffixes.size <= SUFFIX_LIMIT) return;
    for (const days of [7, 1, 0]) {
      this.suffixes.retain((suffix) => suffix.lastUsed >= this.scans - days);
      if (this.suffixes.size <= SUFFIX_LIMIT / 2) return;
    }
    this.suffixes.clear();
  }

  /** Whether to remember a new entry: always at first, then only while a quarter of the day's lines, at most, needed one. */
  private remember(): boolean {
    if (this.learnt >= LEARN_FREELY && this.learnt * 4 >= this.lines) return false;
    this.learnt++;
    return true;
  }

  /**
   * The suffix whose key is `text[from, to)`, read name by name, and remembered if it may be;
   * null when it is not in the drainer's shape.
   */
  private readSuffix(text: string, from: number, to: number, rememberable: boolean): Suffix | null {
    const channelEnd = text.indexOf('"', from);
    let endpointFrom = -1;
    let endpointEnd = -1;
    let eventFrom: number;
    if (labelAt(this.bytes, channelEnd, ENDPOINT_LABEL)) {
      endpointFrom = channelEnd + ENDPOINT_LABEL.length;
      endpointEnd = text.indexOf('"', endpointFrom);
      if (!labelAt(this.bytes, endpointEnd, EVENT_LABEL)) return null;
      eventFrom = endpointEnd + EVENT_LABEL.length;
    } else {
      if (!labelAt(this.bytes, channelEnd, EVENT_LABEL)) return null;
      eventFrom = channelEnd + EVENT_LABEL.length;
    }
    // Every quote accounted for: the event ends where the key does.
    if (eventFrom > to || text.indexOf('"', eventFrom) !== to) return null;
    const event = this.name(text, eventFrom, to);
    const endpoint = endpointFrom === -1 ? null : this.name(text, endpointFrom, endpointEnd);
    if (event === null || (endpointFrom !== -1 && endpoint === null)) return null;
    if (event.eventSlot === -1) {
      event.eventSlot = this.events.slot(normaliseEventName(event.key));
      event.eventChanges = this.events.name(event.eventSlot) !== event.key;
    }
    let channelSlot: number;
    let changed: boolean;
    if (endpoint !== null && endpoint.key !== '') {
      // A non-empty endpoint is the published channel: the channel is only compared with it,
      // where it stands (channels with unique suffixes are never looked up).
      if (!canonicalAt(text, from, channelEnd)) return null;
      if (endpoint.channelSlot === -1) endpoint.channelSlot = this.channels.slot(endpoint.key);
      channelSlot = endpoint.channelSlot;
      changed = channelEnd - from !== endpointEnd - endpointFrom || compareInPlace(this.bytes, from, channelEnd - from, endpointFrom, endpointEnd - endpointFrom) !== 0 || event.eventChanges;
    } else {
      const rewritten = this.rewrittenChannel(text, from, channelEnd);
      if (rewritten === null) return null;
      channelSlot = rewritten;
      changed = this.rewriteChanged || event.eventChanges;
    }
    if (endpoint !== null && endpoint.endpointSlot === -1) endpoint.endpointSlot = this.endpoints.slot(endpoint.key);
    const endpointSlot = endpoint === null ? -1 : endpoint.endpointSlot;
    if (Math.max(channelSlot, event.eventSlot, endpointSlot) >= SLOT_LIMIT) return null;
    let replacement: string | null = null;
    if (changed) {
      // Shared by the lines with the same published suffix, however their raw channels differ.
      const cacheKey = replacementKey(channelSlot, endpointSlot);
      replacement = (cacheKey === null ? undefined : event.replacements?.get(cacheKey)) ?? null;
      if (replacement === null) {
        replacement = detached(`${CHANNEL_TEXT}${this.channels.name(channelSlot)}", ${endpoint === null ? '' : `"endpoint": "${endpoint.key}", `}"event": "${this.events.name(event.eventSlot)}"}`);
        if (cacheKey !== null) (event.replacements ??= new Map()).set(cacheKey, replacement);
      }
    }
    // The published entry (given its timestamp) is its channel, endpoint and event.
    const id = channelSlot + (endpointSlot + 1) * SLOT_LIMIT + event.eventSlot * SLOT_LIMIT * SLOT_LIMIT;
    if (!rememberable || this.suffixes.size >= 2 * SUFFIX_LIMIT || !this.remember()) {
      const passing = this.passing;
      passing.channel = channelSlot;
      passing.event = event.eventSlot;
      passing.id = id;
      passing.replacement = replacement;
      return passing;
    }
    const suffix = new Suffix(detached(text.slice(from, to)), channelSlot, event.eventSlot, id, replacement);
    suffix.lastUsed = this.scans;
    this.suffixes.add(suffix);
    return suffix;
  }

  /**
   * The published channel's slot for the channel `text[from, to)` (no endpoint to replace it);
   * whether the SIP rewrites change it is left in {@link rewriteChanged}. A channel whose rewrite drops everything from its
   * last `-` (`SIP/655-0000a1b2` → `SIP-655`) is looked up by what comes before that dash, so
   * channels with unique suffixes share one entry.
   */
  private rewrittenChannel(text: string, from: number, to: number): number | null {
    const dash = text.lastIndexOf('-', to - 1);
    if (dash > from && canonicalAt(text, dash, to)) {
      const prefix = this.name(text, from, dash);
      if (prefix === null) return null;
      if (prefix.prefixSlot === -1) prefix.prefixSlot = rule1Drops(prefix.key) ? this.channels.slot(rewriteChannel(`${prefix.key}-`)) : NO_PREFIX_RULE;
      if (prefix.prefixSlot !== NO_PREFIX_RULE) {
        this.rewriteChanged = true;
        return prefix.prefixSlot;
      }
    }
    const channel = this.name(text, from, to);
    if (channel === null) return null;
    if (channel.rewrittenSlot === -1) {
      channel.rewrittenSlot = this.channels.slot(rewriteChannel(channel.key));
      channel.rewriteChanges = this.channels.name(channel.rewrittenSlot) !== channel.key;
    }
    this.rewriteChanged = channel.rewriteChanges;
    return channel.rewrittenSlot;
  }

  /**
   * The name `text[from, to)`, checked once; null when it needs escaping (not this path's
   * business). Names that do not repeat (channels with unique suffixes) stop being remembered.
   */
  private name(text: string, from: number, to: number): RawName | null {
    if (to < from) return null;
    const known = this.names.find(text, from, to, this.bytes);
    if (known !== undefined) return known;
    const key = text.slice(from, to);
    if (!CANONICAL_NAME.test(key)) return null;
    if (++this.nameMisses > 256 && this.nameMisses * 2 > this.lines) return new RawName(key);
    if (!this.remember()) return new RawName(key);
    const name = new RawName(detached(key));
    this.names.add(name);
    return name;
  }
}

/** Whether `text[from, to)` needs no escaping (printable ASCII, no quote or backslash). */
function canonicalAt(text: string, from: number, to: number): boolean {
  CANONICAL_RUN.lastIndex = from;
  return CANONICAL_RUN.test(text) && CANONICAL_RUN.lastIndex >= to;
}

/**
 * Whether, for any channel `prefix + "-" + rest` (ASCII, one line), the first SIP rewrite
 * `(SIP).(.*)-.*` matches from the prefix's first `SIP` to the end, its greedy group ending at
 * that last dash: then the channel's rewrite is the rewrite of `prefix + "-"`, whatever `rest`
 * (without a `-`) is.
 */
function rule1Drops(prefix: string): boolean {
  const sip = prefix.indexOf('SIP');
  return sip !== -1 && prefix.length >= sip + 4;
}

/** A small-integer key for a published channel and endpoint (null when the slots are too large for one). */
function replacementKey(channelSlot: number, endpointSlot: number): number | null {
  return channelSlot < 2 ** 15 && endpointSlot < 2 ** 15 - 1 ? channelSlot * 2 ** 15 + endpointSlot + 1 : null;
}

function inRun(ids: Float64Array, length: number, id: number): boolean {
  for (let i = 0; i < length; i++) if (ids[i] === id) return true;
  return false;
}
