/**
 * Drain: move messages from the queue into per-day staging objects.
 *
 * Order of side effects is what makes it safe: a chunk of messages is classified, its kept
 * lines are staged (one object per day) and its malformed bodies quarantined, and only then
 * are the messages deleted. A crash before the delete leaves them in the queue to be staged
 * again; staging twice is harmless because merging is a set union. A crash after the delete
 * leaves staged objects that the next merge folds in.
 */
import { randomUUID } from 'node:crypto';
import { classifyMessage, type DropReason } from '../core/classify.js';
import type { Day } from '../core/days.js';
import type { ObjectStore } from '../core/object-store.js';
import type { QueueMessage } from '../core/queue.js';
import { rejectedKey, stagingKey } from '../core/bucket-layout.js';
import { type PipelineDeps } from './deps.js';
import { InvalidInputError } from './errors.js';
import { readRunRecord, writeRunRecord } from './run-records.js';

export interface DrainTotals {
  received: number;
  kept: number;
  dropped: Record<DropReason, number>;
  malformed: number;
  /** Deliveries of a message already seen in the same chunk (SQS delivers at least once). */
  duplicates: number;
  /** Deletes the queue refused; those messages come back and are staged again, harmlessly. */
  deleteFailures: number;
}

export interface DrainInput {
  readonly runId: string;
  readonly iteration?: number;
  readonly totals?: DrainTotals;
}

export interface DrainOutput {
  /** True when the drain stopped at its budget with messages still arriving. */
  readonly more: boolean;
  readonly iteration: number;
  readonly totals: DrainTotals;
  /** Days staged by this invocation. */
  readonly days: Day[];
}

/** ReceiveMessage calls in flight at once. */
const RECEIVES_IN_FLIGHT = 4;

/** `runs/<id>/drain.json`: the run's drain totals, as of its last drain invocation. */
const DRAIN_RECORD = 'drain.json';

/** The totals the run's drain recorded, or null when it drained nothing (or never got that far). */
export async function drainedTotals(deps: PipelineDeps, runId: string): Promise<DrainTotals | null> {
  return readRunRecord<DrainTotals>(deps, runId, DRAIN_RECORD).catch(() => null);
}

export function emptyTotals(): DrainTotals {
  return { received: 0, kept: 0, dropped: { hostname: 0, channel: 0, event: 0 }, malformed: 0, duplicates: 0, deleteFailures: 0 };
}

export async function drain(deps: PipelineDeps, input: DrainInput, remainingMs: () => number = () => Infinity): Promise<DrainOutput> {
  const queue = deps.queue;
  if (!queue) throw new InvalidInputError('drain needs a queue, and none is configured');
  const { maxMessages, flushMessages, receiveWaitSeconds, timeBudgetMs } = deps.config.drain;
  const totals = structuredClone(input.totals ?? emptyTotals());
  const started = Date.now();
  // Stop receiving with time left to stage and delete what was received.
  const timeLeft = () => Math.min(timeBudgetMs - (Date.now() - started), remainingMs() - 30_000) > 0;
  const stagedDays = new Set<Day>();
  let takenHere = 0;
  let queueEmpty = false;

  while (!queueEmpty && takenHere < maxMessages && timeLeft()) {
    const chunk: QueueMessage[] = [];
    while (chunk.length < flushMessages && takenHere + chunk.length < maxMessages && timeLeft()) {
      // Several receives in flight: each is a round trip, and SQS serves concurrent receivers.
      const room = Math.min(flushMessages - chunk.length, maxMessages - takenHere - chunk.length);
      const calls = Math.max(1, Math.min(RECEIVES_IN_FLIGHT, Math.ceil(room / 10)));
      const batches = await Promise.all(Array.from({ length: calls }, () => queue.receive(10, receiveWaitSeconds)));
      const messages = batches.flat();
      if (messages.length === 0) {
        queueEmpty = true;
        break;
      }
      chunk.push(...messages);
    }
    if (chunk.length === 0) break;
    takenHere += chunk.length;
    for (const day of await stageChunk(deps, input.runId, chunk, totals)) stagedDays.add(day);
    await deps.checkpoint('drain:after-stage');
    const { failed } = await queue.deleteBatch(chunk);
    if (failed.length > 0) {
      totals.deleteFailures += failed.length;
      deps.log.warn('the queue refused some deletes; those messages will be staged again', { failed: failed.slice(0, 10) });
    }
    await deps.checkpoint('drain:after-delete');
  }
  const output = { more: !queueEmpty, iteration: (input.iteration ?? 0) + 1, totals, days: [...stagedDays].sort() };
  // What the run has taken from the queue so far: a run that fails later still reports it.
  await writeRunRecord(deps, input.runId, DRAIN_RECORD, totals);
  deps.log.info('drained', { ...output, receivedHere: takenHere });
  return output;
}

