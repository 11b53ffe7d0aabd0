/** ASCII text as bytes, for the day-shard fast path. */

const NOT_ASCII = /[^\0-\x7f]/;

export function asciiBytes(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** The bytes of an ASCII text, or null when it is not ASCII (and so not for this path). */
export function asciiEncoded(text: string): Uint8Array | null {
  return NOT_ASCII.test(text) ? null : asciiBytes(text);
}
