/**
 * A bucket kept in a local directory, with S3's semantics where the pipeline relies on them:
 * whole-object atomic writes (temp file + rename), conditional writes (`If-Match`,
 * `If-None-Match: *`), "not found" distinct from every other error, and sorted listing.
 *
 * ETags are validators in the style of web servers (inode, size, modification time): every
 * write replaces the file, so every write yields a new ETag.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  PreconditionFailedError,
  type Body,
  type ObjectInfo,
  type ObjectStore,
  type PutConditions,
  type StoredObject,
} from '../core/object-store.js';

/** Temp files and locks live here, never listed as objects. */
const INTERNAL_DIR = '.fs-object-store';
const LOCK_STALE_MS = 30_000;

export class FsObjectStore implements ObjectStore {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = path.resolve(root);
  }

  private pathOf(key: string): string {
    const parts = key.split('/');
    if (key === '' || parts.some((p) => p === '' || p === '.' || p === '..') || parts[0] === INTERNAL_DIR || key.includes('\0')) {
      throw new Error(`invalid object key ${JSON.stringify(key)}`);
    }
    return path.join(this.location, ...parts);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const stat = await fs.stat(this.pathOf(key), { bigint: true });
      if (!stat.isFile()) return null;
      return infoFromStat(key, stat);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), fsConstants.O_RDONLY);
    } catch (error) {
      if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw error;
    }
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) return null;
      const body = await handle.readFile();
      return { ...infoFromStat(key, stat), body };
    } finally {
      await handle.close();
    }
  }

  async put(key: string, body: Body, conditions: PutConditions = {}): Promise<{ etag: string }> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = await this.writeTemp(body);
    try {
      if (conditions.ifNoneMatch === '*') {
        // link() refuses to replace an existing file: an atomic create-if-absent.
        try {
          await fs.link(temp, target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new PreconditionFailedError(key, 'the object already exists');
          }
          throw error;
        }
        await fs.unlink(temp);
      } else if (conditions.ifMatch !== undefined) {
        await this.withLock(key, async () => {
          const current = await this.head(key);
          if (!current || current.etag !== conditions.ifMatch) {
            throw new PreconditionFailedError(key, current ? `ETag is ${current.etag}, expected ${conditions.ifMatch}` : 'the object does not exist');
          }
          await fs.rename(temp, target);
        });
      } else {
        await fs.rename(temp, target);
      }
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    const written = await this.head(key);
    return { etag: written?.etag ?? '""' };
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    const directoryKey = slash === -1 ? '' : prefix.slice(0, slash);
    const start = directoryKey === '' ? this.location : this.pathOf(directoryKey);
    const keys: string[] = [];
    await walk(start, directoryKey, keys);
    const matching = keys.filter((key) => key.startsWith(prefix) && !key.startsWith(`${INTERNAL_DIR}/`));
    // S3 lists keys in UTF-8 byte order.
    matching.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const key of matching) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  private async writeTemp(body: Body): Promise<string> {
    const directory = path.join(this.location, INTERNAL_DIR, 'tmp');
    await fs.mkdir(directory, { recursive: true });
    const temp = path.join(directory, `${Date.now()}-${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(temp, 'w');
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) await handle.writeFile(body);
      else for (const chunk of body) await handle.write(chunk);
    } finally {
      await handle.close();
    }
    return temp;
  }

  /** A per-key mutex across processes: mkdir is atomic. Locks left by a crashed process expire. */
  private async withLock<T>(key: string, action: () => Promise<T>): Promise<T> {
    const lock = path.join(this.location, INTERNAL_DIR, 'locks', Buffer.from(key).toString('base64url'));
    await fs.mkdir(path.dirname(lock), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const stat = await fs.stat(lock).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) await fs.rm(lock, { recursive: true, force: true });
        else await new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** Math.min(attempt, 6), 200)));
      }
    }
    try {
      return await action();
    } finally {
      await fs.rm(lock, { recursive: true, force: true });
    }
  }
}

function infoFromStat(key: string, stat: import('node:fs').BigIntStats): ObjectInfo {
  return {
    key,
    size: Number(stat.size),
    lastModified: new Date(Number(stat.mtimeMs)),
    etag: `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`,
  };
}

async function walk(directory: string, keyPrefix: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const key = keyPrefix === '' ? entry.name : `${keyPrefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (key !== INTERNAL_DIR) await walk(path.join(directory, entry.name), key, out);
    } else if (entry.isFile()) out.push(key);
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
