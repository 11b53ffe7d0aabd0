/**
 * `npm run bench:drain [-- --messages N]`: N messages through drain and merge against the
 * in-process AWS emulator (SNS → SQS, S3), counting every SQS and S3 call. Last line: one JSON
 * object with `messagesPerSecond`, `sqsCallsPer1000` and `s3Calls`.
 */
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createRequestStats } from '../../functions/adapters/aws-error.js';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import { createPipelineQueues, publishMessages, startLocalAws } from '../../local/emulators/local-aws.js';
import { generateMessages } from '../../local/generate.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import { noCheckpoints, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { silentLog } from '../../functions/core/log.js';
import { drain, emptyTotals, type DrainTotals } from '../../functions/pipeline/drain.js';
import { listStagedMonths, mergeMonth } from '../../functions/pipeline/merge.js';
import type { Publisher } from '../../functions/core/publisher.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '50000' } } });
const count = Number(values.messages);

const aws = await startLocalAws();
try {
  const queues = await createPipelineQueues(aws, { visibilityTimeoutSeconds: 300 });
  const s3 = new S3Client(aws.clientConfig());
  await s3.send(new CreateBucketCommand({ Bucket: 'logpublish' }));
  const messages = generateMessages({ count, seed: 7 });
  const loading = performance.now();
  await publishMessages(aws, queues.topicArn, messages);
  console.log(`published ${count.toLocaleString('en-US')} messages through SNS in ${((performance.now() - loading) / 1000).toFixed(1)} s (not timed below)`);

  const s3Stats = createRequestStats();
  const sqsStats = createRequestStats();
  const refuse = () => Promise.reject(new Error('the drain benchmark does not publish'));
  const deps: PipelineDeps = {
    bucket: new S3ObjectStore({ client: s3, bucket: 'logpublish', stats: s3Stats }),
    queue: new SqsMessageQueue({ client: new SQSClient(aws.clientConfig()), queueUrl: queues.queueUrl, stats: sqsStats }),
    publisher: { target: 'none', publish: refuse, readFile: refuse } as Publisher,
    config: { ...DEFAULT_CONFIG, drain: { ...DEFAULT_CONFIG.drain, receiveWaitSeconds: 0, maxMessages: 20_000 } },
    log: silentLog,
    clock: () => new Date(),
    checkpoint: noCheckpoints,
  };

  const started = performance.now();
  let totals: DrainTotals = emptyTotals();
  let iteration = 0;
  for (let more = true; more; ) {
    const output = await drain(deps, { runId: 'bench', iteration, totals });
    ({ more, iteration, totals } = output);
  }
  const drained = performance.now();
  const sqsCalls = sqsStats.requests;
  const staged = await listStagedMonths(deps);
  let added = 0;
  for (const month of staged.months) added += (await mergeMonth(deps, month)).added;
  const finished = performance.now();

  const seconds = (finished - started) / 1000;
  const result = {
    messages: totals.received,
    kept: totals.kept,
    linesAdded: added,
    days: staged.days,
    drainInvocations: iteration,
    drainSeconds: Number(((drained - started) / 1000).toFixed(2)),
    mergeSeconds: Number(((finished - drained) / 1000).toFixed(2)),
    messagesPerSecond: Math.round(totals.received / seconds),
    sqsCalls,
    sqsCallsPer1000: Number(((sqsCalls / totals.received) * 1000).toFixed(1)),
    s3Calls: s3Stats.requests,
    s3CallsByOperation: s3Stats.byOperation,
  };
  console.log(`drain: ${result.messages.toLocaleString('en-US')} messages in ${result.drainSeconds} s over ${iteration} invocations; merge: ${staged.days} days, ${added.toLocaleString('en-US')} lines in ${result.mergeSeconds} s`);
  console.log(`${result.messagesPerSecond.toLocaleString('en-US')} messages/s; ${sqsCalls} SQS calls (${result.sqsCallsPer1000} per 1,000 messages; the limit is 200: one receive and one batch delete per 10); ${result.s3Calls} S3 calls`);
  console.log('the old drainer, against the same emulator: about 240 messages/s and 1,100 requests per 1,000 messages (one delete each)');
  console.log(JSON.stringify(result));
} finally {
  await aws.close();
}
