/**
 * The deployment's configuration: defaults, overridden by a JSON file, overridden by
 * environment variables, validated with zod. A bad value fails synth with a message that
 * names the field and where it came from (the file or the variable), never a stack trace
 * deep inside a construct.
 *
 * Precedence: defaults < `usage-pipeline.config.json` (or `USAGE_PIPELINE_CONFIG=path`) <
 * `USAGE_PIPELINE_*` variables.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PRODUCTION_HOSTS } from '../functions/core/classify.js';
import { isoDay, parseIsoDay } from '../functions/core/days.js';
import { DEFAULT_LAYOUTS, LAYOUTS } from '../functions/core/layouts.js';
import { DEFAULT_CONFIG as PIPELINE_DEFAULTS } from '../functions/config/pipeline.js';
import { FUNCTION_NAMES, type FunctionName } from '../functions/config/functions.js';
import { ConfigurationError } from '../functions/config/errors.js';
import { REPOSITORY_NAME, RUNTIME_DEFAULTS } from '../functions/config/environment.js';
import { DEFINITION_DEFAULTS } from '../workflows/pipeline.js';

export const CONFIG_FILE_NAME = 'usage-pipeline.config.json';
export const CONFIG_PATH_VARIABLE = 'USAGE_PIPELINE_CONFIG';

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const S3_BUCKET_NAME = /^(?!xn--)(?!sthree-)(?!.*-s3alias$)(?!.*--ol-s3$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const FunctionOverride = z
  .object({
    memoryMb: z.number().int().min(128).max(10_240).optional(),
    timeoutSeconds: z.number().int().min(1).max(900).optional(),
    /**
     * `null` removes the reservation (accounts with a low concurrency quota cannot reserve any).
     * Never 0: that would stop the function altogether.
     */
    reservedConcurrency: z.number().int().min(1).nullable().optional(),
  })
  .strict();
export type FunctionOverride = z.infer<typeof FunctionOverride>;

const functionOverrides = z
  .object(Object.fromEntries(FUNCTION_NAMES.map((name) => [name, FunctionOverride.optional()])) as Record<FunctionName, z.ZodOptional<typeof FunctionOverride>>)
  .strict();

