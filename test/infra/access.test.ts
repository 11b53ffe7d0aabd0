/**
 * The IAM policies are derived from functions/config/functions.ts; this proves that catalogue against the
 * code. The real pipeline runs locally (the deployed definition, the real step handlers) with
 * each step given only what its Lambda gets in AWS: a bucket that refuses every key outside the
 * patterns its role is granted, a queue only for the drain, and a GitHub publisher only for the
 * steps that may read the token. The monitor's sources are checked the same way.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import type { Body, ObjectInfo, ObjectStore, ObjectWriter, PutConditions, StoredObject } from '../../functions/core/object-store.js';
import type { Publisher } from '../../functions/core/publisher.js';
import type { MessageQueue, QueueMessage } from '../../functions/core/queue.js';
import { STEPS } from '../../functions/handlers/steps.js';
import type { StepHandler } from '../../functions/handlers/step.js';
import { generateMessages } from '../../local/generate.js';
import { awsStatusSources } from '../../functions/adapters/aws-status-sources.js';
import { checkStatus } from '../../functions/monitor/status.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import { noCheckpoints, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { silentLog } from '../../functions/core/log.js';
import { FUNCTION_SPECS, type FunctionSpec, PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import { runPipelineLocally } from '../../local/runner/state-machine.js';
import { InProcessStepExecutor } from '../../local/runner/in-process-executor.js';
import { pipelineFunctionLimits } from '../../local/runner/function-limits.js';
import { tempDir } from '../support/temp.js';

type Operation = 'read' | 'write' | 'delete' | 'list';

/** IAM's `*` (any characters, `/` included) as a regular expression. */
function matches(pattern: string, key: string): boolean {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(key);
}

class AccessLog {
  readonly violations: string[] = [];
  readonly used = new Set<string>();

  check(spec: FunctionSpec, operation: Operation, key: string): void {
    const access = spec.bucket ?? {};
    const allowed =
      operation === 'list'
        ? // s3:ListBucket is granted for the bucket; the catalogue names the prefixes listed.
          (access.list ?? []).some((prefix) => key.startsWith(prefix))
        : (access[operation] ?? []).some((pattern) => matches(pattern, key));
    this.used.add(`${spec.name} ${operation}`);
    if (!allowed) this.violations.push(`${spec.name}: ${operation} ${key}`);
  }
}

/** The bucket as one function's role sees it. */
function guardedBucket(store: ObjectStore, spec: FunctionSpec, log: AccessLog): ObjectStore {
  const guarded: ObjectStore = {
    location: store.location,
    get: (key: string): Promise<StoredObject | null> => (log.check(spec, 'read', key), store.get(key)),
    head: (key: string): Promise<ObjectInfo | null> => (log.check(spec, 'read', key), store.head(key)),
    put: (key: string, body: Body, conditions?: PutConditions) => (log.check(spec, 'write', key), store.put(key, body, conditions)),
    delete: (key: string) => (log.check(spec, 'delete', key), store.delete(key)),
    list: (prefix: string) => (log.check(spec, 'list', prefix), store.list(prefix)),
  };
  if (store.openWrite) {
    const openWrite = store.openWrite.bind(store);
    // Commits compare with the stored object (a HEAD), then write.
    guarded.openWrite = (key: string): Promise<ObjectWriter> => (log.check(spec, 'read', key), log.check(spec, 'write', key), openWrite(key));
  }
  return guarded;
}

/** A function without the token secret cannot reach GitHub at all. */
function guardedPublisher(publisher: Publisher, spec: FunctionSpec, log: AccessLog): Publisher {
  if (spec.readsGithubToken) return publisher;
  const refuse = (what: string) => {
    log.violations.push(`${spec.name}: ${what} needs the GitHub token`);
    return Promise.reject(new Error(`${spec.name} has no GitHub token`));
  };
  return { target: publisher.target, readFile: () => refuse('readFile'), publish: () => refuse('publish') } as Publisher;
}

/** An in-memory queue of SNS envelopes, as SQS delivers them. */
class MemoryQueue implements MessageQueue {
  readonly name = 'memory';
  private readonly messages: QueueMessage[];

  constructor(bodies: readonly string[]) {
    this.messages = bodies.map((message, i) => ({
      id: `m-${i}`,
      receiptHandle: `r-${i}`,
      body: JSON.stringify({ Type: 'Notification', MessageId: `m-${i}`, TopicArn: 'arn:aws:sns:us-west-2:123456789012:events', Message: message, Timestamp: '2025-03-04T00:00:00.000Z' }),
    }));
  }

