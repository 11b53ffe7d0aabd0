/**
 * What a run leaves in the bucket under `runs/<run id>/`: its plan, the outcome of each month
 * built, what it drained, and its report or failure record. Run ids become key segments, so
 * they are kept to safe characters.
 */
import type { ObjectStore } from '../core/object-store.js';
import { runKey } from '../core/bucket-layout.js';
import { InvalidInputError } from './errors.js';
import { PipelineError } from './errors.js';

/** Letters, digits, `_`, `.` and `-`, at most 80 (Step Functions' limit on execution names). */
export const RUN_ID = /^[A-Za-z0-9_.-]{1,80}$/;

/** An execution name as a run id: anything outside {@link RUN_ID} becomes `-`. */
export function sanitiseRunId(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80);
  if (!RUN_ID.test(safe) || /^\.+$/.test(safe)) throw new InvalidInputError(`run id ${JSON.stringify(text)} is not usable`);
  return safe;
}

/** A run record that is not the JSON object it should be: one line naming it. */
export class RunRecordError extends PipelineError {
  static override readonly userFacing = true;
  constructor(readonly key: string, location: string, reason: string) {
    super(`the run record ${location}/${key} is corrupt: ${reason}`);
  }
}

type Bucket = { readonly bucket: ObjectStore };

export async function writeRunRecord({ bucket }: Bucket, runId: string, name: string, value: unknown): Promise<void> {
  await bucket.put(runKey(runId, name), `${JSON.stringify(value, null, 2)}\n`);
}

/** The record, null when there is none; a corrupt one throws a RunRecordError naming it. */
export async function readRunRecord<T>({ bucket }: Bucket, runId: string, name: string): Promise<T | null> {
  const key = runKey(runId, name);
  const object = await bucket.get(key);
  if (!object) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(object.body).toString('utf8'));
  } catch (error) {
    throw new RunRecordError(key, bucket.location, `not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RunRecordError(key, bucket.location, 'not a JSON object');
  return value as T;
}
