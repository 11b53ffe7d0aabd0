/**
 * The fast path of a day shard, for the daily objects our drainer writes: every line printable
 * ASCII without escapes, in the shape `{"timestamp": "…", "channel": "…", ["endpoint": "…", ]"event": "…"}`,
 * and the lines in timestamp order. That is nearly every day of the real history, and for
 * such a day the shard is the file with its newlines turned into separators, except where
 * normalisation changes a line or makes it repeat an earlier one.
 *
 * The line index (line-index.ts, WebAssembly) checks the shape and numbers each line's names;
 * here each name is normalised once, in each role it plays, and each line is its names'
 * numbers: nothing is read twice, and nothing is kept per line.
 *
 * Anything else (escapes, non-ASCII, CR, a blank or malformed line, lines out of timestamp
 * order) gets `null`, and the day goes through the general path, which this one must match
 * byte for byte (the property tests compare them).
 */
import { asciiBytes, asciiEncoded } from './ascii-bytes.js';
import { CHANNEL_IS_ENDPOINT, LineIndex, RECORD, RECORD_FIELDS, TIMESTAMP_BACK, TIMESTAMP_NEW, TIMESTAMP_REAL } from './line-index.js';
import { timestampProblem } from './timestamp.js';
import { normaliseEventName, rewriteChannel } from './normalise.js';
import type { ShardSpace } from './reusable-buffer.js';
import { assemble, type Piece } from './shard-assembly.js';
import type { DayCounts } from './summary.js';
import { NameTable } from './text-table.js';

export interface CanonicalDay {
  /** The published JSON array, as bytes. */
  readonly bytes: Buffer;
  /** Lines read (none is blank on this path). */
  readonly lines: number;
  readonly counts: DayCounts;
}

/** A line's start, up to its timestamp: `{"timestamp": "`. */
const TIMESTAMP_LABEL_LENGTH = 15;
const CHANNEL_TEXT = '", "channel": "';
/** Runs of one timestamp longer than this look up repeats in a set rather than a list. */
const SHORT_RUN = 8;
/** Names a table holds across days before the tables start over. */
const MEMORY_LIMIT = 50_000;
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
  replacements: Map<number, Uint8Array> | null = null;

  constructor(readonly key: string) {}
}

const NO_PREFIX_RULE = -2;

export class CanonicalDayScanner {
  private readonly index = new LineIndex();
  /** The names the index has numbered, by number. */
  private names: RawName[] = [];
  private readonly channels = new NameTable();
  private readonly events = new NameTable();
  private readonly endpoints = new NameTable();
  /** Whether the last channel {@link rewrittenChannel} gave is changed by the SIP rewrites. */
  private rewriteChanged = false;

  /** The day's shard from its text or bytes; null when the day is not for this path. */
  scan(content: string | Uint8Array, space?: ShardSpace): CanonicalDay | null {
    const bytes = typeof content === 'string' ? asciiEncoded(content) : content;
    if (bytes === null) return null;
    this.forgetIfFull();
    let indexed = this.index.index(bytes);
    if (indexed === 'tables full') {
      this.forgetNames();
      indexed = this.index.index(bytes);
    }
    if (typeof indexed === 'string') return null;
    const { lines, records } = indexed;
    for (let id = this.names.length; id < this.index.names; id++) this.names.push(new RawName(this.index.name(id)));
    // Every line could bring a new name: counts have room for them all.
    const eventCounts = this.events.startCounting(lines + 1);
    const channelCounts = this.channels.startCounting(lines + 1);
    const pieces: Piece[] = [];
    let copying: Piece | null = null;
    // How much longer rewritten lines are than the originals, in all.
    let growth = 0;
    // The entries of the current run of one timestamp, to drop repeats.
    const runIds = new Float64Array(SHORT_RUN);
    let runLength = 0;
    let runSet: Set<number> | null = null;
    let kept = 0;
    for (let r = 0; r < lines * RECORD_FIELDS; r += RECORD_FIELDS) {
      const start = records[r + RECORD.start] as number;
      const timestampEnd = records[r + RECORD.timestampEnd] as number;
      const end = records[r + RECORD.end] as number;
      const flags = records[r + RECORD.flags] as number;
      const event = this.names[records[r + RECORD.event] as number] as RawName;
      if (event.eventSlot === -1) {
        event.eventSlot = this.events.slot(normaliseEventName(event.key));
        event.eventChanges = this.events.name(event.eventSlot) !== event.key;
      }
      const endpointNumber = records[r + RECORD.endpoint] as number;
      const endpoint = endpointNumber === 0 ? null : (this.names[endpointNumber - 1] as RawName);
      let channelSlot: number;
      let changed: boolean;
      if (endpoint !== null && endpoint.key !== '') {
        // A non-empty endpoint is the published channel: the channel was only compared with it.
        if (endpoint.channelSlot === -1) endpoint.channelSlot = this.channels.slot(endpoint.key);
        channelSlot = endpoint.channelSlot;
        changed = (flags & CHANNEL_IS_ENDPOINT) === 0 || event.eventChanges;
      } else {
        const rewritten = this.rewrittenChannel(records[r + RECORD.prefix] as number, records[r + RECORD.channel] as number);
        if (rewritten === -1) return null;
        channelSlot = rewritten;
        changed = this.rewriteChanged || event.eventChanges;
      }
      if (endpoint !== null && endpoint.endpointSlot === -1) endpoint.endpointSlot = this.endpoints.slot(endpoint.key);
      const endpointSlot = endpoint === null ? -1 : endpoint.endpointSlot;
      if (Math.max(channelSlot, event.eventSlot, endpointSlot) >= SLOT_LIMIT) return null;
      // The published entry (given its timestamp) is its channel, endpoint and event.
      const id = channelSlot + (endpointSlot + 1) * SLOT_LIMIT + event.eventSlot * SLOT_LIMIT * SLOT_LIMIT;
      if ((flags & TIMESTAMP_NEW) !== 0) {
        // Each new timestamp is checked once; a line with one that is not a real time leaves
        // the day to the general path, which rejects that line with its reason.
        if ((flags & TIMESTAMP_REAL) === 0 && timestampProblem(latin1(bytes, start + TIMESTAMP_LABEL_LENGTH, timestampEnd)) !== null) return null;
        runLength = 0;
        runSet = null;
      } else if ((flags & TIMESTAMP_BACK) !== 0) {
        return null;
      } else if (runSet ? runSet.has(id) : inRun(runIds, runLength, id)) {
        // Identical to an earlier entry of this timestamp once normalised: the first one stays.
        copying = null;
        continue;
      }
      if (runSet) runSet.add(id);
      else if (runLength < SHORT_RUN) runIds[runLength++] = id;
      else runSet = new Set([...runIds, id]);
      eventCounts[event.eventSlot] = (eventCounts[event.eventSlot] as number) + 1;
      channelCounts[channelSlot] = (channelCounts[channelSlot] as number) + 1;
      kept++;
      if (changed) {
        const replacement = this.replacement(event, channelSlot, endpoint, endpointSlot);
        pieces.push({ from: start, to: timestampEnd, replacement });
        growth += Math.max(0, replacement.length - (end - timestampEnd));
        copying = null;
      } else if (copying !== null && copying.to === start - 1) {
        copying.to = end;
      } else {
        pieces.push((copying = { from: start, to: end, replacement: null }));
      }
    }
    const lead = lines + 2 + growth;
    const work = space ? space.take(lead + bytes.length) : Buffer.allocUnsafe(lead + bytes.length);
    return {
      bytes: assemble(work, bytes, pieces, lead),
      lines,
      counts: { total: kept, events: this.events.counted(), channels: this.channels.counted() },
    };
  }