export const InfraConfigSchema = z
  .object({
    /** Prefix of every named resource (functions, roles, state machine, schedules, alarms). */
    namePrefix: z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, 'lowercase letters, digits and "-", 2–30 characters, starting with a letter'),
    region: z.string().regex(AWS_REGION, 'an AWS region such as us-west-2'),
    bucketName: z.string().regex(S3_BUCKET_NAME, 'a valid S3 bucket name'),
    /** The queue the SNS topic feeds; its dead-letter queue is `<queueName>-dlq`. */
    queueName: z.string().regex(/^[A-Za-z0-9_-]{1,76}$/, 'letters, digits, "-" and "_", at most 76 characters (the DLQ adds "-dlq")'),
    /** An existing SNS topic to subscribe the queue to; none by default. */
    snsTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN').optional(),
    /** A customer managed KMS key (key ARN) for the bucket, queues, secret, topic and Lambda environments. */
    kmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/, 'a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias').optional(),
    /** Subscribed (by e-mail) to the alarm topic; AWS sends a confirmation message first. */
    alarmEmail: z.email('an e-mail address').optional(),
    productionHosts: z.array(z.string().regex(HOSTNAME, 'a host name')).min(1, 'at least one production host'),
    /** Events dated before this day (YYYY-MM-DD) are quarantined, not kept; `none` for no limit. */
    firstDay: z.string().refine((text) => text === 'none' || parseIsoDay(text) !== null, 'a real date as YYYY-MM-DD, or none'),
    layouts: z
      .array(z.enum(LAYOUTS))
      .min(1)
      .refine((layouts) => layouts.includes('date'), 'must include "date" (the web UI reads it)'),
    github: z
      .object({
        repository: z.string().regex(REPOSITORY_NAME, 'OWNER/NAME'),
        branch: z.string().regex(/^(?!\/|.*\/\/|.*\.\.|.*\.lock$|.*\/$)[A-Za-z0-9._/-]{1,200}$/, 'a branch name'),
      })
      .strict(),
    /** When the pipeline runs (EventBridge Scheduler expression). */
    schedule: z.string().regex(SCHEDULE, 'rate(N unit), cron(...) or at(...)'),
    /** When the access key of the GitHub Actions user is rotated. */
    rotationSchedule: z.string().regex(SCHEDULE, 'rate(N unit), cron(...) or at(...)'),
    /** When the monitor publishes the data's age (the data-stale alarm's metric). */
    monitorSchedule: z.string().regex(SCHEDULE, 'rate(N unit), cron(...) or at(...)'),
    scheduleTimezone: z.string().min(1),
    /** Turn the schedules off (e.g. until the GitHub token is in its secret). */
    scheduleEnabled: z.boolean(),
    rotationScheduleEnabled: z.boolean(),
    monitorScheduleEnabled: z.boolean(),
    alarms: z
      .object({
        /** The published data is older than this: alarm (missing data counts as breaching). */
        dataAgeHours: z.number().positive().max(24 * 30),
        /** The publish backlog stayed above zero this long: alarm (a large change drains over a few hourly runs). */
        publishBacklogHours: z.number().int().min(1).max(24),
        /** Alarm evaluation period for the DLQ and execution alarms. */
        periodMinutes: z.number().int().min(1).max(1440),
      })
      .strict(),
    logRetentionDays: z.union(LOG_RETENTION_DAYS.map((days) => z.literal(days)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>, ...z.ZodLiteral<number>[]], {
      error: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
    }),
    stateMachine: z
      .object({
        /** Whole-execution limit; the run lock expires after the same time. */
        timeoutSeconds: z.number().int().min(300).max(86_400),
        /** Execution data is never logged (rotated keys must never land there), whatever the level. */
        logLevel: z.enum(['ALL', 'ERROR', 'FATAL']),
        mergeConcurrency: z.number().int().min(1).max(40),
        buildConcurrency: z.number().int().min(1).max(40),
        maxDrainIterations: z.number().int().min(1).max(100),
      })
      .strict(),
    /** The drain's budget per invocation (functions/config/pipeline.ts). */
    drain: z
      .object({
        maxMessages: z.number().int().positive(),
        flushMessages: z.number().int().positive(),
        receiveWaitSeconds: z.number().int().min(0).max(20),
        timeBudgetSeconds: z.number().int().positive(),
      })
      .strict(),
    summaryBackfillMonths: z.number().int().min(0),
    /** Seconds the rotation waits for a new key to work; the function's timeout must exceed it. */
    rotationVerifyTimeoutSeconds: z.number().int().min(10).max(600),
    /** Per-function memory, timeout and reserved concurrency. */
    functions: functionOverrides,
    /**
     * Resources that already exist in the account (the Python system's bucket, its IAM groups,
     * and the managed policies attached to them): Terraform imports them on the next apply
     * instead of failing to create them, and `npm run destroy` leaves them in place.
     */
    adoptExisting: z.object({ bucket: z.boolean(), iamGroups: z.boolean(), iamPolicies: z.boolean() }).strict(),
    /** Keep Terraform state in S3 (with S3-native locking) rather than in a local file. */
    stateBackend: z
      .object({
        bucket: z.string().regex(S3_BUCKET_NAME, 'a valid S3 bucket name'),
        key: z.string().min(1).default('usage-pipeline/terraform.tfstate'),
        region: z.string().regex(AWS_REGION, 'an AWS region such as us-west-2').optional(),
      })
      .strict()
      .optional(),
    /** Extra tags on every resource (the provider's default_tags). */
    tags: z.record(z.string().regex(/^[\w.:/=+@ -]{1,128}$/, 'a tag key'), z.string().max(256)),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.adoptExisting.iamPolicies && !config.adoptExisting.iamGroups) {
      ctx.addIssue({ code: 'custom', path: ['adoptExisting', 'iamPolicies'], message: 'the policies are adopted with the groups they are attached to: set adoptExisting.iamGroups too' });
    }
    if (config.drain.flushMessages > config.drain.maxMessages) {
      ctx.addIssue({ code: 'custom', path: ['drain', 'flushMessages'], message: 'must not exceed drain.maxMessages' });
    }
  });

export type InfraConfig = z.infer<typeof InfraConfigSchema>;

