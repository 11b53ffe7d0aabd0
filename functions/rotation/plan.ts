/** What to do with an IAM user's keys before a rotation, and how keys are named in reports. */
import type { AccessKeyInfo } from './model.js';

export function keySuffix(id: string): string {
  return `…${id.slice(-4)}`;
}

export type RotationPlan =
  | { readonly kind: 'refuse'; readonly reason: string }
  | { readonly kind: 'rotate'; readonly old?: AccessKeyInfo; readonly deleteFirst?: AccessKeyInfo };

/**
 * What to do with the user's current keys. IAM allows two per user, so at two one must go
 * before a new one can exist: only an inactive key may (it cannot be what the secrets use
 * successfully). Two active keys: no way to tell which one the secrets hold, so refuse.
 */
export function planRotation(user: string, keys: readonly AccessKeyInfo[]): RotationPlan {
  const list = keys.map((k) => `${keySuffix(k.id)} ${k.status.toLowerCase()}`).join(', ');
  if (keys.length > 2) return { kind: 'refuse', reason: `IAM user ${user} has ${keys.length} access keys (${list}); expected at most two` };
  if (keys.length < 2) return { kind: 'rotate', ...(keys[0] ? { old: keys[0] } : {}) };
  const inactive = keys.filter((k) => k.status !== 'Active');
  if (inactive.length === 0) {
    return {
      kind: 'refuse',
      reason: `IAM user ${user} already has two active access keys (${list}): deactivate the one the secrets do not use, then run again`,
    };
  }
  // Both inactive: neither works today; drop the older and rotate away from the newer.
  const byAge = [...inactive].sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || a.id.localeCompare(b.id));
  const deleteFirst = byAge[0]!;
  const old = keys.find((k) => k !== deleteFirst)!;
  return { kind: 'rotate', old, deleteFirst };
}
