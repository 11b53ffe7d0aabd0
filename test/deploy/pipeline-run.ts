/**
 * The pipeline's AWS adapters against a deployed stack: the real queue body fixture sent to the
 * deployed queue, drained and merged into the deployed bucket with real conditional writes, and
 * a merge that loses a race to a competing writer (moto answers 412, as S3 does).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import type { Day } from '../../functions/core/days.js';
import type { ObjectStore } from '../../functions/core/object-store.js';
import type { Publisher } from '../../functions/core/publisher.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import type { Log } from '../../functions/core/log.js';
import { noCheckpoints, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { drain, emptyTotals, type DrainTotals } from '../../functions/pipeline/drain.js';
import type { Clients } from './account.js';

/** SQS's batch limit. */
const BATCH = 10;

export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  const batches: string[][] = [];
  for (let start = 0; start < bodies.length; start += BATCH) batches.push(bodies.slice(start, start + BATCH));
  let next = 0;
  const sendAll = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const output = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, index) => ({ Id: String(index), MessageBody: body })) }));
      if ((output.Failed ?? []).length > 0) throw new Error(`SendMessageBatch refused ${JSON.stringify(output.Failed)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sendAll));
}

/** A log that keeps what it is told, to check what the pipeline noticed. */
export function recordingLog(): Log & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (message) => void warnings.push(message), error: (message) => void warnings.push(message) };
}

export function deployedDeps(clients: Clients, outputs: Record<string, string>, log: Log, bucket?: ObjectStore): PipelineDeps {
  const refuse = () => Promise.reject(new Error('the deploy test does not publish'));
  return {
    bucket: bucket ?? new S3ObjectStore({ client: clients.s3, bucket: outputs.bucket_name! }),
    queue: new SqsMessageQueue({ client: clients.sqs, queueUrl: outputs.queue_url! }),
    publisher: { target: 'none', publish: refuse, readFile: refuse } satisfies Publisher,
    // Long polling kept short (an empty queue answers after a second), and the whole fixture
    // staged as one chunk, so a message delivered twice (SQS delivers at least once, and moto's
    // concurrent receives do) is always counted as a duplicate rather than staged again.
    config: { ...DEFAULT_CONFIG, drain: { ...DEFAULT_CONFIG.drain, receiveWaitSeconds: 1, flushMessages: 10_000, maxMessages: 20_000 } },
    log,
    clock: () => new Date(),
    checkpoint: noCheckpoints,
  };
}

/** Drain invocations until the drain reports the queue empty, as the state machine loops it. */
export async function drainUntilEmpty(deps: PipelineDeps): Promise<{ totals: DrainTotals; days: Day[]; invocations: number }> {
  let totals = emptyTotals();
  const days = new Set<Day>();
  let iteration = 0;
  for (let more = true; more; ) {
    const output = await drain(deps, { runId: 'deploy-test', iteration, totals });
    ({ more, iteration, totals } = output);
    for (const day of output.days) days.add(day);
  }
  return { totals, days: [...days].sort(), invocations: iteration };
}

/**
 * The store as one merge sees it, with a competing writer that changes `key` right after the
 * merge's first read of it — so the merge's conditional write is the one that loses.
 */
export function withCompetingWriter(store: ObjectStore, key: string, compete: () => Promise<void>): ObjectStore {
  let raced = false;
  return {
    location: store.location,
    head: (k) => store.head(k),
    put: (k, body, conditions) => store.put(k, body, conditions),
    delete: (k) => store.delete(k),
    list: (prefix) => store.list(prefix),
    get: async (k) => {
      const object = await store.get(k);
      if (k === key && !raced) {
        raced = true;
        await compete();
      }
      return object;
    },
  };
}