/** Every default in one place (README "Deploying to AWS" lists them). */
export const DEFAULT_INFRA_CONFIG: InfraConfig = {
  namePrefix: 'usage-pipeline',
  region: 'us-west-2',
  bucketName: 'logpublish',
  queueName: 'usage-pipeline-events',
  productionHosts: [...DEFAULT_PRODUCTION_HOSTS],
  firstDay: PIPELINE_DEFAULTS.firstDay === null ? 'none' : isoDay(PIPELINE_DEFAULTS.firstDay),
  layouts: [...DEFAULT_LAYOUTS],
  github: { repository: 'futel/usage', branch: RUNTIME_DEFAULTS.githubBranch },
  schedule: 'rate(4 hours)',
  rotationSchedule: 'cron(0 16 1 * ? *)',
  monitorSchedule: 'rate(15 minutes)',
  scheduleTimezone: 'UTC',
  scheduleEnabled: true,
  rotationScheduleEnabled: true,
  monitorScheduleEnabled: true,
  alarms: { dataAgeHours: RUNTIME_DEFAULTS.maxDataAgeSeconds / 3600, publishBacklogHours: 6, periodMinutes: 5 },
  logRetentionDays: 365,
  stateMachine: {
    timeoutSeconds: DEFINITION_DEFAULTS.timeoutSeconds,
    logLevel: 'ALL',
    mergeConcurrency: DEFINITION_DEFAULTS.mergeConcurrency,
    buildConcurrency: DEFINITION_DEFAULTS.buildConcurrency,
    maxDrainIterations: DEFINITION_DEFAULTS.maxDrainIterations,
  },
  drain: {
    maxMessages: PIPELINE_DEFAULTS.drain.maxMessages,
    flushMessages: PIPELINE_DEFAULTS.drain.flushMessages,
    receiveWaitSeconds: PIPELINE_DEFAULTS.drain.receiveWaitSeconds,
    timeBudgetSeconds: PIPELINE_DEFAULTS.drain.timeBudgetMs / 1000,
  },
  summaryBackfillMonths: PIPELINE_DEFAULTS.summaryBackfillMonths,
  rotationVerifyTimeoutSeconds: RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds,
  functions: {},
  adoptExisting: { bucket: false, iamGroups: false, iamPolicies: false },
  tags: {},
};

type Parser = 'string' | 'number' | 'boolean' | 'list';

