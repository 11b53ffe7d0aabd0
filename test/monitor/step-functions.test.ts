/**
 * The monitor Lambda's Step Functions path: the last execution from ListExecutions, why it
 * failed from DescribeExecution and the run's own record, and whether the execution holding the
 * lock still runs. Step Functions is a wire-level fake of its JSON protocol (answers and errors
 * as the service gives them); S3 and SQS are the in-process emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { monitor } from '../../functions/wiring/monitor.js';
import { logger } from '../../functions/wiring/lambda-deps.js';
import type { MetricPoint } from '../../functions/core/metrics.js';
import type { PipelineStatus } from '../../functions/monitor/status.js';
import { createPipelineQueues, startLocalAws, type LocalAws, type PipelineQueues } from '../../local/emulators/local-aws.js';
import { executionArn, StepFunctionsFake, type TerminalStatus } from '../support/aws-wire/step-functions.js';

const ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:usage-pipeline';
const BUCKET = 'usage-monitor';
const started = (minute: number) => new Date(Date.UTC(2025, 2, 2, 4, minute));

describe('the monitor Lambda, with a state machine to ask', () => {
  let aws: LocalAws;
  let queues: PipelineQueues;
  let fake: StepFunctionsFake;
  let s3: S3Client;
  let sqs: SQSClient;
  let sfn: SFNClient | undefined;

  beforeAll(async () => {
    aws = await startLocalAws();
    queues = await createPipelineQueues(aws);
    s3 = new S3Client(aws.clientConfig());
    sqs = new SQSClient(aws.clientConfig());
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // The Lambda's logger would write a JSON line per check to the test's output.
    logger.setLogLevel('SILENT');
  });
  afterAll(async () => {
    logger.setLogLevel('INFO');
    s3.destroy();
    sqs.destroy();
    sfn?.destroy();
    await fake?.close();
    await aws.close();
  });
  beforeEach(async () => {
    // A fresh service for each test: its executions are the test's own.
    await fake?.close();
    fake = await StepFunctionsFake.start([ARN]);
    sfn?.destroy();
    sfn = new SFNClient({ endpoint: fake.url, region: 'us-west-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    for (const key of ['runs/run-3/failure.json', 'state/lock.json']) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  const execution = (name: string, status: 'RUNNING' | TerminalStatus, minute: number, outcome: { error?: string; cause?: string } = {}) =>
    fake.addExecution({ stateMachineArn: ARN, name, input: '{}', status, startDate: started(minute), outcome: status === 'RUNNING' ? { status: 'SUCCEEDED', runningPolls: Infinity } : { status, ...outcome } });

  /** One scheduled check, with the metrics it published and the calls it made to Step Functions. */
  async function check(stateMachineArn = ARN): Promise<{ status: PipelineStatus; metrics: Record<string, number>; calls: Array<[string, Record<string, unknown>]> }> {
    const points: MetricPoint[] = [];
    const status = await monitor(
      { BUCKET_NAME: BUCKET, QUEUE_URL: queues.queueUrl, DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl, STATE_MACHINE_ARN: stateMachineArn },
      { s3, sqs, sfn: sfn as SFNClient },
      { publish: (published) => void points.push(...published) },
    );
    return { status, metrics: Object.fromEntries(points.map((p) => [p.name, p.value])), calls: fake.calls.map((call) => [call.target, call.body]) };
  }

  it('reports the newest execution as the last run, asking for one execution only', async () => {
    execution('run-1', 'FAILED', 0, { error: 'PipelineRunFailed' });
    execution('run-2', 'SUCCEEDED', 10);
    const { status, metrics, calls } = await check();
    expect(status.lastRun).toEqual({ runId: 'run-2', status: 'SUCCEEDED', startedAt: '2025-03-02T04:10:00.000Z', finishedAt: '2025-03-02T04:10:04.250Z' });
    expect(metrics.LastRunFailed).toBe(0);
    expect(status.problems).not.toContainEqual(expect.stringContaining('last run'));
    // Signed for the states service, newest first, one item: no paging through the history.
    expect(calls).toEqual([['AWSStepFunctions.ListExecutions', { stateMachineArn: ARN, maxResults: 1 }]]);
    expect(fake.calls[0]).toMatchObject({ service: 'states', region: 'us-west-2', contentType: 'application/x-amz-json-1.0', status: 200 });
  });

  it('says why the last run failed in the run record\'s words, and counts it for the alarm', async () => {
    execution('run-2', 'SUCCEEDED', 10);
    const failed = execution('run-3', 'FAILED', 20, { error: 'PipelineRunFailed', cause: 'A step failed; the run record under runs/<run id>/failure.json in the bucket says which and why.' });
    const record = { runId: 'run-3', error: 'StorageError', cause: { errorType: 'StorageError', errorMessage: 'S3 GetObject s3://usage-monitor/events/prod/20250301 failed: AccessDenied (HTTP 403): Access Denied' }, failedAt: '2025-03-02T04:20:04.000Z' };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/run-3/failure.json', Body: JSON.stringify(record) }));
    const { status, metrics, calls } = await check();
    const error = 'StorageError: S3 GetObject s3://usage-monitor/events/prod/20250301 failed: AccessDenied (HTTP 403): Access Denied';
    expect(status.lastRun).toEqual({ runId: 'run-3', status: 'FAILED', startedAt: '2025-03-02T04:20:00.000Z', finishedAt: '2025-03-02T04:20:04.250Z', error });
    expect(status.problems).toContain(`the last run (run-3) failed: ${error}`);
    expect(metrics.LastRunFailed).toBe(1);
    expect(calls).toEqual([
      ['AWSStepFunctions.ListExecutions', { stateMachineArn: ARN, maxResults: 1 }],
      ['AWSStepFunctions.DescribeExecution', { executionArn: failed.executionArn }],
    ]);
  });

  it('falls back on the execution\'s own error and cause when the run left no record', async () => {
    execution('run-4', 'FAILED', 30, { error: 'States.Runtime', cause: 'An error occurred while executing the state \'BeginRun\'.' });
    const { status } = await check();
    expect(status.lastRun).toMatchObject({ runId: 'run-4', status: 'FAILED', error: 'States.Runtime: An error occurred while executing the state \'BeginRun\'.' });
    expect(status.problems).toContain('the last run (run-4) failed: States.Runtime: An error occurred while executing the state \'BeginRun\'.');
  });

  it('names a timed-out or aborted run, and leaves a running one alone', async () => {
    execution('run-5', 'TIMED_OUT', 40);
    expect((await check()).status.problems).toContain('the last run (run-5) timed out');
    execution('run-6', 'ABORTED', 50);
    expect((await check()).status.problems).toContain('the last run (run-6) aborted');
    execution('run-7', 'RUNNING', 55);
    const running = await check();
    expect(running.status.lastRun).toEqual({ runId: 'run-7', status: 'RUNNING', startedAt: '2025-03-02T04:55:00.000Z' });
    expect(running.metrics.LastRunFailed).toBe(0);
  });

  it('has no last run before the first execution, and no LastRunFailed metric', async () => {
    const { status, metrics } = await check();
    expect(status.lastRun).toBeNull();
    expect(metrics).not.toHaveProperty('LastRunFailed');
  });

  it('asks Step Functions whether the execution holding the lock still runs', async () => {
    const holder = execution('run-8', 'RUNNING', 58);
    const lock = { runId: 'run-8', acquiredAt: '2025-03-02T04:58:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z', holder: { kind: 'execution', executionArn: holder.executionArn } };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'state/lock.json', Body: JSON.stringify(lock) }));
    const live = await check();
    expect(live.status.lock).toMatchObject({ runId: 'run-8', holder: `execution ${holder.executionArn}`, stale: null });
    expect(live.calls).toContainEqual(['AWSStepFunctions.DescribeExecution', { executionArn: holder.executionArn }]);

    // The execution failed without releasing the lock: the next run takes it over at once.
    holder.status = 'FAILED';
    holder.stopDate = started(59);
    const stale = await check();
    expect(stale.status.lock?.stale).toBe(`its holder (execution ${holder.executionArn}) is gone`);
    expect(stale.status.problems).toContain(
      `a stale lock of run run-8 (execution ${holder.executionArn}) since 2025-03-02T04:58:00.000Z: its holder (execution ${holder.executionArn}) is gone; the next run takes it over`,
    );

    // An execution Step Functions does not know cannot be told gone: the lock waits to expire.
    const unknown = { ...lock, holder: { kind: 'execution', executionArn: executionArn(ARN, 'never-started') } };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'state/lock.json', Body: JSON.stringify(unknown) }));
    expect((await check()).status.lock?.stale).toBeNull();
    expect(fake.calls).toContainEqual(expect.objectContaining({ target: 'AWSStepFunctions.DescribeExecution', body: { executionArn: unknown.holder.executionArn }, status: 400 }));
  });

  it('fails loudly, with the service\'s error, when the state machine it is given does not exist', async () => {
    const missing = `${ARN}-gone`;
    await expect(check(missing)).rejects.toMatchObject({ name: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${missing}'` });
  });
});
