/**
 * Git object facts the publisher computes locally, so that unchanged files cost no request:
 * blob ids, whether content can travel as inline text, and which paths a tree accepts.
 */
import { isUtf8 } from 'node:buffer';

/** GitHub refuses files over 100 MiB outright. */
export const GITHUB_FILE_LIMIT_BYTES = 100 * 1024 * 1024;
/** GitHub warns about files over 50 MiB when they are pushed. */
export const GITHUB_FILE_WARNING_BYTES = 50 * 1024 * 1024;

export { gitBlobSha } from '../git/blob-id.js';

/**
 * Whether the content can travel as inline tree content, which GitHub stores as the UTF-8
 * encoding of the string: only valid UTF-8 round-trips exactly. NUL marks binary for git
 * itself, so such content goes as a blob too.
 */
export function isInlineText(content: Uint8Array): boolean {
  return !content.includes(0) && isUtf8(content);
}

// ignoreBOM keeps a leading U+FEFF in the string; otherwise the decoder would drop it and
// the inline content would no longer hash to the local blob id.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The string of content for which isInlineText holds. */
export function decodeText(content: Uint8Array): string {
  return utf8.decode(content);
}

/**
 * Bytes the content takes once JSON-encoded as a string (UTF-8 passes through unescaped),
 * to bound request bodies without building them twice.
 */
export function jsonStringBytes(content: Uint8Array): number {
  let size = 2;
  for (const byte of content) {
    if (byte === 0x22 || byte === 0x5c) size += 2;
    else if (byte < 0x20) size += byte === 0x08 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d ? 2 : 6;
    else size += 1;
  }
  return size;
}

/** Why GitHub would refuse `path` in a tree, or null when it is a plain relative file path. */
export function treePathProblem(path: string): string | null {
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.startsWith('/') || path.endsWith('/')) return 'must not start or end with "/"';
  for (const segment of path.split('/')) {
    if (segment === '') return 'contains an empty segment ("//")';
    if (segment === '.' || segment === '..') return `contains a "${segment}" segment`;
    if (segment.toLowerCase() === '.git') return 'contains a ".git" segment';
  }
  return null;
}

export { formatBytes } from '../../core/format.js';
