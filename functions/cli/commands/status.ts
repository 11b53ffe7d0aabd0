/** `usage-pipeline status`: is the published data fresh, is anything stuck? */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import { S3ObjectStore } from '../../adapters/s3-object-store.js';
import { SqsMessageQueue } from '../../adapters/sqs-queue.js';
import { localStatusSources } from '../../../local/status-sources.js';
import { awsStatusSources } from '../../adapters/aws-status-sources.js';
import { checkStatus, describeAge, type PipelineStatus } from '../../monitor/status.js';
import { RUNTIME_DEFAULTS } from '../../config/environment.js';
import { UserFacingError } from '../errors.js';
import { DEFAULT_HOME } from '../defaults.js';

/** Exit status when the check ran and found something to look at. */
export const EXIT_PROBLEMS = 2;

interface StatusFlags {
  home: string;
  bucket?: string;
  queueUrl?: string;
  deadLetterQueueUrl?: string;
  stateMachineArn?: string;
  region?: string;
  endpoint?: string;
  maxAgeHours: string;
  json?: boolean;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('data age (from data/last_updated.txt), queue and dead-letter queue depth, and the last run; exit status 2 when something needs attention')
    .option('--home <dir>', 'the embedded default\'s home (when no AWS option is given)', DEFAULT_HOME)
    .option('--bucket <name>', 'check the deployed pipeline: its bucket')
    .option('--queue-url <url>', 'the deployed queue')
    .option('--dead-letter-queue-url <url>', 'its dead-letter queue')
    .option('--state-machine-arn <arn>', 'the deployed state machine (default: STATE_MACHINE_ARN)')
    .option('--region <region>', 'AWS region (default: the SDK\'s configuration)')
    .option('--endpoint <url>', 'AWS endpoint (an emulator)')
    .option('--max-age-hours <hours>', 'data older than this is stale', String(RUNTIME_DEFAULTS.maxDataAgeSeconds / 3600))
    .option('--json', 'print the status as one JSON object')
    .action(async (flags: StatusFlags) => {
      const maxAgeHours = Number(flags.maxAgeHours);
      if (!Number.isFinite(maxAgeHours) || maxAgeHours <= 0) throw new UserFacingError(`--max-age-hours: ${JSON.stringify(flags.maxAgeHours)} is not a positive number`);
      const status = await checkStatus(sourcesFor(flags), { maxAgeSeconds: Math.round(maxAgeHours * 3600) });
      process.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : describe(status));
      if (status.problems.length > 0) process.exitCode = EXIT_PROBLEMS;
    });
}

function sourcesFor(flags: StatusFlags) {
  const stateMachineArn = flags.stateMachineArn ?? process.env.STATE_MACHINE_ARN;
  const aws = flags.bucket || flags.queueUrl || flags.deadLetterQueueUrl || flags.stateMachineArn;
  if (!aws) return localStatusSources(flags.home);
  if (!flags.bucket) throw new UserFacingError('--bucket is needed to check a deployed pipeline');
  const config = { ...(flags.region ? { region: flags.region } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) };
  const sqs = new SQSClient(config);
  return awsStatusSources({
    bucket: new S3ObjectStore({ client: new S3Client({ ...config, forcePathStyle: Boolean(flags.endpoint) }), bucket: flags.bucket }),
    ...(flags.queueUrl ? { queue: new SqsMessageQueue({ client: sqs, queueUrl: flags.queueUrl }) } : {}),
    ...(flags.deadLetterQueueUrl ? { deadLetters: new SqsMessageQueue({ client: sqs, queueUrl: flags.deadLetterQueueUrl }) } : {}),
    ...(stateMachineArn ? { stepFunctions: { client: new SFNClient(config), stateMachineArn } } : {}),
  });
}

function describe(s: PipelineStatus): string {
  const depth = (d: { visible: number; inFlight: number } | null, what: string) =>
    d ? `${what}: ${d.visible} waiting, ${d.inFlight} in flight` : `${what}: not checked`;
  const lines = [
    s.lastUpdated === null ? 'data: never published' : `data: last updated ${s.lastUpdated} (${s.dataAgeSeconds === null ? 'unreadable' : `${describeAge(s.dataAgeSeconds)} ago`})`,
    depth(s.queue, 'queue'),
    depth(s.deadLetters, 'dead-letter queue'),
    ...(s.publishBacklog ? [`publish backlog: ${s.publishBacklog} path(s) built but not yet on the branch (the next runs publish them)`] : []),
    s.lock ? `lock: held by run ${s.lock.runId}${s.lock.holder ? ` (${s.lock.holder})` : ''} since ${s.lock.since}${s.lock.stale ? ` — STALE: ${s.lock.stale}` : ''}` : 'lock: free',
    s.lastRun ? `last run: ${s.lastRun.runId} ${s.lastRun.status.toLowerCase()}${s.lastRun.finishedAt ? ` at ${s.lastRun.finishedAt}` : ''}${s.lastRun.error ? ` (${s.lastRun.error})` : ''}` : 'last run: none recorded',
    s.problems.length === 0 ? 'all well' : s.problems.map((p) => `PROBLEM: ${p}`).join('\n'),
  ];
  return `${lines.join('\n')}\n`;
}
