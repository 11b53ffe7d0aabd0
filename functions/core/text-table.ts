/**
 * Lookup tables for the day-shard fast path, built for looking up text *where it stands* in a
 * day's text: most lookups neither slice a string out nor make V8 hash one.
 */

/** Anything a {@link TextTable} holds: found by its key. */
export interface Keyed {
  readonly key: string;
}

/** Keys a bucket lists before it becomes a map. */
const BUCKET_LIST_LIMIT = 8;
/** Keys up to this long are fingerprinted whole; longer ones by their start and end. */
const WHOLE_KEY = 24;
const KEY_HEAD = 10;
const KEY_TAIL = 12;

/**
 * Entries by key. The bucket comes from the key's length and characters read in place (all of
 * a short key; the start and end of a long one, where channels and event names differ); the
 * key is then compared whole. A bucket that fills up (keys that differ only where the
 * fingerprint does not look) becomes a map on the whole key, so many similar keys cost map
 * lookups, never a scan of a long list.
 */
export class TextTable<T extends Keyed> {
  private buckets: Array<T[] | Map<string, T> | undefined> = new Array(1024);
  size = 0;

  /** The entry whose key is `text[from, to)`; `bytes` are the text's, when it is ASCII (read faster). */
  find(text: string, from: number, to: number, bytes?: Uint8Array): T | undefined {
    const bucket = this.buckets[(bytes ? fingerprint(bytes, from, to) : fingerprint(text, from, to)) & (this.buckets.length - 1)];
    if (bucket === undefined) return undefined;
    if (!Array.isArray(bucket)) return bucket.get(text.slice(from, to));
    if (bucket.length === 1 && (bucket[0] as T).key.length !== to - from) return undefined;
    // Sliced and compared whole: faster in V8 than startsWith at a position.
    const key = text.slice(from, to);
    for (const entry of bucket) if (entry.key === key) return entry;
    return undefined;
  }

  /** Adds an entry whose key is not in the table; the key must be a string of its own ({@link detached}). */
  add(entry: T): void {
    if (++this.size > this.buckets.length) {
      const all = this.buckets.flatMap((bucket) => (bucket === undefined ? [] : [...bucket.values()]));
      this.buckets = new Array(this.buckets.length * 4);
      for (const each of all) this.place(each);
    }
    this.place(entry);
  }

  clear(): void {
    this.buckets = new Array(1024);
    this.size = 0;
  }

  /** Keeps only the entries that pass. */
  retain(keep: (entry: T) => boolean): void {
    const kept = this.buckets.flatMap((bucket) => (bucket === undefined ? [] : [...bucket.values()].filter(keep)));
    this.clear();
    for (const entry of kept) this.add(entry);
  }

  private place(entry: T): void {
    const index = fingerprint(entry.key, 0, entry.key.length) & (this.buckets.length - 1);
    const bucket = this.buckets[index];
    if (bucket === undefined) this.buckets[index] = [entry];
    else if (!Array.isArray(bucket)) bucket.set(entry.key, entry);
    else if (bucket.length < BUCKET_LIST_LIMIT) bucket.push(entry);
    else this.buckets[index] = new Map([...bucket, entry].map((each) => [each.key, each]));
  }
}

/** The same number for a text and for its bytes when it is ASCII. */
function fingerprint(text: string | Uint8Array, from: number, to: number): number {
  let hash = to - from;
  if (typeof text === 'string') {
    if (to - from <= WHOLE_KEY) {
      for (let i = from; i < to; i++) hash = Math.imul(hash, 31) + text.charCodeAt(i);
    } else {
      for (let i = from; i < from + KEY_HEAD; i++) hash = Math.imul(hash, 31) + text.charCodeAt(i);
      for (let i = to - KEY_TAIL; i < to; i++) hash = Math.imul(hash, 31) + text.charCodeAt(i);
    }
  } else if (to - from <= WHOLE_KEY) {
    for (let i = from; i < to; i++) hash = Math.imul(hash, 31) + (text[i] as number);
  } else {
    for (let i = from; i < from + KEY_HEAD; i++) hash = Math.imul(hash, 31) + (text[i] as number);
    for (let i = to - KEY_TAIL; i < to; i++) hash = Math.imul(hash, 31) + (text[i] as number);
  }
  return (hash ^ (hash >>> 15)) >>> 0;
}

/** Names numbered in the order first seen, with a count per name for the day being counted. */
export class NameTable {
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  private counts = new Float64Array(0);

  get size(): number {
    return this.names.length;
  }

  slot(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      const own = detached(name);
      this.slots.set(own, (slot = this.names.length));
      this.names.push(own);
    }
    return slot;
  }

  name(slot: number): string {
    return this.names[slot] as string;
  }

  /** Zeroed counts, one per name, with room for `newNames` more names to come. */
  startCounting(newNames: number): Float64Array {
    const room = this.names.length + newNames;
    if (this.counts.length < room) this.counts = new Float64Array(room);
    else this.counts.fill(0, 0, room);
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

/**
 * The same characters in a string of their own. A slice of a day's text would keep the whole
 * text alive for as long as a table remembers it; slicing a concatenation makes V8 flatten it
 * into a new string first.
 */
export function detached(text: string): string {
  return ` ${text}`.slice(1);
}
