/**
 * The embedded default: the whole pipeline on this machine with no AWS account and no GitHub.
 * An in-process AWS emulator carries SNS → SQS (with its dead-letter queue), the bucket is a
 * directory (`HOME/bucket`), the branch is `gh-pages` in a git repository (`HOME/site`), and the
 * deployed state machine definition runs locally, each Task in a process of its own held to its
 * Lambda's memory and timeout, under a Standard workflow's payload and history limits.
 */
import { randomBytes } from 'node:crypto';
import { GitHubEmulator } from '../emulators/github-server.js';
import type { GitHubRequestStats } from '../emulators/github/limits.js';
import { prepareHome } from './home.js';
import { createPipelineQueues, publishMessages, sendBodies, startLocalAws, type LocalAws, type LocalAwsClientConfig, type PipelineQueues } from '../emulators/local-aws.js';
import { STEPS } from '../../functions/handlers/steps.js';
import type { StepHandler } from '../../functions/handlers/step.js';
import { DEFAULT_CONFIG, type PipelineConfig } from '../../functions/config/pipeline.js';
import { RUNTIME_DEFAULTS } from '../../functions/config/environment.js';
import { noCheckpoints, type CheckpointName, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { silentLog, type Log } from '../../functions/core/log.js';
import type { RunReport } from '../../functions/pipeline/report.js';
import { releaseLock } from '../../functions/pipeline/lock.js';
import { readRunRecord, sanitiseRunId } from '../../functions/pipeline/run-records.js';
import { drainedTotals } from '../../functions/pipeline/drain.js';
import type { MessageQueue } from '../../functions/core/queue.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { runPipelineLocally, STANDARD_WORKFLOW_LIMITS, type ExecutionStats, type StepExecutor } from './state-machine.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import { pipelineFunctionLimits, type FunctionLimitOverrides } from './function-limits.js';
import { InProcessStepExecutor } from './in-process-executor.js';
import { createLocalDeps, type LocalDeps, type LocalDepsSpec } from './local-deps.js';
import { ProcessStepExecutor } from './process-executor.js';
import { holdLock } from './run-lock.js';

export interface EmbeddedOptions {
  readonly home: string;
  /** SNS messages to publish before the run (none for a re-run). */
  readonly messages?: readonly string[];
  /** Recorded SQS bodies (SNS envelopes) to put on the queue unchanged before the run. */
  readonly bodies?: readonly string[];
  /** Re-run exactly this day (`YYYY-MM-DD`) without touching the queue. */
  readonly day?: string;
  /** Rebuild every day without touching the queue. */
  readonly rebuildAll?: boolean;
  /**
   * Production's limits (default on): payload and history limits, and each step in a process
   * of its own held to its function's memory. Off: everything in this process, unchecked.
   */
  readonly limits?: boolean;
  /** The memory and timeout of functions, as the `functions.<name>` settings change them. */
  readonly functionLimits?: FunctionLimitOverrides;
  /**
   * How long to wait for a run that holds the lock (default 300 s). The run takes the lock
   * before it sends anything, so events it was given are never dropped: past the wait it
   * refuses with a LockHeldError, having sent nothing.
   */
  readonly lockWaitSeconds?: number;
  /** Called once when the run has to wait for the lock. */
  readonly onLockWait?: (holder: string) => void;
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
  /**
   * With `publish: 'github'`, a GitHub emulator that outlives this run (benchmarks that publish
   * over several runs under one hourly budget); by default each run starts its own.
   */
  readonly github?: { readonly emulator: GitHubEmulator; readonly token: string; readonly timeScale: number };
  /**
   * An S3 bucket to use instead of the directory HOME/bucket: the emulator's, reached through
   * `clientConfig` (tests put a wire proxy in front of it that answers chosen requests with S3's
   * own failures, so the S3 adapter meets them as in AWS).
   */
  readonly bucket?: { readonly clientConfig: LocalAwsClientConfig; readonly name: string };
  /** Called with each failure of a Task, by the error name the state machine matches on. */
  readonly onTaskFailure?: (state: string, error: string, cause: string) => void;
}

/** How close the run came to production's limits (the `limits` of the `--json` report). */
export interface LimitsReport extends ExecutionStats {
  /** Whether the limits were enforced (`--no-limits` turns them off). */
  readonly enforced: boolean;
  /** Requests this run made to the GitHub emulator (with `--publish github`). */
  readonly github: GitHubRequestStats | null;
}

/**
 * The local GitHub emulator's clock runs this much faster than real time, and the publisher's
 * waits (secondary-limit `retry-after`, write spacing) shrink alike: a publish paced at 80
 * content-creating requests a minute does not keep a user waiting for minutes. The budgets and
 * every request's size are exactly github.com's.
 */
export const LOCAL_GITHUB_TIME_SCALE = 60;

export interface EmbeddedReport extends Omit<RunReport, 'finishedAt'> {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  readonly failure?: { readonly error: string; readonly cause: unknown };
  /** Messages left in the queue and its dead-letter queue after the run. */
  readonly queue: { readonly remaining: number; readonly deadLetters: number } | null;
  readonly bucket: string;
  readonly site: string;
  readonly limits: LimitsReport;
}

export async function runEmbedded(options: EmbeddedOptions): Promise<EmbeddedReport> {
  const paths = await prepareHome(options.home);
  // The repository must exist as the local publisher makes it (with a work tree) before the
  // emulator opens it, or the emulator would create a bare one.
  const localPublisher = await LocalGitPublisher.open(paths.site);
  // Edits in the checked-out branch are never thrown away. Committing with git would touch
  // them: refuse before anything starts. Through the API the branch moves first, and the files
  // are then brought up to date around the edits, which stay.
  if (options.publish !== 'github') await localPublisher.assertNoLocalEdits();
  const rerun = options.day !== undefined || options.rebuildAll === true;
  const executionName = options.executionName ?? `local-${new Date().toISOString().replace(/[:.]/g, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
  let ownAws: LocalAws | null = null;
  let github: { emulator: GitHubEmulator; token: string; timeScale: number } | null = null;
  let local: LocalDeps | undefined;
  try {
    ownAws = rerun || options.messaging ? null : await startLocalAws();
    const aws = rerun ? null : (options.messaging?.aws ?? ownAws);
    github = options.publish === 'github' ? (options.github ?? (await startGitHub(paths.site))) : null;
    const githubBefore = github?.emulator.stats;
    const queues = aws ? (options.messaging?.queues ?? (await createPipelineQueues(aws, { visibilityTimeoutSeconds: 60 }))) : undefined;
    const spec: LocalDepsSpec = {
      bucket: options.bucket ? { kind: 's3', clientConfig: options.bucket.clientConfig, name: options.bucket.name } : { kind: 'directory', directory: paths.bucket },
      ...(aws && queues ? { queue: { clientConfig: aws.clientConfig(), queueUrl: queues.queueUrl } } : {}),
      publisher: github
        ? { kind: 'github', baseUrl: github.emulator.url, token: github.token, owner: 'futel', repo: 'usage', branch: RUNTIME_DEFAULTS.githubBranch, timeScale: github.timeScale }
        : { kind: 'git', directory: paths.site, branch: RUNTIME_DEFAULTS.githubBranch },
      config: { ...DEFAULT_CONFIG, ...options.config, drain: { ...DEFAULT_CONFIG.drain, receiveWaitSeconds: 0, ...options.config?.drain } },
      charts: true,
    };
    const hooks = { log: options.log ?? silentLog, checkpoint: options.checkpoint ?? noCheckpoints };
    local = await createLocalDeps(spec, hooks);
    // The events live only in this process's queue: hold the lock before sending any.
    await holdLock(local.deps, sanitiseRunId(executionName), options);
    if (aws && queues && options.messages && options.messages.length > 0) await publishMessages(aws, queues.topicArn, options.messages);
    if (aws && queues && options.bodies && options.bodies.length > 0) await sendBodies(aws, queues.queueUrl, options.bodies);
    const enforced = options.limits ?? true;
    const functionName = (step: PipelineStep) => `usage-pipeline-${step}`;
    const executor: StepExecutor =
      enforced
        ? new ProcessStepExecutor({ spec, ...hooks, functionName })
        : new InProcessStepExecutor(handlersOver(local.deps), functionName);
    const input = options.rebuildAll ? { rebuild: 'all' } : options.day !== undefined ? { day: options.day } : {};
    const taskFailures: string[] = [];
    const result = await runPipelineLocally({
      executor,
      functionLimits: pipelineFunctionLimits(options.functionLimits),
      limits: enforced ? STANDARD_WORKFLOW_LIMITS : { payloadBytes: null, historyEvents: null },
      input,
      executionName,
      ...(options.onState ? { onState: options.onState } : {}),
      ...(options.onPayload ? { onPayload: options.onPayload } : {}),
      onTaskFailure: (state, error, cause) => {
        taskFailures.push(`${state}: ${error}: ${cause}`);
        options.onTaskFailure?.(state, error, cause);
      },
    });
    // Through the API the branch moves without its work tree; bring the files up to date.
    if (github) await localPublisher.syncWorkTree();
    const queueState = aws && queues ? await queueDepths(aws, queues) : null;
    const base = { queue: queueState, bucket: options.bucket ? `s3://${options.bucket.name}` : paths.bucket, site: paths.site, limits: { ...result.stats, enforced, github: github && githubBefore ? statsSince(githubBefore, github.emulator.stats) : null } };
    if (result.status === 'SUCCEEDED') {
      const report = result.output as RunReport | null;
      if (!report || typeof report !== 'object' || !('runId' in report)) return { ...emptyReport(executionName), ...base, status: 'SKIPPED' };
      const { finishedAt: _finishedAt, ...rest } = report;
      return { ...rest, ...base, status: 'SUCCEEDED' };
    }
    // A limit that ends an execution outright leaves no state to record the failure (as in
    // AWS, where the execution's own history says why): record it, and free the lock, here.
    if (result.terminal) await handlersOver(local.deps)['record-failure']({ runId: executionName, error: { Error: result.error, Cause: result.cause } }, {} as never);
    const failure = await readRunRecord<{ error: string; cause: unknown }>(local.deps, executionName, 'failure.json').catch(() => null);
    const drained = await drainedTotals(local.deps, executionName);
    const counts = drained ? { received: drained.received, kept: drained.kept, dropped: drained.dropped, malformed: drained.malformed } : {};
    // A step that fails before the run has a record (BeginRun) leaves none: its error says why.
    const unrecorded = {
      error: result.error,
      cause: `the run failed, and its failure record (runs/${executionName}/failure.json in ${base.bucket}) could not be written${taskFailures.length > 0 ? `; failed: ${taskFailures.join('; ')}` : ''}`,
    };
    return { ...emptyReport(executionName), ...counts, ...base, status: 'FAILED', failure: failure ?? unrecorded };
  } finally {
    // Released by the run's last step; this frees it only if the run never got that far.
    if (local) await releaseLock(local.deps, sanitiseRunId(executionName)).catch(() => undefined);
    local?.close();
    if (github && !options.github) await github.emulator.close();
    await ownAws?.close();
  }
}

