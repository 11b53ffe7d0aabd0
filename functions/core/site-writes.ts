/** Writes to the published tree that happen only when the bytes change, and the record of them. */
import { createHash } from 'node:crypto';
import { bodyByteLength, type Body, type ObjectStore } from './object-store.js';

/** What a step wrote, as site paths (relative to `data/`). */
export interface SiteChanges {
  written: string[];
  deleted: string[];
  bytesWritten: number;
}

export function emptyChanges(): SiteChanges {
  return { written: [], deleted: [], bytesWritten: 0 };
}

export function mergeChanges(into: SiteChanges, from: SiteChanges): SiteChanges {
  into.written.push(...from.written);
  into.deleted.push(...from.deleted);
  into.bytesWritten += from.bytesWritten;
  return into;
}

function md5(body: Body): string {
  const hash = createHash('md5');
  if (typeof body === 'string' || body instanceof Uint8Array) hash.update(body);
  else for (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

function sameBytes(stored: Uint8Array, body: Body): boolean {
  const expected = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : Buffer.from(body.join(''));
  return Buffer.compare(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), Buffer.from(expected)) === 0;
}

/** Writes only when the stored object differs, comparing sizes, then ETags (S3) or bytes (local). */
export async function writeIfChanged(store: ObjectStore, key: string, body: Body, changes: SiteChanges, path = key): Promise<boolean> {
  // Encoded once: the size check, the comparison and the write all use these bytes.
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const size = bodyByteLength(bytes);
  const current = await store.head(key);
  if (current && current.size === size) {
    if (current.etag === `"${md5(bytes)}"`) return false;
    const stored = await store.get(key);
    if (stored && sameBytes(stored.body, bytes)) return false;
  }
  await store.put(key, bytes);
  changes.written.push(path);
  changes.bytesWritten += size;
  return true;
}

export async function deleteIfPresent(store: ObjectStore, key: string, changes: SiteChanges): Promise<void> {
  if (!(await store.head(key))) return;
  await store.delete(key);
  changes.deleted.push(key);
}
