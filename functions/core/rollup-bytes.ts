import type { ReusableBuffer, ShardSpace } from './reusable-buffer.js';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;

/** The items of a published array's bytes (`[a, b]` → `a, b`), or null when they are not bracketed. */
export function itemBytes(array: Uint8Array): Uint8Array | null {
  return array.length >= 2 && array[0] === OPEN_BRACKET && array[array.length - 1] === CLOSE_BRACKET ? array.subarray(1, -1) : null;
}

/**
 * `json.dumps(day1 + day2 + …)` as bytes, from the days' published bodies, never decoded or
 * encoded. A day built from its daily object is built in place, right at the rollup's end
 * (its own file is written from there, then it becomes part of the rollup: no copy); other
 * days' bodies are copied in. A month's bytes are held (the largest real month is about
 * 20 MB), its parsed events never are.
 */
export class RollupBytes implements ShardSpace {
  private buffer: Buffer;
  /** Bytes of the rollup so far: `[` and the bodies, without the closing `]`. */
  private length = 0;

  constructor(
    private readonly space: ReusableBuffer,
    expectedSize: number,
  ) {
    // The shards are the daily objects plus one byte a line: a little room saves a copy.
    this.buffer = space.take(Math.ceil(expectedSize * 1.05) + 1024);
  }

  /**
   * Room for a day's shard (`[…]`) where it goes: for the first day at the start (its `[` is
   * the rollup's), after that one byte past the end, where `, ` then takes the place of `[`.
   */
  take(size: number): Buffer {
    const start = this.start();
    this.ensure(start + size);
    return this.buffer.subarray(start, start + size);
  }

  /** Adds a day's shard, built in place by {@link take} or not. */
  addShard(shard: Uint8Array): void {
    const start = this.start();
    const inPlace = shard.buffer === this.buffer.buffer && shard.byteOffset === this.buffer.byteOffset + start;
    if (!inPlace) {
      this.add(shard.subarray(1, -1));
      return;
    }
    if (shard.length <= 2) return;
    if (this.length > 0) {
      this.buffer[this.length] = COMMA;
      this.buffer[this.length + 1] = SPACE;
    }
    // Everything but the closing bracket, which the next day's separator overwrites.
    this.length = start + shard.length - 1;
  }

  /** Adds a day's body (its items, without the brackets). */
  add(body: Uint8Array): void {
    if (body.length === 0) return;
    this.ensure(this.length + 2 + body.length);
    if (this.length === 0) this.buffer[this.length++] = OPEN_BRACKET;
    else {
      this.buffer[this.length++] = COMMA;
      this.buffer[this.length++] = SPACE;
    }
    this.buffer.set(body, this.length);
    this.length += body.length;
  }

  finish(): Buffer {
    this.ensure(this.length + 2);
    if (this.length === 0) this.buffer[this.length++] = OPEN_BRACKET;
    this.buffer[this.length++] = CLOSE_BRACKET;
    return this.buffer.subarray(0, this.length);
  }

  private start(): number {
    return this.length === 0 ? 0 : this.length + 1;
  }

  private ensure(size: number): void {
    if (size > this.buffer.length) this.buffer = this.space.grow(this.buffer, this.length, size);
  }
}
