import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { SQSClient } from '@aws-sdk/client-sqs';
import { thisProcessHolder } from '../../functions/adapters/lock-holders.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import { LockHeldError } from '../../local/runner/run-lock.js';
import { localStatusSources } from '../../local/status-sources.js';
import { checkStatus } from '../../functions/monitor/status.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { createPipelineQueues, publishMessages, startLocalAws, type LocalAws, type PipelineQueues } from '../../local/emulators/local-aws.js';
import { runEmbedded } from '../../local/runner/embedded.js';
import { CHECKPOINTS, type CheckpointName } from '../../functions/pipeline/deps.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import { STATE_OF_STEP } from '../../workflows/pipeline.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { bucketKeys, commitsOnBranch, fileOnBranch, fixtureMessages } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';
import { waitFor } from '../support/wait.js';

/** How long a received but undeleted message stays hidden in these tests. */
const VISIBILITY_SECONDS = 2;

/** The step each checkpoint is in, by the checkpoint's prefix. */
function stepOf(checkpoint: CheckpointName): PipelineStep {
  const prefix = checkpoint.slice(0, checkpoint.indexOf(':'));
  const steps: Record<string, PipelineStep> = { merge: 'merge-month', build: 'build-month' };
  return steps[prefix] ?? (prefix as PipelineStep);
}

