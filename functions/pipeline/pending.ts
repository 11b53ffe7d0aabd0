/**
 * Paths built but not yet published. The site mirror and its state move ahead at finalize;
 * the branch catches up at publish. Carrying the paths in the bucket until a publish succeeds
 * means a failed or crashed publish is simply completed by the next run.
 */
import { PENDING_PUBLISH_KEY } from './bucket-layout.js';
import type { PipelineDeps } from './deps.js';

export interface PendingPaths {
  /** Repository-relative paths whose current content (in the site mirror) must be published. */
  written: string[];
  /** Repository-relative paths to remove from the branch. */
  deleted: string[];
}

export async function readPending(deps: PipelineDeps): Promise<PendingPaths> {
  const object = await deps.bucket.get(PENDING_PUBLISH_KEY);
  if (!object) return { written: [], deleted: [] };
  const value = JSON.parse(Buffer.from(object.body).toString('utf8')) as PendingPaths;
  return { written: value.written ?? [], deleted: value.deleted ?? [] };
}

/** Adds this run's paths; a path written after being deleted (or the reverse) keeps the latest. */
export async function addPending(deps: PipelineDeps, paths: PendingPaths): Promise<PendingPaths> {
  const previous = await readPending(deps);
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
  if (next.written.length === 0 && next.deleted.length === 0) {
    if (previous.written.length + previous.deleted.length > 0) await deps.bucket.delete(PENDING_PUBLISH_KEY);
    return next;
  }
  await deps.bucket.put(PENDING_PUBLISH_KEY, JSON.stringify(next));
  return next;
}

export async function clearPending(deps: PipelineDeps): Promise<void> {
  await deps.bucket.delete(PENDING_PUBLISH_KEY);
}
