/**
 * Who holds the pipeline's run lock, and how to tell that a holder is gone. A lock names its
 * holder so that a run which died (a killed process, a failed execution) does not block the
 * next one for the lock's whole lifetime: a holder that is provably gone is taken over at once.
 */

export type LockHolder =
  /** A process on a machine (the embedded default): gone when that process no longer exists. */
  | { readonly kind: 'process'; readonly host: string; readonly pid: number; readonly processStart: string | null }
  /** A Step Functions execution: gone when it is no longer running. */
  | { readonly kind: 'execution'; readonly executionArn: string };

export interface LockHolders {
  /** True only when the holder provably no longer runs; false when alive or unknown. */
  isGone(holder: LockHolder): Promise<boolean>;
}

/** For places that can prove nothing: a lock is only ever taken over once it expires. */
export const unknownLockHolders: LockHolders = { isGone: async () => false };

export function describeHolder(holder: LockHolder): string {
  return holder.kind === 'process' ? `process ${holder.pid} on ${holder.host}` : `execution ${holder.executionArn}`;
}
