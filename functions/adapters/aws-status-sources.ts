/** Where the monitor Lambda and `status --bucket …` read their facts: the bucket, SQS, Step Functions and GitHub. */
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { unknownLockHolders } from '../core/lock-holder.js';
import type { ObjectStore } from '../core/object-store.js';
import type { Publisher } from '../core/publisher.js';
import type { MessageQueue } from '../core/queue.js';
import { branchDataPath, LAST_UPDATED_FILE } from '../core/site-paths.js';
import { lastRunInBucket, lastUpdatedInBucket, publishBacklogIn, utf8OrNull } from '../monitor/bucket-facts.js';
import type { LastRun, StatusSources } from '../monitor/status.js';
import { inspectLock } from '../pipeline/lock.js';
import { executionLockHolders } from './lock-holders.js';

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
      if (options.publisher) return utf8OrNull(await options.publisher.readFile(branchDataPath(LAST_UPDATED_FILE)));
      return lastUpdatedInBucket(options.bucket);
    },
    ...(options.queue ? { queueDepth: () => (options.queue as MessageQueue).depth() } : {}),
    ...(options.deadLetters ? { deadLetterDepth: () => (options.deadLetters as MessageQueue).depth() } : {}),
    lock: (now) =>
      inspectLock(options.bucket, options.stepFunctions ? executionLockHolders(options.stepFunctions.client, () => undefined) : unknownLockHolders, now),
    publishBacklog: () => publishBacklogIn(options.bucket),
    lastRun: () => (options.stepFunctions ? lastExecution(options.bucket, options.stepFunctions) : lastRunInBucket(options.bucket)),
  };
}

async function lastExecution(bucket: ObjectStore, { client, stateMachineArn }: { client: SFNClient; stateMachineArn: string }): Promise<LastRun | null> {
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
  const recorded = await lastRunInBucket(bucket).catch(() => null);
  const error = recorded?.runId === run.runId && recorded.error ? recorded.error : [described.error, described.cause].filter(Boolean).join(': ');
  return { ...run, ...(error ? { error } : {}) };
}
