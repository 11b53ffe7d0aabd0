/**
 * Reading ASCII text as bytes, where it stands: V8 reads a Uint8Array's elements faster than a
 * string's characters, and nothing is sliced out.
 */

const NOT_ASCII = /[^\0-\x7f]/;

export function asciiBytes(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** The bytes of an ASCII text, or null when it is not ASCII (and so not for this path). */
export function asciiEncoded(text: string): Uint8Array | null {
  return NOT_ASCII.test(text) ? null : asciiBytes(text);
}

/**
 * How the bytes at `b` (`bLength` of them) compare with those at `a`: positive when they sort
 * after, as `<` would say of the ASCII strings, without slicing either out.
 */
export function compareInPlace(bytes: Uint8Array, a: number, aLength: number, b: number, bLength: number): number {
  const common = Math.min(aLength, bLength);
  for (let i = 0; i < common; i++) {
    const difference = (bytes[b + i] as number) - (bytes[a + i] as number);
    if (difference !== 0) return difference;
  }
  return bLength - aLength;
}
