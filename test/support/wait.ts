/**
 * Waiting for a condition instead of for a fixed time: the probe is asked again until it
 * answers, and a condition that never comes fails with what was awaited and the last answer.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (a generous bound: only a broken condition ever reaches it). */
  readonly timeoutMs?: number;
  /** Between probes. */
  readonly intervalMs?: number;
}

/** Resolves with the first answer of `probe` that is neither null, undefined nor false. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, options: WaitOptions = {}): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== null && last !== undefined && last !== false) return last as T;
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} (last answer: ${JSON.stringify(last)})`);
    await delay(options.intervalMs ?? 25);
  }
}
