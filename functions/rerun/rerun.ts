/**
 * Re-running one day of the pipeline: the checks made before anything touches AWS, the
 * execution's name, and waiting for its outcome. The Step Functions calls themselves are
 * behind `ExecutionClient` so this stays testable without a network.
 */
import { isoDay, parseDay } from '../core/days.js';
import { RerunError } from './errors.js';

export class RerunInputError extends RerunError {
  static override readonly userFacing = true;
}

/**
 * The day to re-run as `YYYY-MM-DD`: a real calendar date, not after today in UTC (the
 * pipeline files events by their timestamp's own date, and no day after today can hold any).
 * `YYYYMMDD` is accepted too, as `build --days` does.
 */
export function checkRerunDay(text: string, now: Date = new Date()): string {
  const trimmed = text.trim();
  if (!/^\d{4}-?\d{2}-?\d{2}$/.test(trimmed)) throw new RerunInputError(`--day: ${JSON.stringify(text)} is not a day (expected YYYY-MM-DD)`);
  const day = parseDay(trimmed);
  if (!day) throw new RerunInputError(`--day: ${trimmed} is not a real calendar date`);
  const iso = isoDay(day);
  const today = now.toISOString().slice(0, 10);
  if (iso > today) throw new RerunInputError(`--day: ${iso} is in the future (today is ${today} UTC)`);
  return iso;
}

/** Step Functions execution names: 1–80 characters from this set (no spaces, brackets, wildcards, …). */
const NAME_ALLOWED = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * `rerun-2025-03-01-20251123T103000Z`: sortable, says which day and when, and unique per
 * second — a second start within the same second is an ExecutionAlreadyExists, not a duplicate run.
 */
export function executionName(day: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const name = `rerun-${day}-${stamp}`;
  if (!NAME_ALLOWED.test(name)) throw new Error(`internal: execution name ${JSON.stringify(name)} is not valid for Step Functions`);
  return name;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The ARN's region, or throws RerunInputError when it is not a state machine ARN. */
export function stateMachineRegion(arn: string): string {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match) throw new RerunInputError(`${JSON.stringify(arn)} is not a Step Functions state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`);
  return match[1]!;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionDescription {
  status: ExecutionStatus | string;
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
}

export interface WaitOptions {
  /** First delay between polls; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this long (the execution keeps running). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onPoll?: (description: ExecutionDescription) => void;
}

export class WaitTimeoutError extends RerunError {
  constructor(
    readonly waitedMs: number,
    readonly last: ExecutionDescription,
  ) {
    super(`still ${last.status} after ${Math.round(waitedMs / 1000)} s; it keeps running`);
  }
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** Polls until the execution stops, with exponential backoff, bounded by `timeoutMs`. */
export async function waitForExecution(describe: () => Promise<ExecutionDescription>, options: WaitOptions = {}): Promise<ExecutionDescription> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const maxDelay = options.maxDelayMs ?? 15_000;
  const timeout = options.timeoutMs ?? 15 * 60_000;
  const started = now();
  let delay = options.initialDelayMs ?? 1_000;
  for (;;) {
    const description = await describe();
    options.onPoll?.(description);
    if (TERMINAL.has(description.status)) return description;
    const waited = now() - started;
    if (waited >= timeout) throw new WaitTimeoutError(waited, description);
    await sleep(Math.min(delay, Math.max(0, timeout - waited)));
    delay = Math.min(delay * 2, maxDelay);
  }
}
