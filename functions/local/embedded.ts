/**
 * The embedded default: the whole pipeline on this machine with no AWS account and no GitHub.
 * An in-process AWS emulator carries SNS → SQS (with its dead-letter queue), the bucket is a
 * directory (`HOME/bucket`), the branch is `gh-pages` in a git repository (`HOME/site`), and the
 * deployed state machine definition runs with every Task in this process.
 */
import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FsObjectStore } from '../adapters/fs-object-store.js';
import { LocalGitPublisher } from '../adapters/git-publisher.js';
import { GitHubPublisher } from '../adapters/github-publisher.js';
import { SqsMessageQueue } from '../adapters/sqs-queue.js';
import { buildChartsFiles } from '../charts/build.js';
import { GitHubEmulator } from '../emulators/github-server.js';
import { prepareHome } from './home.js';
import { createPipelineQueues, publishMessages, sendBodies, startLocalAws, type LocalAws, type PipelineQueues } from '../emulators/local-aws.js';
import { STEPS } from '../handlers/steps.js';
import type { StepHandler } from '../handlers/step.js';
import { DEFAULT_CONFIG, type PipelineConfig } from '../pipeline/config.js';
import { noCheckpoints, silentLog, type CheckpointName, type Log, type PipelineDeps } from '../pipeline/deps.js';
import type { RunReport } from '../pipeline/report.js';
import { readRunRecord } from '../pipeline/run.js';
import { drainedTotals } from '../pipeline/drain.js';
import type { ObjectStore } from '../core/object-store.js';
import type { Publisher } from '../core/publisher.js';
import type { MessageQueue } from '../core/queue.js';
import { runPipelineLocally } from '../../workflows/local-runner.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../workflows/pipeline.js';

export interface EmbeddedOptions {
  readonly home: string;
  /** SNS messages to publish before the run (none for a re-run). */
  readonly messages?: readonly string[];
  /** Recorded SQS bodies (SNS envelopes) to put on the queue unchanged before the run. */
  readonly bodies?: readonly string[];
  /** Re-run exactly this day (`YYYY-MM-DD`) without touching the queue. */
  readonly day?: string;
  /** `git`: commit to HOME/site directly; `github`: through the GitHub API, served locally over HOME/site. */
  readonly publish?: 'git' | 'github';
  readonly config?: Partial<PipelineConfig>;
  readonly log?: Log;
  readonly onState?: (state: string) => void;
  readonly onPayload?: (state: string, bytes: number) => void;
  /** Fault injection for tests; a no-op otherwise. */
  readonly checkpoint?: (name: CheckpointName) => Promise<void>;
  readonly executionName?: string;
  /**
   * An emulator and queues that outlive this run (tests that crash a run and start another
   * against the same queue); by default each run starts its own and stops it at the end.
   */
  readonly messaging?: { readonly aws: LocalAws; readonly queues: PipelineQueues };
  /** Wraps the bucket (tests inject storage faults at the adapter boundary). */
  readonly wrapBucket?: (bucket: ObjectStore) => ObjectStore;
}

export interface EmbeddedReport extends Omit<RunReport, 'finishedAt'> {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  readonly failure?: { readonly error: string; readonly cause: unknown };
  /** Messages left in the queue and its dead-letter queue after the run. */
  readonly queue: { readonly remaining: number; readonly deadLetters: number } | null;
  readonly bucket: string;
  readonly site: string;
}

