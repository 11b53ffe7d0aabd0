/**
 * The runtime contract between the deployment and the Lambdas: every environment variable a
 * function reads, what it holds, and one reader and one writer per kind of function (the
 * catalogue's `FunctionKind`). The handlers read their settings with `read`; infra builds each
 * function's environment with `write`, from the same names, so a function is given exactly what
 * it reads (test/infra/runtime-environment.test.ts holds the deployed stack to that).
 *
 * Defaults live in one place each: the pipeline's in `DEFAULT_CONFIG` (./pipeline.ts), the
 * others in `RUNTIME_DEFAULTS` below; infra's configuration starts from both.
 */
import { z } from 'zod';
import { isoDay, parseIsoDay } from '../core/days.js';
import { parseLayouts } from '../core/layouts.js';
import type { FunctionKind } from './functions.js';
import { DEFAULT_CONFIG, type PipelineConfig } from './pipeline.js';
import { ConfigurationError } from './errors.js';

/** The defaults of the settings that are not the pipeline's (those are in DEFAULT_CONFIG). */
export const RUNTIME_DEFAULTS = {
  /** The published branch. */
  githubBranch: 'gh-pages',
  /** The monitor reports published data older than this as stale (and the data-stale alarm fires). */
  maxDataAgeSeconds: 6 * 3600,
  /** How long the rotation waits for a new access key to work; its function's timeout must exceed it. */
  rotationVerifyTimeoutSeconds: 90,
} as const;

/**
 * The functions' Powertools service names. The monitor's metrics carry its name as their
 * `service` dimension, which the data-stale alarm selects on (infra/constructs/alarms.ts).
 */
export const SERVICE_NAMES = {
  pipeline: 'usage-pipeline',
  monitor: 'usage-pipeline-monitor',
  rotation: 'usage-pipeline-rotate-secrets',
} as const;

/** `OWNER/NAME` of a GitHub repository. */
export const REPOSITORY_NAME = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
/** IAM user names: 1–64 of `A–Z a–z 0–9 + = , . @ _ -`. */
export const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

const variable = <N extends string>(name: N, meaning: string, example: string) => ({ name, meaning, example }) as const;

/** Every environment variable a function of the deployment reads, with a value of its form. */
export const VARIABLES = {
  bucket: variable('BUCKET_NAME', 'the pipeline bucket', 'logpublish'),
  queueUrl: variable('QUEUE_URL', 'the events queue', 'https://sqs.us-west-2.amazonaws.com/123456789012/usage-pipeline-events'),
  deadLetterQueueUrl: variable('DEAD_LETTER_QUEUE_URL', "the events queue's dead-letter queue", 'https://sqs.us-west-2.amazonaws.com/123456789012/usage-pipeline-events-dlq'),
  stateMachineArn: variable('STATE_MACHINE_ARN', 'the pipeline state machine', 'arn:aws:states:us-west-2:123456789012:stateMachine:usage-pipeline'),
  maxDataAgeSeconds: variable('MAX_DATA_AGE_SECONDS', 'published data older than this is stale', '21600'),
  githubRepository: variable('GITHUB_REPOSITORY', 'the published repository, OWNER/NAME', 'futel/usage'),
  githubBranch: variable('GITHUB_BRANCH', 'the published branch', 'gh-pages'),
  githubTokenSecretId: variable('GITHUB_TOKEN_SECRET_ID', 'the secret holding the GitHub token', 'arn:aws:secretsmanager:us-west-2:123456789012:secret:usage-pipeline/github-token-AbCdEf'),
  githubApiUrl: variable('GITHUB_API_URL', 'the GitHub API (default https://api.github.com)', 'https://api.github.com'),
  iamEndpoint: variable('AWS_ENDPOINT_URL_IAM', "the IAM endpoint (default: the SDK's)", 'https://iam.amazonaws.com'),
  rotationUser: variable('ROTATION_IAM_USER', 'the IAM user whose access key is rotated', 'usage-pipeline-github-actions'),
  rotationVerifyTimeoutSeconds: variable('ROTATION_VERIFY_TIMEOUT_SECONDS', 'how long the rotation waits for a new key to work', '90'),
  productionHosts: variable('PRODUCTION_HOSTS', 'events from other hosts are dropped (comma-separated)', 'futel-prod.phu73l.net,futel-prod-back'),
  firstDay: variable('FIRST_DAY', 'events dated before this day are quarantined (YYYY-MM-DD, or none)', '2010-01-01'),
  layouts: variable('LAYOUTS', 'published layouts (comma-separated)', 'date,summary'),
  drainMaxMessages: variable('DRAIN_MAX_MESSAGES', 'messages one drain invocation takes', '20000'),
  drainFlushMessages: variable('DRAIN_FLUSH_MESSAGES', 'messages staged and deleted at a time', '1000'),
  drainWaitSeconds: variable('DRAIN_WAIT_SECONDS', 'long-polling wait of each receive (0–20)', '2'),
  drainTimeBudgetSeconds: variable('DRAIN_TIME_BUDGET_SECONDS', 'the drain stops receiving after this long', '240'),
  lockTtlSeconds: variable('LOCK_TTL_SECONDS', 'a run lock older than this is taken over', '3600'),
  summaryBackfillMonths: variable('SUMMARY_BACKFILL_MONTHS', 'missing month summaries computed per run', '24'),
} as const;

