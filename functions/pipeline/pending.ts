/**
 * Paths built but not yet published. The site mirror and its state move ahead at finalize;
 * the branch catches up at publish. Carrying the paths in the bucket until a publish succeeds
 * means a failed or crashed publish is simply completed by the next run, and a publish too big
 * for one run's GitHub budget keeps what it did not reach for the next one.
 */
import { z } from 'zod';
import { PENDING_PUBLISH_KEY } from '../core/bucket-layout.js';
import { PreconditionFailedError } from '../core/object-store.js';
import { type PipelineDeps } from './deps.js';
import { TransientError } from './errors.js';
import { PipelineError } from './errors.js';

export interface PendingPaths {
  /** Repository-relative paths whose current content (in the site mirror) must be published. */
  written: string[];
  /** Repository-relative paths to remove from the branch. */
  deleted: string[];
}

/** The pending list cannot be read: a one-line message naming the object. */
export class PendingListError extends PipelineError {
  static override readonly userFacing = true;
  constructor(reason: string) {
    super(
      `${PENDING_PUBLISH_KEY} in the bucket is not a pending list (${reason}); it names the paths built but not yet published: ` +
        `repair it, or delete it and run {"rebuild": "all"} to publish everything again`,
    );
  }
}

const PendingSchema = z.object({ written: z.array(z.string()).default([]), deleted: z.array(z.string()).default([]) });

export async function readPending(deps: Pick<PipelineDeps, 'bucket'>): Promise<PendingPaths> {
  return (await readPendingObject(deps)).paths;
}

async function readPendingObject(deps: Pick<PipelineDeps, 'bucket'>): Promise<{ paths: PendingPaths; etag: string | null }> {
  const object = await deps.bucket.get(PENDING_PUBLISH_KEY);
  if (!object) return { paths: { written: [], deleted: [] }, etag: null };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(object.body).toString('utf8'));
  } catch (error) {
    throw new PendingListError(`not JSON: ${(error as Error).message}`);
  }
  const parsed = PendingSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PendingListError(`${issue?.path.join('.') || 'the whole'}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return { paths: parsed.data, etag: object.etag };
}

/** Conditional writes lost in a row to concurrent writers before giving up (the step is retried). */
const MAX_ADD_ATTEMPTS = 8;

/**
 * Adds paths; a path written after being deleted (or the reverse) keeps the latest. Steps that
 * run side by side (the build Map) add at once, so the write is conditional on the list read.
 */
export async function addPending(deps: PipelineDeps, paths: PendingPaths): Promise<PendingPaths> {
  for (let attempt = 1; ; attempt++) {
    const { paths: previous, etag } = await readPendingObject(deps);
    const written = new Set(previous.written);
    const deleted = new Set(previous.deleted);
    for (const path of paths.deleted) {
      written.delete(path);
      deleted.add(path);
    }
    for (const path of paths.written) {
      deleted.delete(path);
      written.add(path);
    }
    const next = { written: [...written].sort(), deleted: [...deleted].sort() };
    const before = { written: [...previous.written].sort(), deleted: [...previous.deleted].sort() };
    if (JSON.stringify(next) === JSON.stringify(before)) return next;
    try {
      await deps.bucket.put(PENDING_PUBLISH_KEY, JSON.stringify(next), etag === null ? { ifNoneMatch: '*' } : { ifMatch: etag });
      return next;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= MAX_ADD_ATTEMPTS) {
        if (error instanceof PreconditionFailedError) throw new TransientError(`${PENDING_PUBLISH_KEY} kept changing while paths were added (${attempt} attempts)`);
        throw error;
      }
    }
  }
}

/** What a partial publish did not reach becomes the whole list (none: the list is cleared). */
export async function keepPending(deps: PipelineDeps, paths: PendingPaths): Promise<void> {
  if (paths.written.length === 0 && paths.deleted.length === 0) return clearPending(deps);
  await deps.bucket.put(PENDING_PUBLISH_KEY, JSON.stringify({ written: [...paths.written].sort(), deleted: [...paths.deleted].sort() }));
}

export async function clearPending(deps: PipelineDeps): Promise<void> {
  await deps.bucket.delete(PENDING_PUBLISH_KEY);
}
