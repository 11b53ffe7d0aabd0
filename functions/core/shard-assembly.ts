/** The bytes of a day shard on the fast path, moved into place in one buffer. */

/**
 * A piece of the published array: consecutive lines copied as they are (`from` is the first
 * line's start, `to` the last one's end), or one line whose head (`from`–`to`: up to its
 * timestamp's end) is followed by a rewritten suffix.
 */
export interface Piece {
  readonly from: number;
  to: number;
  /** The rewritten suffix's bytes (ASCII), or null for lines copied as they are. */
  readonly replacement: Uint8Array | null;
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
export function assemble(work: Buffer, input: Uint8Array, pieces: readonly Piece[], lead: number): Buffer {
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
      work.set(replacement, at);
      at += replacement.length;
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