const V = VARIABLES;

/** The published repository: where the pipeline publishes and the monitor reads freshness. */
export interface GitHubSettings {
  /** `OWNER/NAME`. */
  readonly repository: string;
  readonly branch: string;
  /** Absent: this function cannot reach GitHub (the steps that need it fail with a clear error). */
  readonly tokenSecretId?: string;
}

export interface PipelineStepSettings {
  readonly bucket: string;
  /** Only the drain is given the queue. */
  readonly queueUrl?: string;
  readonly github: GitHubSettings;
  readonly pipeline: PipelineConfig;
}

export interface MonitorSettings {
  readonly bucket: string;
  readonly queueUrl?: string;
  readonly deadLetterQueueUrl?: string;
  readonly stateMachineArn?: string;
  readonly maxDataAgeSeconds: number;
  /** With a token secret, freshness is read from the published branch itself. */
  readonly github?: GitHubSettings;
}

export interface RotationSettings {
  readonly repository: string;
  readonly user: string;
  readonly tokenSecretId: string;
  /** Written to the repository's QUEUE_URL secret when given. */
  readonly queueUrl?: string;
  readonly verifyTimeoutSeconds: number;
  readonly githubApiUrl?: string;
  readonly iamEndpoint?: string;
}

/** How one kind of function is configured. */
export interface RuntimeEnvironment<S> {
  /** Every variable it reads. */
  readonly variables: readonly string[];
  /** The variables it cannot start without. */
  readonly required: readonly string[];
  /** Its settings from the environment; a missing or invalid variable fails with a one-line ConfigurationError naming it. */
  read(env: NodeJS.ProcessEnv): S;
  /** The environment that gives these settings (values may be Terraform references). */
  write(settings: S): Record<string, string>;
}

type Values = Readonly<Record<string, string | number | undefined>>;

function runtimeEnvironment<T extends z.ZodRawShape, S>(
  shape: T,
  settingsOf: (values: z.output<z.ZodObject<T>>) => S,
  valuesOf: (settings: S) => Values,
): RuntimeEnvironment<S> {
  const schema = z.object(shape);
  const variables = Object.keys(shape);
  const required = variables.filter((name) => !(shape[name] as z.ZodType).safeParse(undefined).success);
  return {
    variables,
    required,
    read(env) {
      // An empty (or blank) variable counts as unset.
      const given = Object.fromEntries(variables.flatMap((name) => (env[name]?.trim() ? [[name, env[name].trim()]] : [])));
      const missing = required.filter((name) => !(name in given));
      if (missing.length > 0) {
        throw new ConfigurationError(missing.length === 1 ? `environment variable ${missing[0]} is not set` : `environment variables ${missing.join(', ')} are not set`);
      }
      const parsed = schema.safeParse(given);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConfigurationError(`environment variable ${String(issue?.path[0])}: ${issue?.message}`);
      }
      return settingsOf(parsed.data);
    },
    write(settings) {
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(valuesOf(settings))) {
        if (!variables.includes(name)) throw new Error(`${name} is not a variable this function reads`);
        if (value !== undefined) env[name] = String(value);
      }
      return env;
    },
  };
}

const text = z.string();
const count = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `expected at least ${min}`).max(max, `expected at most ${max}`));
const positiveNumber = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a number')
  .transform(Number)
  .pipe(z.number().positive('expected more than 0'));
