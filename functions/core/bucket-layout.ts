/**
 * Where the pipeline keeps things in its bucket. Everything a step needs from an earlier one
 * is here, so state payloads carry keys, never data.
 */
import type { Day } from './days.js';

export const STAGING_PREFIX = 'staging/';
export const REJECTED_PREFIX = 'rejected/';
/** The published site as last built: `site/data/…` and `site/charts/…`. */
export const SITE_PREFIX = 'site/';
export const SITE_DATA_PREFIX = 'site/data/';
export const LOCK_KEY = 'state/lock.json';
/** Paths built but not yet published, carried over until a publish succeeds. */
export const PENDING_PUBLISH_KEY = 'state/pending-publish.json';
export const RUNS_PREFIX = 'runs/';

export function stagingPrefix(day: Day): string {
  return `${STAGING_PREFIX}${day}/`;
}

export function stagingKey(day: Day, name: string): string {
  return `${stagingPrefix(day)}${name}.ndjson`;
}

export function rejectedKey(receivedAt: Date, messageId: string): string {
  const iso = receivedAt.toISOString();
  const safeId = messageId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'message';
  return `${REJECTED_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${safeId}.json`;
}

export function runKey(runId: string, name: string): string {
  return `${RUNS_PREFIX}${runId}/${name}`;
}

export function runDayOutcomeKey(runId: string, day: Day): string {
  return runKey(runId, `days/${day}.json`);
}
