/**
 * The embedded default takes the run lock itself, for the execution it is about to start,
 * before it sends a single event: its queue lives only in this process, so events sent for a
 * run that then found the lock taken would be gone with the process. It waits for a run that
 * holds the lock; a lock whose process is gone is taken over at once.
 */
import { thisProcessHolder } from '../../functions/adapters/lock-holders.js';
import type { PipelineDeps } from '../../functions/pipeline/deps.js';
import { acquireLock } from '../../functions/pipeline/lock.js';
import { LocalError } from '../errors.js';

export const DEFAULT_LOCK_WAIT_SECONDS = 300;
const POLL_MS = 250;

/** Another run held the lock for the whole wait; nothing was sent. */
export class LockHeldError extends LocalError {
  static override readonly userFacing = true;
  override readonly exitCode = 4;
  constructor(message: string) {
    super(message);
  }
}

export async function holdLock(
  deps: PipelineDeps,
  runId: string,
  options: { readonly lockWaitSeconds?: number; readonly onLockWait?: (holder: string) => void },
): Promise<void> {
  const deadline = Date.now() + (options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS) * 1000;
  for (let waited = false; ; waited = true) {
    const lock = await acquireLock(deps, runId, thisProcessHolder());
    if (lock.acquired) return;
    const holder = `run ${lock.heldBy}${lock.holder ? ` (${lock.holder})` : ''}, since ${lock.since}`;
    if (Date.now() >= deadline) {
      throw new LockHeldError(`another run holds the lock: ${holder}; nothing was sent or changed. Run again when it has finished (usage-pipeline status shows the lock)`);
    }
    if (!waited) options.onLockWait?.(holder);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
