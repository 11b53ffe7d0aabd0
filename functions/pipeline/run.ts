/**
 * How a run begins: what started it, validated (the lock that lets only one execution work
 * at a time is in lock.ts, the records a run leaves in run-records.ts).
 */
import { z } from 'zod';
import { dayFromDate, isoDay, parseIsoDay, type Day } from '../core/days.js';
import { type PipelineDeps } from './deps.js';
import { InvalidInputError } from './errors.js';
import { acquireLock } from './lock.js';
import { sanitiseRunId } from './run-records.js';

/** How the execution was started: by the schedule, or to re-run days without the queue. */
export type RunMode = { kind: 'scheduled' } | { kind: 'rerun'; days: Day[] } | { kind: 'rebuild-all' };

const DayInput = z.string().refine((text) => parseIsoDay(text) !== null, { message: 'expected a real date as YYYY-MM-DD' });

/** `{}`, `{"day": …}`, `{"days": […]}` or `{"rebuild": "all"}`; anything else is refused by name. */
const ExecutionInput = z.union([
  z.object({}).strict(),
  z.object({ day: DayInput }).strict(),
  z.object({ days: z.array(DayInput).min(1).max(5_000) }).strict(),
  z.object({ rebuild: z.literal('all') }).strict(),
]);

export interface BeginRunInput {
  /** The execution's input, as started. */
  readonly input: unknown;
  readonly executionName: string;
  readonly executionArn?: string;
}

export interface RunStart {
  readonly runId: string;
  /** False: another execution holds the lock, and this one ends at once. */
  readonly acquired: boolean;
  readonly mode: RunMode;
  readonly startedAt: string;
}

/** Checks the execution's input and takes the run lock (the BeginRun step). */
export async function beginRun(deps: PipelineDeps, { input, executionName, executionArn }: BeginRunInput): Promise<RunStart> {
  const mode = parseExecutionInput(input, deps.clock());
  const runId = sanitiseRunId(executionName);
  const lock = await acquireLock(deps, runId, executionArn ? { kind: 'execution', executionArn } : undefined);
  await deps.checkpoint('begin-run:after-lock');
  if (!lock.acquired) deps.log.warn('another execution holds the lock; exiting', { runId, heldBy: lock.heldBy, since: lock.since, holder: lock.holder });
  return { runId, acquired: lock.acquired, mode, startedAt: deps.clock().toISOString() };
}

export function parseExecutionInput(input: unknown, today: Date): RunMode {
  const parsed = ExecutionInput.safeParse(input ?? {});
  if (!parsed.success) throw new InvalidInputError(describeInputError(input, parsed.error));
  const value = parsed.data as { day?: string; days?: string[]; rebuild?: 'all' };
  if (value.rebuild === 'all') return { kind: 'rebuild-all' };
  const texts = value.day !== undefined ? [value.day] : value.days;
  if (!texts) return { kind: 'scheduled' };
  const latest = dayFromDate(today);
  const days = [...new Set(texts.map((text) => parseIsoDay(text) as Day))].sort();
  const future = days.filter((day) => day > latest);
  if (future.length > 0) throw new InvalidInputError(`execution input: ${future.map(isoDay).join(', ')} is in the future`);
  return { kind: 'rerun', days };
}

function describeInputError(input: unknown, error: z.ZodError): string {
  const allowed = 'expected {}, {"day": "YYYY-MM-DD"}, {"days": ["YYYY-MM-DD", …]} or {"rebuild": "all"}';
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return `execution input must be a JSON object: ${allowed}`;
  const keys = Object.keys(input);
  const unknown = keys.filter((k) => !['day', 'days', 'rebuild'].includes(k));
  if (unknown.length > 0) return `execution input: unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ${allowed}`;
  if (keys.length > 1) return `execution input: give only one of ${keys.join(', ')}; ${allowed}`;
  // With exactly one known key, the matching branch of the union names the problem best.
  const key = keys[0];
  const branchIssue = error.issues
    .flatMap((issue) => ('errors' in issue ? (issue.errors as z.core.$ZodIssue[][]).flat() : [issue]))
    .find((issue) => issue.path[0] === key);
  const where = branchIssue ? branchIssue.path.join('.') : key;
  return `execution input: ${where}: ${branchIssue?.message ?? 'invalid value'}; ${allowed}`;
}
