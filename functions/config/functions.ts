/**
 * Every Lambda of the deployment, as data: its entry file under functions/handlers/, its
 * sizing, and exactly what it touches. The IAM role, the environment and the state machine
 * wiring of each function are derived from its entry here, so adding a function (a `monitor`,
 * say) is one more entry.
 *
 * The access lists were read off the code (functions/pipeline/*.ts, the adapters): each key
 * pattern names the bucket-layout constant it comes from, so a change of layout shows here.
 */
import { DAILY_OBJECT_PREFIX, LAST_UPDATED_FILE } from '../core/site-paths.js';
import {
  LOCK_KEY,
  PENDING_PUBLISH_KEY,
  REJECTED_PREFIX,
  RUNS_PREFIX,
  SITE_DATA_PREFIX,
  SITE_PREFIX,
  STAGING_PREFIX,
} from '../core/bucket-layout.js';

/** Object keys and key patterns in the bucket (`*` as in IAM: any characters). */
export interface BucketAccess {
  /** s3:GetObject (reads and HEADs). */
  readonly read?: readonly string[];
  /** s3:PutObject (plain and conditional writes). */
  readonly write?: readonly string[];
  /** s3:DeleteObject. */
  readonly delete?: readonly string[];
  /**
   * Prefixes listed (ListObjectsV2). The grant itself is s3:ListBucket on the bucket: S3 only
   * answers 404 for a missing key to a caller allowed to list, and the adapters rely on
   * "not found" being told apart from "denied" (a denied read must never look like a new day).
   */
  readonly list?: readonly string[];
}

/**
 * Which environment a function is given and reads: `ENVIRONMENT_OF_KIND` in
 * functions/config/environment.ts.
 */
export type FunctionKind = 'pipeline-step' | 'rotation' | 'monitor';

/** A function run on its own schedule (not by the state machine): the settings that time it. */
export interface FunctionSchedule {
  readonly expressionSetting: 'rotationSchedule' | 'monitorSchedule';
  readonly enabledSetting: 'rotationScheduleEnabled' | 'monitorScheduleEnabled';
}

export interface FunctionSpec {
  /** The entry file's name under functions/handlers/ (without `.ts`), and the function's suffix. */
  readonly name: string;
  readonly kind: FunctionKind;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency where running twice at once is wrong or wasteful; absent: none. */
  readonly reservedConcurrency?: number;
  readonly bucket?: BucketAccess;
  /** Receives and deletes messages of the queue (and is given QUEUE_URL). */
  readonly consumesQueue?: boolean;
  /** Reads the GitHub token secret (and is given GITHUB_TOKEN_SECRET_ID). */
  readonly readsGithubToken?: boolean;
  /** Manages the access keys of the GitHub Actions IAM user. */
  readonly rotatesGithubActionsKeys?: boolean;
  /** Is given QUEUE_URL without consuming the queue (the rotation writes it to a GitHub secret). */
  readonly needsQueueUrl?: boolean;
  /** Reads the depth of the queue and the DLQ (and is given QUEUE_URL and DEAD_LETTER_QUEUE_URL). */
  readonly readsQueueDepths?: boolean;
  /** Reads the state machine's latest executions (and is given STATE_MACHINE_ARN). */
  readonly watchesStateMachine?: boolean;
  /** Asks whether the execution holding the run lock still runs (DescribeExecution on the executions). */
  readonly checksLockHolder?: boolean;
  /** Invoked (asynchronously) by its own EventBridge Scheduler schedule. */
  readonly schedule?: FunctionSchedule;
}

/** The pipeline's steps, in the order the state machine runs them; each is a Lambda. */
export const PIPELINE_STEPS = [
  'begin-run',
  'drain',
  'list-staged',
  'merge-month',
  'detect-changes',
  'build-month',
  'finalize',
  'publish',
  'finish-run',
  'record-failure',
] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

const all = (prefix: string) => `${prefix}*`;