/** The environment variables, each setting one field. An empty variable counts as unset. */
export const ENVIRONMENT_VARIABLES: Readonly<Record<string, { path: readonly string[]; parse: Parser }>> = {
  USAGE_PIPELINE_NAME_PREFIX: { path: ['namePrefix'], parse: 'string' },
  USAGE_PIPELINE_REGION: { path: ['region'], parse: 'string' },
  USAGE_PIPELINE_BUCKET: { path: ['bucketName'], parse: 'string' },
  USAGE_PIPELINE_QUEUE_NAME: { path: ['queueName'], parse: 'string' },
  USAGE_PIPELINE_SNS_TOPIC_ARN: { path: ['snsTopicArn'], parse: 'string' },
  USAGE_PIPELINE_KMS_KEY_ARN: { path: ['kmsKeyArn'], parse: 'string' },
  USAGE_PIPELINE_ALARM_EMAIL: { path: ['alarmEmail'], parse: 'string' },
  USAGE_PIPELINE_PRODUCTION_HOSTS: { path: ['productionHosts'], parse: 'list' },
  USAGE_PIPELINE_FIRST_DAY: { path: ['firstDay'], parse: 'string' },
  USAGE_PIPELINE_LAYOUTS: { path: ['layouts'], parse: 'list' },
  USAGE_PIPELINE_GITHUB_REPOSITORY: { path: ['github', 'repository'], parse: 'string' },
  USAGE_PIPELINE_GITHUB_BRANCH: { path: ['github', 'branch'], parse: 'string' },
  USAGE_PIPELINE_SCHEDULE: { path: ['schedule'], parse: 'string' },
  USAGE_PIPELINE_ROTATION_SCHEDULE: { path: ['rotationSchedule'], parse: 'string' },
  USAGE_PIPELINE_MONITOR_SCHEDULE: { path: ['monitorSchedule'], parse: 'string' },
  USAGE_PIPELINE_SCHEDULE_TIMEZONE: { path: ['scheduleTimezone'], parse: 'string' },
  USAGE_PIPELINE_SCHEDULE_ENABLED: { path: ['scheduleEnabled'], parse: 'boolean' },
  USAGE_PIPELINE_ROTATION_SCHEDULE_ENABLED: { path: ['rotationScheduleEnabled'], parse: 'boolean' },
  USAGE_PIPELINE_MONITOR_SCHEDULE_ENABLED: { path: ['monitorScheduleEnabled'], parse: 'boolean' },
  USAGE_PIPELINE_DATA_AGE_ALARM_HOURS: { path: ['alarms', 'dataAgeHours'], parse: 'number' },
  USAGE_PIPELINE_PUBLISH_BACKLOG_ALARM_HOURS: { path: ['alarms', 'publishBacklogHours'], parse: 'number' },
  USAGE_PIPELINE_LOG_RETENTION_DAYS: { path: ['logRetentionDays'], parse: 'number' },
  USAGE_PIPELINE_STATE_MACHINE_TIMEOUT_SECONDS: { path: ['stateMachine', 'timeoutSeconds'], parse: 'number' },
  USAGE_PIPELINE_STATE_MACHINE_LOG_LEVEL: { path: ['stateMachine', 'logLevel'], parse: 'string' },
  USAGE_PIPELINE_ADOPT_EXISTING_BUCKET: { path: ['adoptExisting', 'bucket'], parse: 'boolean' },
  USAGE_PIPELINE_ADOPT_EXISTING_IAM_GROUPS: { path: ['adoptExisting', 'iamGroups'], parse: 'boolean' },
  USAGE_PIPELINE_ADOPT_EXISTING_IAM_POLICIES: { path: ['adoptExisting', 'iamPolicies'], parse: 'boolean' },
  USAGE_PIPELINE_STATE_BUCKET: { path: ['stateBackend', 'bucket'], parse: 'string' },
  USAGE_PIPELINE_STATE_KEY: { path: ['stateBackend', 'key'], parse: 'string' },
};

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where `usage-pipeline.config.json` is looked for (default: the working directory). */
  readonly cwd?: string;
  /** Overrides applied last, as if from the environment (tests). */
  readonly overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  readonly config: InfraConfig;
  /** The file read, if any. */
  readonly file?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>(); // dotted path -> where its value came from

  let file: string | undefined;
  let fromFile: Record<string, unknown> = {};
  const explicit = env[CONFIG_PATH_VARIABLE]?.trim();
  const candidate = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE_NAME);
  if (explicit && !existsSync(candidate)) throw new ConfigurationError(`${CONFIG_PATH_VARIABLE}=${explicit}: no such file (${candidate})`);
  if (existsSync(candidate)) {
    file = candidate;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (error) {
      throw new ConfigurationError(`${candidate}: not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigurationError(`${candidate}: must hold a JSON object`);
    fromFile = parsed as Record<string, unknown>;
    for (const leaf of leafPaths(fromFile)) sources.set(leaf, candidate);
  }

  const fromEnv: Record<string, unknown> = {};
  for (const [name, { path: fieldPath, parse }] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    setPath(fromEnv, fieldPath, parseVariable(name, raw, parse));
    sources.set(fieldPath.join('.'), name);
  }
  for (const leaf of leafPaths(options.overrides ?? {})) sources.set(leaf, 'overrides');

  const merged = deepMerge(deepMerge(deepMerge(DEFAULT_INFRA_CONFIG as unknown as Record<string, unknown>, fromFile), fromEnv), options.overrides ?? {});
  const result = InfraConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => {
      const parent = issue.path.map(String).join('.');
      // An unrecognised key is named as the field itself (a typo shows where it is).
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => (parent ? `${parent}.${key}` : key)) : [];
      const field = keys.length > 0 ? keys.join(', ') : parent || '(configuration)';
      const source = sourceOf(sources, keys[0] ?? parent);
      return `${field}${source ? ` (from ${source})` : ''}: ${issue.code === 'unrecognized_keys' ? 'not a known setting' : issue.message}`;
    });
    throw new ConfigurationError(`invalid usage-pipeline configuration: ${problems.join('; ')}`);
  }
  checkConsistency(result.data);
  return { config: result.data, ...(file ? { file } : {}) };
}

/** Rules across fields that the schema cannot state. */
function checkConsistency(config: InfraConfig): void {
  const rotation = config.functions['rotate-secrets']?.timeoutSeconds;
  if (rotation !== undefined && rotation <= config.rotationVerifyTimeoutSeconds + 30) {
    throw new ConfigurationError(
      `invalid usage-pipeline configuration: functions.rotate-secrets.timeoutSeconds: must exceed rotationVerifyTimeoutSeconds (${config.rotationVerifyTimeoutSeconds}) by more than 30 s`,
    );
  }
  const drain = config.functions.drain?.timeoutSeconds;
  if (drain !== undefined && drain < 60) {
    throw new ConfigurationError('invalid usage-pipeline configuration: functions.drain.timeoutSeconds: must be at least 60 (the drain keeps 30 s to stage and delete)');
  }
}

function sourceOf(sources: Map<string, string>, field: string): string | undefined {
  for (const [leaf, source] of sources) if (field === '' || leaf === field || leaf.startsWith(`${field}.`) || field.startsWith(`${leaf}.`)) return source;
  return undefined;
}

function parseVariable(name: string, raw: string, parse: Parser): unknown {
  switch (parse) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(',').map((item) => item.trim()).filter(Boolean);
    case 'number': {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new ConfigurationError(`invalid usage-pipeline configuration: ${name}: ${JSON.stringify(raw)} is not a number`);
      return value;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new ConfigurationError(`invalid usage-pipeline configuration: ${name}: ${JSON.stringify(raw)} is not true or false`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, fieldPath: readonly string[], value: unknown): void {
  let node = target;
  for (const key of fieldPath.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[fieldPath[fieldPath.length - 1]!] = value;
}

function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, child]) => {
    const here = prefix ? `${prefix}.${key}` : key;
    return isPlainObject(child) && Object.keys(child).length > 0 ? leafPaths(child, here) : [here];
  });
}
