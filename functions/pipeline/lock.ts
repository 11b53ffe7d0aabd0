/**
 * The run lock (`state/lock.json`): one execution works at a time. It is taken with a
 * create-if-absent write and released by the run that holds it. A lock is taken over, with a
 * write conditional on its ETag (so two runs racing for it cannot both win), when it has
 * expired or when its holder is provably gone: a crashed run must not block the next one for
 * the lock's whole lifetime.
 */
import { describeHolder, unknownLockHolders, type LockHolder, type LockHolders } from '../core/lock-holder.js';
import { PreconditionFailedError, type ObjectStore } from '../core/object-store.js';
import { LOCK_KEY } from '../core/bucket-layout.js';
import type { PipelineDeps } from './deps.js';

export interface LockRecord {
  readonly runId: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** Absent in locks written before holders were recorded. */
  readonly holder?: LockHolder;
}

export type LockResult = { acquired: true } | { acquired: false; heldBy: string; since: string; holder: string | null };

export async function acquireLock(deps: PipelineDeps, runId: string, holder?: LockHolder): Promise<LockResult> {
  const now = deps.clock();
  const record: LockRecord = {
    runId,
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.config.lockTtlSeconds * 1000).toISOString(),
    ...(holder ? { holder } : {}),
  };
  const body = JSON.stringify(record);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await deps.bucket.put(LOCK_KEY, body, { ifNoneMatch: '*' });
      return { acquired: true };
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
    const current = await deps.bucket.get(LOCK_KEY);
    if (!current) continue; // released meanwhile: try again
    const held = parseLock(current.body);
    if (held?.runId === runId) return { acquired: true }; // a retried begin of this same run
    const takeOver = await whyStale(held, deps.lockHolders ?? unknownLockHolders, now);
    if (!takeOver) {
      return { acquired: false, heldBy: held?.runId ?? 'unknown', since: held?.acquiredAt ?? 'unknown', holder: held?.holder ? describeHolder(held.holder) : null };
    }
    deps.log.warn(`taking over the lock: ${takeOver}`, { previous: held ?? 'unreadable' });
    try {
      await deps.bucket.put(LOCK_KEY, body, { ifMatch: current.etag });
      return { acquired: true };
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  const held = await readLock(deps.bucket);
  return { acquired: false, heldBy: held?.runId ?? 'unknown', since: held?.acquiredAt ?? 'unknown', holder: held?.holder ? describeHolder(held.holder) : null };
}

/** Why a held lock is stale (may be taken over now), or null while it stands. */
async function whyStale(held: LockRecord | null, holders: LockHolders, now: Date): Promise<string | null> {
  if (!held) return 'it is unreadable';
  if (new Date(held.expiresAt).getTime() <= now.getTime()) return `it expired at ${held.expiresAt}`;
  if (held.holder && (await holders.isGone(held.holder))) return `its holder (${describeHolder(held.holder)}) is gone`;
  return null;
}

/** The lock as `status` reports it. */
export interface LockView {
  readonly runId: string;
  readonly since: string;
  readonly expiresAt: string;
  readonly holder: string | null;
  /** Why the next run will take it over at once; null while its run may still be working. */
  readonly stale: string | null;
}

export async function inspectLock(bucket: ObjectStore, holders: LockHolders, now: Date): Promise<LockView | null> {
  const current = await bucket.get(LOCK_KEY);
  if (!current) return null;
  const held = parseLock(current.body);
  return {
    runId: held?.runId ?? 'unknown',
    since: held?.acquiredAt ?? 'unknown',
    expiresAt: held?.expiresAt ?? 'unknown',
    holder: held?.holder ? describeHolder(held.holder) : null,
    stale: await whyStale(held, holders, now),
  };
}

/** Releases the lock if this run holds it; another run's lock is never touched. */
export async function releaseLock(deps: PipelineDeps, runId: string): Promise<boolean> {
  const current = await deps.bucket.get(LOCK_KEY);
  if (!current || parseLock(current.body)?.runId !== runId) return false;
  await deps.bucket.delete(LOCK_KEY);
  return true;
}

export async function readLock(bucket: ObjectStore): Promise<LockRecord | null> {
  const current = await bucket.get(LOCK_KEY);
  return current ? parseLock(current.body) : null;
}

function parseLock(body: Uint8Array): LockRecord | null {
  try {
    const value = JSON.parse(Buffer.from(body).toString('utf8')) as LockRecord;
    return typeof value.runId === 'string' && typeof value.expiresAt === 'string' ? value : null;
  } catch {
    return null;
  }
}
