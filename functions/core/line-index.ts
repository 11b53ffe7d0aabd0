/**
 * The line index of a day in the drainer's shape (assembly/line-index.ts, compiled to
 * WebAssembly): where each line's timestamp and fields are, and its names as numbers that stay
 * the same across days. The day-shard fast path (canonical-day.ts) works from these records.
 */
import { LINE_INDEX_WASM } from './line-index-wasm.js';

interface LineIndexExports {
  readonly memory: WebAssembly.Memory;
  readonly INPUT: WebAssembly.Global;
  readonly RECORD_FIELDS: WebAssembly.Global;
  readonly NOT_CANONICAL: WebAssembly.Global;
  readonly TABLES_FULL: WebAssembly.Global;
  reset(): void;
  nameCount(): number;
  index(length: number, records: number): number;
  nameOffset(id: number): number;
  nameLength(id: number): number;
  setPrefixRule(id: number, rule: number): void;
}

/** The record fields (see `index` in assembly/line-index.ts). */
export const RECORD = { start: 0, timestampEnd: 1, end: 2, event: 3, endpoint: 4, prefix: 5, channel: 6, flags: 7 } as const;
/** Numbers per line record: the module says the same (checked when it is loaded). */
export const RECORD_FIELDS = Object.keys(RECORD).length;
/** In `flags` (as in assembly/line-index.ts): the channel's bytes are the endpoint's. */
export const CHANNEL_IS_ENDPOINT = 1;
/** In `flags`: the timestamp sorts after the previous line's (the first line's always does), or before it. */
export const TIMESTAMP_NEW = 2;
export const TIMESTAMP_BACK = 4;
/** In `flags`, for a timestamp that sorts after the previous one: it is a real date and time in a known form. */
export const TIMESTAMP_REAL = 8;

/** The shortest line the shape allows (every field empty), and its newline. */
const SHORTEST_LINE = 46;
const PAGE = 65536;

let compiled: WebAssembly.Module | null = null;

export type IndexResult = { readonly lines: number; readonly records: Uint32Array } | 'not canonical' | 'tables full';

/** One instance per thread: its tables are this thread's names. */
export class LineIndex {
  private readonly wasm: LineIndexExports;
  private readonly input: number;

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(LINE_INDEX_WASM, 'base64'));
    this.wasm = new WebAssembly.Instance(compiled, {}).exports as unknown as LineIndexExports;
    this.input = this.wasm.INPUT.value as number;
    if (this.wasm.RECORD_FIELDS.value !== RECORD_FIELDS) throw new Error(`line index: records of ${String(this.wasm.RECORD_FIELDS.value)} fields, expected ${RECORD_FIELDS}`);
    this.wasm.reset();
  }

  /** The records of the day's lines (valid until the next call), or why there are none. */
  index(bytes: Uint8Array): IndexResult {
    const recordsAt = align(this.input + bytes.length, 8);
    const room = Math.floor(bytes.length / SHORTEST_LINE) + 2;
    const needed = recordsAt + room * RECORD_FIELDS * 4;
    const memory = this.wasm.memory;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    new Uint8Array(memory.buffer, this.input, bytes.length).set(bytes);
    const lines = this.wasm.index(bytes.length, recordsAt);
    if (lines === this.wasm.NOT_CANONICAL.value) return 'not canonical';
    if (lines === this.wasm.TABLES_FULL.value) return 'tables full';
    return { lines, records: new Uint32Array(memory.buffer, recordsAt, lines * RECORD_FIELDS) };
  }

  /** Names numbered so far (new ones since the last call are the caller's to read). */
  get names(): number {
    return this.wasm.nameCount();
  }

  /** A name's text (ASCII: the day passed the check). */
  name(id: number): string {
    return Buffer.from(this.wasm.memory.buffer, this.wasm.nameOffset(id), this.wasm.nameLength(id)).toString('latin1');
  }

  /** Whether a name, as what precedes a channel's last dash, decides the channel's rewrite. */
  setPrefixRule(id: number, applies: boolean): void {
    this.wasm.setPrefixRule(id, applies ? 1 : 2);
  }

  /** Forgets every name: the numbers start again from 0. */
  reset(): void {
    this.wasm.reset();
  }
}

function align(offset: number, to: number): number {
  return Math.ceil(offset / to) * to;
}
