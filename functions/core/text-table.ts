/** The name tables of the day-shard fast path: published names by slot, with per-day counts. */

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
function detached(text: string): string {
  return ` ${text}`.slice(1);
}