  /**
   * The published channel's slot for a channel without an endpoint to replace it, from the
   * numbers (plus one; 0 when the index did not look it up) of what precedes its last `-` and of
   * the channel itself; -1 when the index left out what is needed. A channel whose rewrite drops
   * everything from its last `-` (`SIP/655-0000a1b2` → `SIP-655`) is rewritten by what precedes
   * that dash, so channels with unique suffixes share one entry, and the index stops looking
   * such channels up. Whether the rewrite changes the channel is left in {@link rewriteChanged}.
   */
  private rewrittenChannel(prefixNumber: number, channelNumber: number): number {
    if (prefixNumber !== 0) {
      const prefix = this.names[prefixNumber - 1] as RawName;
      if (prefix.prefixSlot === -1) {
        prefix.prefixSlot = rule1Drops(prefix.key) ? this.channels.slot(rewriteChannel(`${prefix.key}-`)) : NO_PREFIX_RULE;
        this.index.setPrefixRule(prefixNumber - 1, prefix.prefixSlot !== NO_PREFIX_RULE);
      }
      if (prefix.prefixSlot !== NO_PREFIX_RULE) {
        this.rewriteChanged = true;
        return prefix.prefixSlot;
      }
    }
    if (channelNumber === 0) return -1;
    const channel = this.names[channelNumber - 1] as RawName;
    if (channel.rewrittenSlot === -1) {
      channel.rewrittenSlot = this.channels.slot(rewriteChannel(channel.key));
      channel.rewriteChanges = this.channels.name(channel.rewrittenSlot) !== channel.key;
    }
    this.rewriteChanged = channel.rewriteChanges;
    return channel.rewrittenSlot;
  }

  /** The published suffix of a changed line, shared by the lines with the same published channel and endpoint, however their raw channels differ. */
  private replacement(event: RawName, channelSlot: number, endpoint: RawName | null, endpointSlot: number): Uint8Array {
    const cacheKey = replacementKey(channelSlot, endpointSlot);
    let replacement = cacheKey === null ? undefined : event.replacements?.get(cacheKey);
    if (replacement === undefined) {
      // As bytes: every line that ends with it gets them copied in, never encoded again.
      replacement = asciiBytes(`${CHANNEL_TEXT}${this.channels.name(channelSlot)}", ${endpoint === null ? '' : `"endpoint": "${endpoint.key}", `}"event": "${this.events.name(event.eventSlot)}"}`);
      if (cacheKey !== null) (event.replacements ??= new Map()).set(cacheKey, replacement);
    }
    return replacement;
  }

  /** Keeps the tables bounded across days: names that never repeat make them start over. */
  private forgetIfFull(): void {
    if ([this.channels.size, this.events.size, this.endpoints.size].some((size) => size > MEMORY_LIMIT)) {
      for (const table of [this.channels, this.events, this.endpoints]) table.clear();
      this.forgetNames();
    }
  }

  /** Forgets the names the index numbered, here and in the index (their slots in the tables stay). */
  private forgetNames(): void {
    this.index.reset();
    this.names = [];
  }
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
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
