/**
 * A bucket kept in a local directory, with S3's semantics where the pipeline relies on them:
 * whole-object atomic writes (temp file + rename), conditional writes (`If-Match`,
 * `If-None-Match: *`), "not found" distinct from every other error, and sorted listing.
 *
 * ETags are validators in the style of web servers (inode, size, modification time): every
 * write replaces the file, so every write yields a new ETag.
 *
 * File contents are read and written with synchronous calls: on a local disk they are faster
 * than a round trip through libuv's thread pool per call, and the build runs one store per
 * worker thread.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  promises as fs,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  type BigIntStats,
  type Dirent,
} from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import {
  PreconditionFailedError,
  type Body,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriter,
  type PutConditions,
  type StoredObject,
} from '../core/object-store.js';
import type { ShardSpace } from '../core/reusable-buffer.js';

/** Temp files and locks live here, never listed as objects. */
const INTERNAL_DIR = '.fs-object-store';
const LOCK_STALE_MS = 30_000;
const COMPARE_CHUNK = 1 << 20;

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
    return this.headSync(key);
  }

  private headSync(key: string): ObjectInfo | null {
    try {
      const stat = statSync(this.pathOf(key), { bigint: true });
      return stat.isFile() ? infoFromStat(key, stat) : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    return this.read(key, (fd) => readFileSync(fd));
  }

  async getInto(key: string, space: ShardSpace): Promise<StoredObject | null> {
    return this.read(key, (fd, size) => {
      // The file open is the one renamed into place whole: its size stays what fstat said.
      const buffer = space.take(size);
      let read = 0;
      for (let chunk = 1; read < size && chunk > 0; read += chunk) chunk = readSync(fd, buffer, read, size - read, read);
      return buffer.subarray(0, read);
    });
  }

  private read(key: string, body: (fd: number, size: number) => Uint8Array): StoredObject | null {
    let fd: number;
    try {
      fd = openSync(this.pathOf(key), fsConstants.O_RDONLY);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      const stat = fstatSync(fd, { bigint: true });
      if (!stat.isFile()) return null;
      return { ...infoFromStat(key, stat), body: body(fd, Number(stat.size)) };
    } finally {
      closeSync(fd);
    }
  }

  async put(key: string, body: Body, conditions: PutConditions = {}): Promise<{ etag: string }> {
    const { temp, fd } = this.openTemp();
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) writeFileSync(fd, body);
      else for (const chunk of body) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    await this.install(key, temp, conditions);
    return { etag: this.headSync(key)?.etag ?? '""' };
  }

  async openWrite(key: string): Promise<ObjectWriter> {
    const target = this.pathOf(key);
    const { temp, fd } = this.openTemp();
    let size = 0;
    let open = true;
    const close = () => {
      if (open) closeSync(fd);
      open = false;
    };
    return {
      write: async (chunk) => {
        size += writeSync(fd, chunk);
      },
      commitIfChanged: async () => {
        close();
        const current = this.headSync(key);
        if (current && current.size === size && sameFileContents(target, temp)) {
          unlinkSync(temp);
          return null;
        }
        await this.install(key, temp, {});
        return size;
      },
      abort: async () => {
        close();
        rmSync(temp, { force: true });
      },
    };
  }

  async delete(key: string): Promise<void> {
    rmSync(this.pathOf(key), { force: true });
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
      const info = this.headSync(key);
      if (info) yield info;
    }
  }

  /**
   * Removes the store's temp files and locks. Only when no write is in flight: at the end of a
   * build into a published directory, where nothing but the objects may remain.
   */
  async removeInternalFiles(): Promise<void> {
    await fs.rm(path.join(this.location, INTERNAL_DIR), { recursive: true, force: true });
  }

  /**
   * A new temp file, open for writing. Each thread has a directory of its own: files created
   * in one directory by threads side by side wait for each other's renames out of it. The
   * directory is made when it is missing, not checked before every write.
   */
  private openTemp(): { temp: string; fd: number } {
    const directory = path.join(this.location, INTERNAL_DIR, 'tmp', String(threadId));
    const temp = path.join(directory, `${Date.now()}-${randomBytes(6).toString('hex')}`);
    try {
      return { temp, fd: openSync(temp, 'w') };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      mkdirSync(directory, { recursive: true });
      return { temp, fd: openSync(temp, 'w') };
    }
  }

  /** Moves a finished temp file into place, honouring the write conditions. */
  private async install(key: string, temp: string, conditions: PutConditions): Promise<void> {
    const target = this.pathOf(key);
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      if (conditions.ifNoneMatch === '*') {
        // link() refuses to replace an existing file: an atomic create-if-absent.
        try {
          linkSync(temp, target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(key, 'the object already exists');
          throw error;
        }
        unlinkSync(temp);
      } else if (conditions.ifMatch !== undefined) {
        await this.withLock(key, async () => {
          const current = this.headSync(key);
          if (!current || current.etag !== conditions.ifMatch) {
            throw new PreconditionFailedError(key, current ? `ETag is ${current.etag}, expected ${conditions.ifMatch}` : 'the object does not exist');
          }
          renameSync(temp, target);
        });
      } else {
        renameSync(temp, target);
      }
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  /** A per-key mutex across processes: mkdir is atomic. Locks left by a crashed process expire. */
  private async withLock<T>(key: string, action: () => Promise<T>): Promise<T> {
    const lock = path.join(this.location, INTERNAL_DIR, 'locks', Buffer.from(key).toString('base64url'));
    mkdirSync(path.dirname(lock), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const stat = await fs.stat(lock).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
        else await new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** Math.min(attempt, 6), 200)));
      }
    }
    try {
      return await action();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

function sameFileContents(a: string, b: string): boolean {
  const fdA = openSync(a, 'r');
  const fdB = openSync(b, 'r');
  try {
    const bufferA = Buffer.allocUnsafe(COMPARE_CHUNK);
    const bufferB = Buffer.allocUnsafe(COMPARE_CHUNK);
    for (;;) {
      const readA = readSync(fdA, bufferA, 0, COMPARE_CHUNK, null);
      const readB = readSync(fdB, bufferB, 0, COMPARE_CHUNK, null);
      if (readA !== readB || !bufferA.subarray(0, readA).equals(bufferB.subarray(0, readB))) return false;
      if (readA === 0) return true;
    }
  } finally {
    closeSync(fdA);
    closeSync(fdB);
  }
}

function infoFromStat(key: string, stat: BigIntStats): ObjectInfo {
  return {
    key,
    size: Number(stat.size),
    lastModified: new Date(Number(stat.mtimeMs)),
    etag: `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`,
  };
}

async function walk(directory: string, keyPrefix: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const key = keyPrefix === '' ? entry.name : `${keyPrefix}/${entry.name}`;
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      // Follow links, but never let a dangling one make an object silently disappear.
      const target = await fs.stat(path.join(directory, entry.name)).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${path.join(directory, entry.name)}: ${error.code ?? error.message}`);
      });
      isDirectory = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDirectory) {
      if (key !== INTERNAL_DIR) await walk(path.join(directory, entry.name), key, out);
    } else if (isFile) out.push(key);
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