class SimulatedCrash extends Error {
  constructor(point: string) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

describeWithFixtures('fault injection: a run that crashes anywhere loses and duplicates nothing', () => {
  it('has crash points in every step of the state machine', () => {
    expect([...new Set(CHECKPOINTS.map(stepOf))].sort()).toEqual([...PIPELINE_STEPS].sort());
  });

  let messages: string[];
  let expectedDaily: Buffer;
  let expectedShard: Buffer;
  const emulators: LocalAws[] = [];

  beforeAll(async () => {
    messages = await fixtureMessages();
    expectedDaily = await fs.readFile(fixture('futel-2025-03', 'input', 'events', 'prod', '20250301'));
    expectedShard = await fs.readFile(fixture('futel-2025-03', 'expected', 'data', 'date', '2025', '03', '20250301.json'));
  });
  afterAll(async () => {
    await Promise.all(emulators.map((aws) => aws.close()));
  });

  async function freshMessaging(): Promise<{ aws: LocalAws; queues: PipelineQueues }> {
    const aws = await startLocalAws();
    emulators.push(aws);
    const queues = await createPipelineQueues(aws, { visibilityTimeoutSeconds: VISIBILITY_SECONDS });
    await publishMessages(aws, queues.topicArn, messages);
    return { aws, queues };
  }

  /**
   * Whether every message received but not deleted has reached the end of its visibility
   * timeout, by the emulator's own inspection endpoint (its queue attributes count a message as
   * in flight until the next receive looks).
   */
  async function allVisible({ aws, queues }: { aws: LocalAws; queues: PipelineQueues }): Promise<boolean> {
    const name = queues.queueUrl.slice(queues.queueUrl.lastIndexOf('/') + 1);
    const response = await fetch(`${aws.endpoint}/_fauxqs/queues/${name}`);
    const { messages } = (await response.json()) as { messages: { inflight: Array<{ visibilityDeadline: number }> } };
    return messages.inflight.every((message) => message.visibilityDeadline <= Date.now());
  }

  async function expectExactlyTheRealData(home: string, messaging: { aws: LocalAws; queues: PipelineQueues }): Promise<void> {
    const bucket = path.join(home, 'bucket');
    const daily = await fs.readFile(path.join(bucket, 'events', 'prod', '20250301'));
    // Same bytes as the drainer's object: every event once, none twice, none lost.
    expect(daily.equals(expectedDaily)).toBe(true);
    expect((await fileOnBranch(path.join(home, 'site'), 'data/date/2025/03/20250301.json')).equals(expectedShard)).toBe(true);
    expect(await bucketKeys(bucket, 'staging')).toEqual([]);
    expect(await bucketKeys(bucket, 'state')).toEqual([]);
    expect(await bucketKeys(bucket, 'rejected')).toHaveLength(3);
    // Nothing left to deliver, nothing dead-lettered.
    const again = await runEmbedded({ home, messaging });
    expect(again).toMatchObject({ status: 'SUCCEEDED', received: 0, commit: null, queue: { remaining: 0, deadLetters: 0 } });
    expect(await commitsOnBranch(path.join(home, 'site'))).toHaveLength(1);
  }

  it.each(CHECKPOINTS.map((point) => [point]))('crash at %s, then run again', async (point: CheckpointName) => {
    const home = await tempDir();
    const messaging = await freshMessaging();
    // RecordFailure runs only for a run that failed: make one fail first.
    const crashes: CheckpointName[] = point.startsWith('record-failure:') ? ['merge:after-write', point] : [point];
    const failures: Array<{ state: string; error: string; cause: string }> = [];
    const crashed = await runEmbedded({
      home,
      messaging,
      checkpoint: async (name) => {
        if (crashes.includes(name)) throw new SimulatedCrash(name);
      },
      onTaskFailure: (state, error, cause) => failures.push({ state, error, cause }),
    });
    expect(crashed.status).toBe('FAILED');
    // The state machine saw each crash, as the step's failure, where it happened.
    expect(failures).toEqual(crashes.map((name) => ({ state: STATE_OF_STEP[stepOf(name)], error: 'SimulatedCrash', cause: `simulated crash at ${name}` })));
    // Messages received but not deleted come back once their visibility timeout ends.
    if (point === 'drain:after-stage') await waitFor('the undeleted messages to be visible again', () => allVisible(messaging));
    const recovered = await runEmbedded({ home, messaging });
    expect(recovered.status).toBe('SUCCEEDED');
    await expectExactlyTheRealData(home, messaging);
  });
});

describeWithFixtures('one run at a time', () => {
  it('makes a second run started together wait for the first, so both finish and nothing doubles', async () => {
    const home = await tempDir();
    await LocalGitPublisher.open(path.join(home, 'site'));
    const aws = await startLocalAws();
    try {
      const queues = await createPipelineQueues(aws, { visibilityTimeoutSeconds: 30 });
      await publishMessages(aws, queues.topicArn, await fixtureMessages());
      let waited = 0;
      const reports = await Promise.all([
        runEmbedded({ home, messaging: { aws, queues }, executionName: 'first', onLockWait: () => waited++ }),
        runEmbedded({ home, messaging: { aws, queues }, executionName: 'second', onLockWait: () => waited++ }),
      ]);
      expect(waited).toBe(1);
      expect(reports.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(reports.map((r) => r.received).sort((a, b) => a - b)).toEqual([0, 2654]);
      const daily = await fs.readFile(path.join(home, 'bucket', 'events', 'prod', '20250301'));
      expect(daily.equals(await fs.readFile(fixture('futel-2025-03', 'input', 'events', 'prod', '20250301')))).toBe(true);
      expect(await commitsOnBranch(path.join(home, 'site'))).toHaveLength(1);
    } finally {
      await aws.close();
    }
  });

  it('refuses before sending anything when another run holds the lock for the whole wait, and keeps the events', async () => {
    const home = await tempDir();
    await writeLock(home, { runId: 'elsewhere', acquiredAt: '2025-03-01T00:00:00.000Z', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), holder: { kind: 'process', host: 'another-machine', pid: 1, processStart: null } });
    const aws = await startLocalAws();
    try {
      const queues = await createPipelineQueues(aws, { visibilityTimeoutSeconds: 30 });
      const refused = await runEmbedded({ home, messaging: { aws, queues }, messages: await fixtureMessages(), lockWaitSeconds: 0 }).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(LockHeldError);
      expect((refused as Error).message).toBe(
        'another run holds the lock: run elsewhere (process 1 on another-machine), since 2025-03-01T00:00:00.000Z; nothing was sent or changed. Run again when it has finished (usage-pipeline status shows the lock)',
      );
      // Nothing was sent, so nothing can be lost with this process's queue.
      const depth = await new SqsMessageQueue({ client: new SQSClient(aws.clientConfig()), queueUrl: queues.queueUrl }).depth();
      expect(depth).toEqual({ visible: 0, inFlight: 0 });
      expect(JSON.parse(await fs.readFile(path.join(home, 'bucket', 'state', 'lock.json'), 'utf8')).runId).toBe('elsewhere');
    } finally {
      await aws.close();
    }
  });

  it('takes over at once the lock of a run whose process is gone, and leaves a live one alone', async () => {
    const home = await tempDir();
    await fs.mkdir(path.join(home, 'bucket', 'events', 'prod'), { recursive: true });
    await fs.writeFile(path.join(home, 'bucket', 'events', 'prod', '20250301'), '{"timestamp": "2025-03-01T00:00:00+00:00", "channel": "655", "endpoint": "655", "event": "ivr"}\n');
    const unexpired = new Date(Date.now() + 3_600_000).toISOString();
    // A live holder on this machine (this very process): the lock stands.
    await writeLock(home, { runId: 'live-run', acquiredAt: '2025-03-01T00:00:00.000Z', expiresAt: unexpired, holder: thisProcessHolder() });
    await expect(runEmbedded({ home, day: '2025-03-01', lockWaitSeconds: 0 })).rejects.toThrow(/run live-run \(process \d+ on /);
    const status = await checkStatus(localStatusSources(home));
    expect(status.lock).toMatchObject({ runId: 'live-run', stale: null });
    // A process that has exited: provably gone, though the lock has an hour to run.
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']);
    await writeLock(home, { runId: 'crashed-run', acquiredAt: '2025-03-01T00:00:00.000Z', expiresAt: unexpired, holder: { kind: 'process', host: os.hostname(), pid: dead.pid as number, processStart: null } });
    const stale = await checkStatus(localStatusSources(home));
    expect(stale.lock?.stale).toBe(`its holder (process ${dead.pid} on ${os.hostname()}) is gone`);
    expect(stale.problems).toContain(`a stale lock of run crashed-run (process ${dead.pid} on ${os.hostname()}) since 2025-03-01T00:00:00.000Z: its holder (process ${dead.pid} on ${os.hostname()}) is gone; the next run takes it over`);
    const report = await runEmbedded({ home, day: '2025-03-01', lockWaitSeconds: 0 });
    expect(report).toMatchObject({ status: 'SUCCEEDED', daysBuilt: 1 });
    expect(await bucketKeys(path.join(home, 'bucket'), 'state')).toEqual([]);
    // An expired lock without a holder (written before holders were recorded) is taken over too.
    await writeLock(home, { runId: 'old-run', acquiredAt: '2025-03-01T00:00:00.000Z', expiresAt: '2025-03-01T01:00:00.000Z' });
    expect(await runEmbedded({ home, day: '2025-03-01', lockWaitSeconds: 0 })).toMatchObject({ status: 'SUCCEEDED' });
  });
});

async function writeLock(home: string, lock: Record<string, unknown>): Promise<void> {
  const state = path.join(home, 'bucket', 'state');
  await fs.mkdir(state, { recursive: true });
  await fs.writeFile(path.join(state, 'lock.json'), JSON.stringify(lock));
}