/** Classifies a chunk, writes one staging object per day and one quarantine object per malformed body. */
async function stageChunk(deps: PipelineDeps, runId: string, chunk: readonly QueueMessage[], totals: DrainTotals): Promise<Day[]> {
  const linesByDay = new Map<Day, string[]>();
  const seen = new Set<string>();
  const receivedAt = deps.clock();
  const quarantine: Array<{ message: QueueMessage; reason: string }> = [];
  for (const message of chunk) {
    totals.received++;
    if (seen.has(message.id)) {
      totals.duplicates++;
      continue;
    }
    seen.add(message.id);
    const result = classifyMessage(message.body, {
      productionHosts: deps.config.productionHosts,
      firstDay: deps.config.firstDay,
      receivedAt: message.sentAt && message.sentAt < receivedAt ? message.sentAt : receivedAt,
    });
    if (result.kind === 'kept') {
      totals.kept++;
      let lines = linesByDay.get(result.day);
      if (!lines) linesByDay.set(result.day, (lines = []));
      lines.push(result.line);
    } else if (result.kind === 'dropped') {
      totals.dropped[result.reason]++;
    } else {
      totals.malformed++;
      quarantine.push({ message, reason: result.reason });
    }
  }
  // A unique name per write: a retried drain never collides with, or overwrites, an earlier one.
  const name = `${deps.clock().toISOString().replace(/[:.]/g, '')}-${runId.slice(0, 40)}-${randomUUID().slice(0, 8)}`;
  await Promise.all(
    [...linesByDay].map(([day, lines]) => deps.bucket.put(stagingKey(day, name), `${lines.join('\n')}\n`, { ifNoneMatch: '*' })),
  );
  await Promise.all(quarantine.map(({ message, reason }) => quarantineBody(deps.bucket, { messageId: message.id, receivedAt, runId, reason, body: message.body })));
  if (quarantine.length > 0) deps.log.warn('quarantined malformed messages', { count: quarantine.length, reasons: quarantine.slice(0, 5).map((q) => q.reason) });
  return [...linesByDay.keys()];
}

/** A body kept out of the data, with why: `rejected/YYYY/MM/DD/<message id>.json`. */
export interface QuarantinedBody {
  readonly messageId: string;
  readonly receivedAt: Date;
  readonly reason: string;
  readonly body: string;
  /** The run that drained it. */
  readonly runId?: string;
  /** Where it came from when it never reached the queue (`events file x.ndjson, line 3`). */
  readonly source?: string;
}

/** Writes the quarantine record; the same body quarantined twice on a day is one record. */
export async function quarantineBody(bucket: ObjectStore, record: QuarantinedBody): Promise<string> {
  const key = rejectedKey(record.receivedAt, record.messageId);
  const { messageId, receivedAt, runId, source, reason, body } = record;
  const value = { messageId, receivedAt: receivedAt.toISOString(), ...(runId !== undefined ? { runId } : {}), ...(source !== undefined ? { source } : {}), reason, body };
  await bucket.put(key, `${JSON.stringify(value, null, 2)}\n`);
  return key;
}
