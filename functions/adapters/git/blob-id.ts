/** The id git gives a blob: sha1 over `blob <length>\0` and the bytes. Computed here, an unchanged file costs no git process and no request. */
import { createHash } from 'node:crypto';

export function gitBlobSha(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}
