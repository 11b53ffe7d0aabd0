/**
 * One growable buffer handed out again and again, for bytes that are done with before its next
 * use (a day's shard while its month is built, a month's rollup while the next is built). Large
 * buffers allocated afresh for every day live outside V8's heap until a collection notices
 * them: re-using one keeps a build's memory flat.
 */
/** Where a day shard can be built: a buffer of at least the size asked for, valid until the next request. */
export interface ShardSpace {
  take(size: number): Buffer;
}

export class ReusableBuffer implements ShardSpace {
  private buffer: Buffer = Buffer.alloc(0);

  /** A buffer of at least `size` bytes; its content is undefined. */
  take(size: number): Buffer {
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafe(Math.max(size, Math.ceil(this.buffer.length * 1.5)));
    return this.buffer;
  }

  /** A buffer of at least `size` bytes that starts with the first `keep` bytes of `current`. */
  grow(current: Buffer, keep: number, size: number): Buffer {
    if (current === this.buffer && current.length >= size) return current;
    const larger = Buffer.allocUnsafe(Math.max(size, Math.ceil(current.length * 1.5)));
    current.copy(larger, 0, 0, keep);
    this.buffer = larger;
    return larger;
  }
}