export async function runEmbedded(options: EmbeddedOptions): Promise<EmbeddedReport> {
  const paths = await prepareHome(options.home);
  const rerun = options.day !== undefined;
  const ownAws = rerun || options.messaging ? null : await startLocalAws();
  const aws = rerun ? null : (options.messaging?.aws ?? ownAws);
  const githubToken = randomBytes(16).toString('hex');
  // The repository must exist as the local publisher makes it (with a work tree) before the
  // emulator opens it, or the emulator would create a bare one.
  if (options.publish === 'github') await LocalGitPublisher.open(paths.site);
  const github = options.publish === 'github' ? await GitHubEmulator.start({ repoDir: paths.site, owner: 'futel', repo: 'usage', token: githubToken }) : null;
  try {
    const localPublisher = await LocalGitPublisher.open(paths.site);
    const publisher: Publisher = github
      ? new GitHubPublisher({ owner: 'futel', repo: 'usage', branch: 'gh-pages', baseUrl: github.url, token: githubToken })
      : localPublisher;
    let queue: MessageQueue | undefined;
    let deadLetters: SqsMessageQueue | undefined;
    let sqs: SQSClient | undefined;
    if (aws) {
      const queues = options.messaging?.queues ?? (await createPipelineQueues(aws, { visibilityTimeoutSeconds: 60 }));
      sqs = new SQSClient(aws.clientConfig());
      queue = new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl });
      deadLetters = new SqsMessageQueue({ client: sqs, queueUrl: queues.deadLetterQueueUrl });
      if (options.messages && options.messages.length > 0) await publishMessages(aws, queues.topicArn, options.messages);
      if (options.bodies && options.bodies.length > 0) await sendBodies(aws, queues.queueUrl, options.bodies);
    }
    const deps: PipelineDeps = {
      bucket: options.wrapBucket ? options.wrapBucket(new FsObjectStore(paths.bucket)) : new FsObjectStore(paths.bucket),
      ...(queue ? { queue } : {}),
      publisher,
      config: { ...DEFAULT_CONFIG, ...options.config, drain: { ...DEFAULT_CONFIG.drain, receiveWaitSeconds: 0, ...options.config?.drain } },
      log: options.log ?? silentLog,
      clock: () => new Date(),
      checkpoint: options.checkpoint ?? noCheckpoints,
      chartsFiles: buildChartsFiles,
    };
    const provide = async () => deps;
    const handlers = Object.fromEntries(PIPELINE_STEPS.map((step) => [step, STEPS[step](provide)])) as Record<PipelineStep, StepHandler<unknown>>;
    const executionName = options.executionName ?? `local-${new Date().toISOString().replace(/[:.]/g, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
    const input = rerun ? { day: options.day } : {};
    const result = await runPipelineLocally({
      handlers,
      input,
      executionName,
      ...(options.onState ? { onState: options.onState } : {}),
      ...(options.onPayload ? { onPayload: options.onPayload } : {}),
    });
    // Through the API the branch moves without its work tree; bring the files up to date.
    if (github) await localPublisher.syncWorkTree();
    const queueState = queue && deadLetters ? { remaining: await total(queue), deadLetters: await total(deadLetters) } : null;
    sqs?.destroy();
    const base = { queue: queueState, bucket: paths.bucket, site: paths.site };
    if (result.status === 'SUCCEEDED') {
      const report = result.output as RunReport | null;
      if (!report || typeof report !== 'object' || !('runId' in report)) return { ...emptyReport(executionName), ...base, status: 'SKIPPED' };
      const { finishedAt: _finishedAt, ...rest } = report;
      return { ...rest, ...base, status: 'SUCCEEDED' };
    }
    const failure = await readRunRecord<{ error: string; cause: unknown }>(deps, executionName, 'failure.json').catch(() => null);
    const drained = await drainedTotals(deps, executionName);
    const counts = drained ? { received: drained.received, kept: drained.kept, dropped: drained.dropped, malformed: drained.malformed } : {};
    const unrecorded = { error: result.error, cause: `the run failed, and its failure record (runs/${executionName}/failure.json in ${paths.bucket}) could not be written` };
    return { ...emptyReport(executionName), ...counts, ...base, status: 'FAILED', failure: failure ?? unrecorded };
  } finally {
    await github?.close();
    await ownAws?.close();
  }
}

async function total(queue: MessageQueue): Promise<number> {
  const { visible, inFlight } = await queue.depth();
  return visible + inFlight;
}

function emptyReport(runId: string): Omit<RunReport, 'finishedAt'> {
  return { runId, mode: 'scheduled', received: 0, kept: 0, dropped: { hostname: 0, channel: 0, event: 0 }, malformed: 0, daysMerged: 0, daysBuilt: 0, rejectedLines: 0, filesPublished: 0, commit: null };
}

export type { LocalAws };