async function startGitHub(repoDir: string): Promise<{ emulator: GitHubEmulator; token: string; timeScale: number }> {
  const token = randomBytes(16).toString('hex');
  const emulator = await GitHubEmulator.start({ repoDir, owner: 'futel', repo: 'usage', token, timeScale: LOCAL_GITHUB_TIME_SCALE, requestLog: 'summary' });
  return { emulator, token, timeScale: LOCAL_GITHUB_TIME_SCALE };
}

function statsSince(before: GitHubRequestStats, after: GitHubRequestStats): GitHubRequestStats {
  return {
    requests: after.requests - before.requests,
    contentRequests: after.contentRequests - before.contentRequests,
    // Since the emulator started: this run's own, unless an emulator outlives runs (benchmarks).
    largestRequestBytes: after.largestRequestBytes,
    limitRefusals: after.limitRefusals - before.limitRefusals,
  };
}

function handlersOver(deps: PipelineDeps): Record<PipelineStep, StepHandler<unknown>> {
  const provide = async () => deps;
  return Object.fromEntries(PIPELINE_STEPS.map((step) => [step, STEPS[step](provide)])) as Record<PipelineStep, StepHandler<unknown>>;
}

async function queueDepths(aws: LocalAws, queues: PipelineQueues): Promise<{ remaining: number; deadLetters: number }> {
  const sqs = new SQSClient(aws.clientConfig());
  try {
    return {
      remaining: await total(new SqsMessageQueue({ client: sqs, queueUrl: queues.queueUrl })),
      deadLetters: await total(new SqsMessageQueue({ client: sqs, queueUrl: queues.deadLetterQueueUrl })),
    };
  } finally {
    sqs.destroy();
  }
}

async function total(queue: MessageQueue): Promise<number> {
  const { visible, inFlight } = await queue.depth();
  return visible + inFlight;
}

function emptyReport(runId: string): Omit<RunReport, 'finishedAt'> {
  return { runId, mode: 'scheduled', received: 0, kept: 0, dropped: { hostname: 0, channel: 0, event: 0 }, malformed: 0, daysMerged: 0, daysBuilt: 0, daysRefused: 0, rejectedLines: 0, filesPublished: 0, commit: null, publishBacklog: 0, publishStoppedBy: null };
}

export type { LocalAws };