  async receive(max: number): Promise<QueueMessage[]> {
    return this.messages.splice(0, max);
  }

  async deleteBatch(messages: readonly QueueMessage[]) {
    return { deleted: messages.length, failed: [] };
  }

  async depth() {
    return { visible: this.messages.length, inFlight: 0 };
  }
}

const specOf = (name: string) => FUNCTION_SPECS.find((spec) => spec.name === name)!;

async function run(home: string, log: AccessLog, input: unknown, executionName: string, messages: readonly string[] = []) {
  const store = new FsObjectStore(path.join(home, 'bucket'));
  const publisher = await LocalGitPublisher.open(path.join(home, 'site'));
  const queue = new MemoryQueue(messages);
  const handlers = Object.fromEntries(
    PIPELINE_STEPS.map((step) => {
      const spec = specOf(step);
      const deps: PipelineDeps = {
        bucket: guardedBucket(store, spec, log),
        // In AWS only the drain is given QUEUE_URL.
        ...(spec.consumesQueue ? { queue } : {}),
        publisher: guardedPublisher(publisher, spec, log),
        config: { ...DEFAULT_CONFIG, layouts: ['date', 'summary', 'channel', 'event'], drain: { ...DEFAULT_CONFIG.drain, receiveWaitSeconds: 0 } },
        log: silentLog,
        clock: () => new Date(),
        checkpoint: noCheckpoints,
        chartsFiles: async () => new Map([['charts/index.html', Buffer.from('<!doctype html>')]]),
      };
      return [step, STEPS[step](async () => deps)];
    }),
  ) as Record<PipelineStep, StepHandler<unknown>>;
  return runPipelineLocally({
    executor: new InProcessStepExecutor(handlers, (step) => `usage-pipeline-${step}`),
    functionLimits: pipelineFunctionLimits(),
    input,
    executionName,
    retryIntervalMs: 10,
  });
}

describe('what each function touches, against what its role allows', () => {
  let home: string;
  const log = new AccessLog();

  beforeAll(async () => {
    home = await tempDir('usage-pipeline-access-');
  });

  it('holds for a scheduled run, a second run, a migration-style adoption, a re-run and a failed run', async () => {
    const statuses: Record<string, string> = {};
    const go = async (name: string, input: unknown, messages: readonly string[] = []) => {
      statuses[name] = (await run(home, log, input, name, messages)).status;
    };
    await go('run-1', {}, generateMessages({ count: 300, seed: 7, firstDay: '2025-03-01', days: 3 }));
    await go('run-2', {}, generateMessages({ count: 50, seed: 8, firstDay: '2025-03-03', days: 1 }));
    // Without its build state, the next run adopts the published branch's (the migration path).
    await fs.rm(path.join(home, 'bucket', 'site', 'data', 'updated_state.json'));
    await go('run-3', {});
    await go('rerun-1', { day: '2025-03-02' });
    await go('rebuild-1', { rebuild: 'all' });
    // A day with no daily object fails the run, through RecordFailure.
    await go('rerun-missing', { day: '2024-01-01' });

    expect(log.violations).toEqual([]);
    expect(statuses).toEqual({ 'run-1': 'SUCCEEDED', 'run-2': 'SUCCEEDED', 'run-3': 'SUCCEEDED', 'rerun-1': 'SUCCEEDED', 'rebuild-1': 'SUCCEEDED', 'rerun-missing': 'FAILED' });
    // Every step ran and used the bucket.
    for (const step of PIPELINE_STEPS) expect([...log.used].some((entry) => entry.startsWith(`${step} `))).toBe(true);
  });

  it('holds for the monitor\'s sources, with and without the branch', async () => {
    const spec = specOf('monitor');
    const store = guardedBucket(new FsObjectStore(path.join(home, 'bucket')), spec, log);
    const publisher = guardedPublisher(await LocalGitPublisher.open(path.join(home, 'site')), spec, log);
    const fromBranch = await checkStatus(awsStatusSources({ bucket: store, publisher }));
    const fromBucket = await checkStatus(awsStatusSources({ bucket: store }));
    expect(fromBranch.dataAgeSeconds).not.toBeNull();
    expect(fromBucket.dataAgeSeconds).not.toBeNull();
    expect(fromBucket.lastRun?.runId).toBe('rerun-missing');
    expect(log.violations).toEqual([]);
  });
});
