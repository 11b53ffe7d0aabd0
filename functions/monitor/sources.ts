/** Where `status` and the monitor read their facts: the local home, or AWS and GitHub. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { FsObjectStore } from '../adapters/fs-object-store.js';
import { executionLockHolders, processLockHolders } from '../adapters/lock-holders.js';
import { LocalGitPublisher } from '../adapters/git-publisher.js';
import { listAll, type ObjectStore } from '../core/object-store.js';
import type { Publisher } from '../core/publisher.js';
import type { MessageQueue } from '../core/queue.js';
import { LAST_UPDATED_FILE } from '../core/site-paths.js';
import { RUNS_PREFIX, SITE_DATA_PREFIX } from '../pipeline/bucket-layout.js';
import { inspectLock } from '../pipeline/lock.js';
import { readPending } from '../pipeline/pending.js';
import { unknownLockHolders } from '../core/lock-holder.js';
import type { LastRun, StatusSources } from './status.js';

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : null);

/** The latest run recorded in the bucket: its report, its failure, or neither yet (running). */
export async function lastRunInBucket(bucket: ObjectStore): Promise<LastRun | null> {
  const records = await listAll(bucket, RUNS_PREFIX);
  if (records.length === 0) return null;
  const latest = records.reduce((a, b) => (b.lastModified > a.lastModified ? b : a));
  const runId = latest.key.slice(RUNS_PREFIX.length).split('/')[0] as string;
  const ofRun = new Set(records.filter((r) => r.key.startsWith(`${RUNS_PREFIX}${runId}/`)).map((r) => r.key));
  // A record that cannot be read still says how the run ended; what is wrong with it is a problem to report.
  let problem: string | undefined;
  const read = async (name: string) => {
    const key = `${RUNS_PREFIX}${runId}/${name}`;
    const object = await bucket.get(key);
    if (!object) return null;
    try {
      const value: unknown = JSON.parse(Buffer.from(object.body).toString('utf8'));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      problem = `the run record ${bucket.location}/${key} is corrupt: not a JSON object`;
    } catch (error) {
      problem = `the run record ${bucket.location}/${key} is corrupt: not valid JSON (${(error as Error).message})`;
    }
    return null;
  };
  if (ofRun.has(`${RUNS_PREFIX}${runId}/report.json`)) {
    const report = await read('report.json');
    return { runId, status: 'SUCCEEDED', ...(typeof report?.finishedAt === 'string' ? { finishedAt: report.finishedAt } : {}), ...(problem ? { problem } : {}) };
  }
  if (ofRun.has(`${RUNS_PREFIX}${runId}/failure.json`)) {
    const failure = await read('failure.json');
    const cause = failure?.cause as { errorMessage?: string } | string | undefined;
    const message = typeof cause === 'string' ? cause : cause?.errorMessage;
    return {
      runId,
      status: 'FAILED',
      ...(typeof failure?.failedAt === 'string' ? { finishedAt: failure.failedAt } : {}),
      error: [failure?.error, message].filter(Boolean).join(': '),
      ...(problem ? { problem } : {}),
    };
  }
  return { runId, status: 'RUNNING' };
}

async function backlogIn(bucket: ObjectStore): Promise<number> {
  const pending = await readPending({ bucket });
  return pending.written.length + pending.deleted.length;
}

/** The embedded default's home: the published branch in HOME/site, run records in HOME/bucket. */
export function localStatusSources(home: string): StatusSources {
  const bucket = new FsObjectStore(path.join(home, 'bucket'));
  return {
    async lastUpdated() {
      const site = path.join(home, 'site');
      if (!(await fs.stat(site).then(() => true, () => false))) return null;
      return text(await (await LocalGitPublisher.open(site)).readFile(`data/${LAST_UPDATED_FILE}`));
    },
    lastRun: () => lastRunInBucket(bucket),
    lock: (now) => inspectLock(bucket, processLockHolders, now),
    publishBacklog: () => backlogIn(bucket),
  };
}

export interface AwsSourceOptions {
  readonly bucket: ObjectStore;
  readonly queue?: MessageQueue;
  readonly deadLetters?: MessageQueue;
  readonly stepFunctions?: { readonly client: SFNClient; readonly stateMachineArn: string };
  /** When given, freshness is read from the published branch itself, not the bucket's copy. */
  readonly publisher?: Publisher;
}

export function awsStatusSources(options: AwsSourceOptions): StatusSources {
  return {
    async lastUpdated() {
      if (options.publisher) return text(await options.publisher.readFile(`data/${LAST_UPDATED_FILE}`));
      return text((await options.bucket.get(`${SITE_DATA_PREFIX}${LAST_UPDATED_FILE}`))?.body);
    },
    ...(options.queue ? { queueDepth: () => (options.queue as MessageQueue).depth() } : {}),
    ...(options.deadLetters ? { deadLetterDepth: () => (options.deadLetters as MessageQueue).depth() } : {}),
    lock: (now) =>
      inspectLock(options.bucket, options.stepFunctions ? executionLockHolders(options.stepFunctions.client, () => undefined) : unknownLockHolders, now),
    publishBacklog: () => backlogIn(options.bucket),
    async lastRun() {
      if (!options.stepFunctions) return lastRunInBucket(options.bucket);
      const { client, stateMachineArn } = options.stepFunctions;
      const { executions = [] } = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
      const latest = executions[0];
      if (!latest?.executionArn) return null;
      const run: LastRun = {
        runId: latest.name ?? latest.executionArn,
        status: (latest.status ?? 'RUNNING') as LastRun['status'],
        ...(latest.startDate ? { startedAt: latest.startDate.toISOString() } : {}),
        ...(latest.stopDate ? { finishedAt: latest.stopDate.toISOString() } : {}),
      };
      if (run.status !== 'FAILED') return run;
      const described = await client.send(new DescribeExecutionCommand({ executionArn: latest.executionArn }));
      // The state machine's failure points at the run record; that holds the real reason.
      const recorded = await lastRunInBucket(options.bucket).catch(() => null);
      const error = recorded?.runId === run.runId && recorded.error ? recorded.error : [described.error, described.cause].filter(Boolean).join(': ');
      return { ...run, ...(error ? { error } : {}) };
    },
  };
}