const repository = z.string().regex(REPOSITORY_NAME, 'expected OWNER/NAME');
const httpUrl = z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'expected an http(s) URL');
const list = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));
const firstDay = z
  .string()
  .refine((value) => value === 'none' || parseIsoDay(value) !== null, 'expected a real date as YYYY-MM-DD, or none')
  .transform((value) => (value === 'none' ? null : parseIsoDay(value)));
const layouts = z.string().transform((value, ctx) => {
  try {
    return parseLayouts(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const githubShape = {
  [V.githubRepository.name]: repository,
  [V.githubBranch.name]: text.optional(),
  [V.githubTokenSecretId.name]: text.optional(),
};
type GitHubValues = Omit<z.output<z.ZodObject<typeof githubShape>>, typeof V.githubRepository.name>;

const githubOf = (values: GitHubValues, repository: string): GitHubSettings => ({
  repository,
  branch: values[V.githubBranch.name] ?? RUNTIME_DEFAULTS.githubBranch,
  ...(values[V.githubTokenSecretId.name] ? { tokenSecretId: values[V.githubTokenSecretId.name] } : {}),
});

const githubValues = (github: GitHubSettings | undefined): Values => ({
  [V.githubRepository.name]: github?.repository,
  [V.githubBranch.name]: github?.branch,
  [V.githubTokenSecretId.name]: github?.tokenSecretId,
});

const pipelineShape = {
  [V.productionHosts.name]: list.optional(),
  [V.firstDay.name]: firstDay.optional(),
  [V.layouts.name]: layouts.optional(),
  [V.drainMaxMessages.name]: count(1).optional(),
  [V.drainFlushMessages.name]: count(1).optional(),
  [V.drainWaitSeconds.name]: count(0, 20).optional(),
  [V.drainTimeBudgetSeconds.name]: count(1).optional(),
  [V.lockTtlSeconds.name]: count(1).optional(),
  [V.summaryBackfillMonths.name]: count(0).optional(),
};

function pipelineOf(values: z.output<z.ZodObject<typeof pipelineShape>>): PipelineConfig {
  const defaults = DEFAULT_CONFIG;
  const budgetSeconds = values[V.drainTimeBudgetSeconds.name];
  const firstDayValue = values[V.firstDay.name];
  return {
    productionHosts: values[V.productionHosts.name] ?? defaults.productionHosts,
    firstDay: firstDayValue === undefined ? defaults.firstDay : firstDayValue,
    layouts: values[V.layouts.name] ?? defaults.layouts,
    drain: {
      maxMessages: values[V.drainMaxMessages.name] ?? defaults.drain.maxMessages,
      flushMessages: values[V.drainFlushMessages.name] ?? defaults.drain.flushMessages,
      receiveWaitSeconds: values[V.drainWaitSeconds.name] ?? defaults.drain.receiveWaitSeconds,
      timeBudgetMs: budgetSeconds === undefined ? defaults.drain.timeBudgetMs : budgetSeconds * 1000,
    },
    lockTtlSeconds: values[V.lockTtlSeconds.name] ?? defaults.lockTtlSeconds,
    summaryBackfillMonths: values[V.summaryBackfillMonths.name] ?? defaults.summaryBackfillMonths,
  };
}

const pipelineValues = (config: PipelineConfig): Values => ({
  [V.productionHosts.name]: config.productionHosts.join(','),
  [V.firstDay.name]: config.firstDay === null ? 'none' : isoDay(config.firstDay),
  [V.layouts.name]: config.layouts.join(','),
  [V.drainMaxMessages.name]: config.drain.maxMessages,
  [V.drainFlushMessages.name]: config.drain.flushMessages,
  [V.drainWaitSeconds.name]: config.drain.receiveWaitSeconds,
  [V.drainTimeBudgetSeconds.name]: config.drain.timeBudgetMs / 1000,
  [V.lockTtlSeconds.name]: config.lockTtlSeconds,
  [V.summaryBackfillMonths.name]: config.summaryBackfillMonths,
});

/** The ten steps of the state machine (functions/wiring/lambda-deps.ts). */
export const PIPELINE_STEP_ENVIRONMENT = runtimeEnvironment(
  { [V.bucket.name]: text, [V.queueUrl.name]: httpUrl.optional(), ...githubShape, ...pipelineShape },
  (values): PipelineStepSettings => ({
    bucket: values[V.bucket.name],
    ...(values[V.queueUrl.name] ? { queueUrl: values[V.queueUrl.name] } : {}),
    github: githubOf(values, values[V.githubRepository.name]),
    pipeline: pipelineOf(values),
  }),
  (settings) => ({ [V.bucket.name]: settings.bucket, [V.queueUrl.name]: settings.queueUrl, ...githubValues(settings.github), ...pipelineValues(settings.pipeline) }),
);

/** The scheduled monitor (functions/wiring/monitor.ts). */
export const MONITOR_ENVIRONMENT = runtimeEnvironment(
  {
    [V.bucket.name]: text,
    [V.queueUrl.name]: httpUrl.optional(),
    [V.deadLetterQueueUrl.name]: httpUrl.optional(),
    [V.stateMachineArn.name]: text.optional(),
    [V.maxDataAgeSeconds.name]: positiveNumber.optional(),
    ...githubShape,
    [V.githubRepository.name]: repository.optional(),
  },
  (values): MonitorSettings => {
    const repositoryName = values[V.githubRepository.name];
    return {
      bucket: values[V.bucket.name],
      ...(values[V.queueUrl.name] ? { queueUrl: values[V.queueUrl.name] } : {}),
      ...(values[V.deadLetterQueueUrl.name] ? { deadLetterQueueUrl: values[V.deadLetterQueueUrl.name] } : {}),
      ...(values[V.stateMachineArn.name] ? { stateMachineArn: values[V.stateMachineArn.name] } : {}),
      maxDataAgeSeconds: values[V.maxDataAgeSeconds.name] ?? RUNTIME_DEFAULTS.maxDataAgeSeconds,
      ...(repositoryName ? { github: githubOf(values, repositoryName) } : {}),
    };
  },
  (settings) => ({
    [V.bucket.name]: settings.bucket,
    [V.queueUrl.name]: settings.queueUrl,
    [V.deadLetterQueueUrl.name]: settings.deadLetterQueueUrl,
    [V.stateMachineArn.name]: settings.stateMachineArn,
    [V.maxDataAgeSeconds.name]: settings.maxDataAgeSeconds,
    ...githubValues(settings.github),
  }),
);

/** The monthly access-key rotation (functions/wiring/rotate-secrets.ts). */
export const ROTATION_ENVIRONMENT = runtimeEnvironment(
  {
    [V.githubRepository.name]: repository,
    [V.rotationUser.name]: z.string().regex(IAM_USER_NAME, 'expected an IAM user name'),
    [V.githubTokenSecretId.name]: text,
    [V.queueUrl.name]: httpUrl.optional(),
    [V.rotationVerifyTimeoutSeconds.name]: count(1).optional(),
    [V.githubApiUrl.name]: httpUrl.optional(),
    [V.iamEndpoint.name]: httpUrl.optional(),
  },
  (values): RotationSettings => ({
    repository: values[V.githubRepository.name],
    user: values[V.rotationUser.name],
    tokenSecretId: values[V.githubTokenSecretId.name],
    ...(values[V.queueUrl.name] ? { queueUrl: values[V.queueUrl.name] } : {}),
    verifyTimeoutSeconds: values[V.rotationVerifyTimeoutSeconds.name] ?? RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds,
    ...(values[V.githubApiUrl.name] ? { githubApiUrl: values[V.githubApiUrl.name] } : {}),
    ...(values[V.iamEndpoint.name] ? { iamEndpoint: values[V.iamEndpoint.name] } : {}),
  }),
  (settings) => ({
    [V.githubRepository.name]: settings.repository,
    [V.rotationUser.name]: settings.user,
    [V.githubTokenSecretId.name]: settings.tokenSecretId,
    [V.queueUrl.name]: settings.queueUrl,
    [V.rotationVerifyTimeoutSeconds.name]: settings.verifyTimeoutSeconds,
    [V.githubApiUrl.name]: settings.githubApiUrl,
    [V.iamEndpoint.name]: settings.iamEndpoint,
  }),
);

/** The environment of each kind of function in the catalogue. */
export const ENVIRONMENT_OF_KIND: { readonly [K in FunctionKind]: RuntimeEnvironment<unknown> } = {
  'pipeline-step': PIPELINE_STEP_ENVIRONMENT as RuntimeEnvironment<unknown>,
  monitor: MONITOR_ENVIRONMENT as RuntimeEnvironment<unknown>,
  rotation: ROTATION_ENVIRONMENT as RuntimeEnvironment<unknown>,
};