const STEP_SPECS: Readonly<Record<PipelineStep, Omit<FunctionSpec, 'name' | 'kind'>>> = {
  'begin-run': {
    description: 'Validates the execution input and takes the pipeline lock',
    memoryMb: 256,
    timeoutSeconds: 60,
    bucket: { read: [LOCK_KEY], write: [LOCK_KEY] },
    // A lock whose execution is no longer running is taken over at once (functions/pipeline/lock.ts).
    checksLockHolder: true,
  },
  drain: {
    description: 'Moves queue messages into per-day staging objects, quarantining malformed ones',
    memoryMb: 1024,
    // The drain keeps 30 s of its time to stage and delete what it received (functions/pipeline/drain.ts).
    timeoutSeconds: 300,
    // One drain at a time: the lock already serialises runs; this also bounds a runaway loop.
    reservedConcurrency: 1,
    // runs/<id>/drain.json: what the run took from the queue, which a failed run still reports.
    bucket: { write: [all(STAGING_PREFIX), all(REJECTED_PREFIX), all(RUNS_PREFIX)] },
    consumesQueue: true,
  },
  'list-staged': {
    description: 'Lists the days with staged lines waiting to be merged',
    memoryMb: 256,
    timeoutSeconds: 120,
    bucket: { list: [STAGING_PREFIX] },
  },
  'merge-month': {
    description: "Folds a month's staged lines into its daily objects events/prod/YYYYMMDD with conditional writes",
    memoryMb: 1024,
    timeoutSeconds: 300,
    bucket: {
      read: [all(STAGING_PREFIX), all(DAILY_OBJECT_PREFIX)],
      write: [all(DAILY_OBJECT_PREFIX)],
      delete: [all(STAGING_PREFIX)],
      list: [STAGING_PREFIX],
    },
  },
  'detect-changes': {
    description: 'Compares the daily objects with the build state and plans the days to rebuild',
    memoryMb: 1024,
    timeoutSeconds: 300,
    bucket: {
      read: [all(SITE_DATA_PREFIX), PENDING_PUBLISH_KEY],
      // The first run adopts the branch's updated_state.json and event list into the mirror;
      // the paths the plan may change are added to the pending list before anything is built.
      write: [all(SITE_DATA_PREFIX), all(RUNS_PREFIX), PENDING_PUBLISH_KEY],
      list: [DAILY_OBJECT_PREFIX, SITE_DATA_PREFIX],
    },
    readsGithubToken: true,
  },
  'build-month': {
    description: "Writes a month's changed day shards, its rollup and its summary into the site mirror",
    memoryMb: 1024,
    timeoutSeconds: 300,
    bucket: {
      read: [all(DAILY_OBJECT_PREFIX), all(SITE_DATA_PREFIX), all(RUNS_PREFIX), PENDING_PUBLISH_KEY],
      write: [all(SITE_DATA_PREFIX), all(RUNS_PREFIX), PENDING_PUBLISH_KEY],
      delete: [all(SITE_DATA_PREFIX)],
    },
  },
  finalize: {
    description: 'Rebuilds the event list, the summary index and series, the state and the charts page',
    memoryMb: 2048,
    timeoutSeconds: 900,
    bucket: {
      read: [all(RUNS_PREFIX), all(SITE_PREFIX), PENDING_PUBLISH_KEY],
      write: [all(SITE_PREFIX), PENDING_PUBLISH_KEY],
      delete: [all(SITE_PREFIX), PENDING_PUBLISH_KEY],
      list: [SITE_DATA_PREFIX],
    },
  },
  publish: {
    description: 'Commits the pending paths to the gh-pages branch in one commit',
    memoryMb: 1024,
    timeoutSeconds: 900,
    // Two publishes at once would only race for the branch; the second would retry.
    reservedConcurrency: 1,
    bucket: { read: [PENDING_PUBLISH_KEY, all(SITE_PREFIX)], delete: [PENDING_PUBLISH_KEY] },
    readsGithubToken: true,
  },
  'finish-run': {
    description: "Writes the run's report and releases the lock",
    memoryMb: 256,
    timeoutSeconds: 60,
    bucket: { read: [LOCK_KEY], write: [all(RUNS_PREFIX)], delete: [LOCK_KEY] },
  },
  'record-failure': {
    description: 'Records how a run failed and releases the lock',
    memoryMb: 256,
    timeoutSeconds: 60,
    bucket: { read: [LOCK_KEY, all(RUNS_PREFIX)], write: [all(RUNS_PREFIX)], delete: [LOCK_KEY] },
  },
};

/** Not part of the state machine: each runs on its own schedule. */
const OTHER_SPECS: readonly FunctionSpec[] = [
  {
    name: 'rotate-secrets',
    kind: 'rotation',
    description: "Rotates the GitHub Actions user's access key kept in the repository's Actions secrets",
    memoryMb: 256,
    // Must exceed the verify timeout (RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds, 90 s) with room for GitHub's retries.
    timeoutSeconds: 300,
    // Two rotations at once could each mint a key and retire the other's.
    reservedConcurrency: 1,
    readsGithubToken: true,
    rotatesGithubActionsKeys: true,
    needsQueueUrl: true,
    schedule: { expressionSetting: 'rotationSchedule', enabledSetting: 'rotationScheduleEnabled' },
  },
  {
    name: 'monitor',
    kind: 'monitor',
    description: "Publishes the published data's age, the queue depths and the last run's outcome as metrics",
    memoryMb: 256,
    timeoutSeconds: 60,
    reservedConcurrency: 1,
    // The freshness file in the mirror, the run records and the lock (functions/adapters/aws-status-sources.ts).
    bucket: { read: [`${SITE_DATA_PREFIX}${LAST_UPDATED_FILE}`, all(RUNS_PREFIX), LOCK_KEY, PENDING_PUBLISH_KEY], list: [RUNS_PREFIX] },
    // Freshness is read from the published branch itself when the token is there.
    readsGithubToken: true,
    readsQueueDepths: true,
    watchesStateMachine: true,
    schedule: { expressionSetting: 'monitorSchedule', enabledSetting: 'monitorScheduleEnabled' },
  },
];

export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  ...PIPELINE_STEPS.map((name): FunctionSpec => ({ name, kind: 'pipeline-step', ...STEP_SPECS[name] })),
  ...OTHER_SPECS,
];

export const FUNCTION_NAMES: readonly string[] = FUNCTION_SPECS.map((spec) => spec.name);
export type FunctionName = string;

/** The entry file of a function, relative to the repository root. */
export function entryOf(spec: Pick<FunctionSpec, 'name'>): string {
  return `functions/handlers/${spec.name}.ts`;
}
