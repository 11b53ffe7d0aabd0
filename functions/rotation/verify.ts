/**
 * Verifying a rotation took: the new key works (IAM is eventually consistent, so it is asked
 * again, with backoff, until a timeout), and every secret written shows a new `updated_at`.
 */
import { RUNTIME_DEFAULTS } from '../config/environment.js';
import type { KeyManager, NewAccessKey, SecretStore } from './model.js';

export interface VerifyOptions {
  /** Give up waiting for the new key after this long (default `RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds`). */
  readonly timeoutMs?: number;
  /** First pause between checks (default 2 s), doubling up to `maxDelayMs` (default 10 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface KeyCheck {
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last check failed, or `accepted`. */
  readonly detail: string;
  /** Milliseconds waited in all. */
  readonly waitedMs: number;
}

export interface VerifyClock {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** An error's message, fit for a report (the rotation scrubs the new secret out of it). */
  readonly text: (error: unknown) => string;
}

/** Asks AWS whether the new key works until it does or `verify.timeoutMs` has passed. */
export async function waitForKey(keys: KeyManager, created: NewAccessKey, verify: VerifyOptions | undefined, clock: VerifyClock): Promise<KeyCheck> {
  const timeout = verify?.timeoutMs ?? RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds * 1000;
  const maxDelay = verify?.maxDelayMs ?? 10_000;
  let delay = verify?.initialDelayMs ?? 2_000;
  const started = clock.now().getTime();
  let detail = 'not accepted yet';
  for (let attempt = 1; ; attempt++) {
    try {
      if ((await keys.checkKey(created)) === 'accepted') return { ok: true, attempts: attempt, detail: 'accepted', waitedMs: clock.now().getTime() - started };
      detail = 'not accepted yet';
    } catch (error) {
      detail = clock.text(error);
    }
    const waited = clock.now().getTime() - started;
    if (waited >= timeout) return { ok: false, attempts: attempt, detail, waitedMs: waited };
    await clock.sleep(Math.min(delay, timeout - waited));
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** Written secrets that do not show a new `updated_at` (GitHub keeps it to the second), each in words. */
export async function staleSecrets(secrets: SecretStore, written: readonly string[], before: ReadonlyMap<string, Date>, text: (error: unknown) => string): Promise<string[]> {
  let now: Map<string, Date>;
  try {
    now = await secrets.updatedAt(written);
  } catch (error) {
    return [`could not read them back: ${text(error)}`];
  }
  return written.flatMap((name) => {
    const at = now.get(name);
    if (!at) return [`${name} is missing`];
    const previous = before.get(name);
    return previous && at.getTime() <= previous.getTime() ? [`${name} still shows updated_at ${at.toISOString()}`] : [];
  });
}
