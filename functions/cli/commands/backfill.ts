/**
 * `usage-pipeline backfill`: the Asterisk metrics log, read on stdin, sent into the pipeline as
 * the live events would have been — published to the SNS topic, sent to the drain's SQS queue
 * in the SNS envelope, or written as NDJSON envelopes for `usage-pipeline local --events`.
 */
import { promises as fs, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Command } from 'commander';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  assertTimeZone,
  backfillLine,
  DEFAULT_BACKFILL_HOSTNAME,
  DEFAULT_BACKFILL_TIME_ZONE,
  snsEnvelope,
  TimeZoneError,
  type BackfillEvent,
} from '../../core/backfill.js';
import { awsErrorMessage } from '../../adapters/aws-error.js';
import { UserFacingError } from '../errors.js';

/** Exit status when everything that parsed was sent but some lines were skipped. */
export const EXIT_SKIPPED = 2;
/** SNS PublishBatch and SQS SendMessageBatch take at most ten entries. */
const BATCH_SIZE = 10;
/** Batches in flight at once against SNS or SQS (a file is written in order, one at a time). */
const AWS_CONCURRENCY = 8;
/** Extra attempts for entries a batch call reports failed through no fault of the sender. */
const ENTRY_RETRIES = 2;

interface BackfillFlags {
  topicArn?: string;
  queueUrl?: string;
  out?: string;
  hostname: string;
  timeZone: string;
  region?: string;
  endpoint?: string;
  json?: boolean;
}

export type BackfillTarget = 'sns' | 'sqs' | 'file';

export interface BackfillSummary {
  target: BackfillTarget;
  lines: number;
  sent: number;
  skipped: number;
  failed: number;
  /** Lines in a fall-back hour, stamped with its first occurrence. */
  ambiguous: number;
  rejections: { line: number; reason: string }[];
  failures: { line: number; reason: string }[];
}

interface Pending {
  line: number;
  event: BackfillEvent;
}

interface EntryFailure {
  index: number;
  reason: string;
  /** The sender's fault (a malformed entry): retrying cannot help. */
  senderFault: boolean;
}

interface Sink {
  readonly target: BackfillTarget;
  readonly concurrency: number;
  /** Entries the destination refused, by index in `batch`; throws when the whole call failed. */
  send(batch: readonly Pending[]): Promise<EntryFailure[]>;
  /** Called once everything was sent (commits a file), or with `failed` to clean up. */
  close(failed: boolean): Promise<void>;
}

export function backfillCommand(): Command {
  return new Command('backfill')
    .description('send lines of the Asterisk metrics log (on stdin) into the pipeline as live events would arrive')
    .option('--topic-arn <arn>', 'publish to this SNS topic (PublishBatch)')
    .option('--queue-url <url>', "send SNS envelopes straight to the drain's SQS queue (SendMessageBatch)")
    .option('--out <file>', 'write one SNS envelope per line (NDJSON) to a file, or - for stdout')
    .option('--hostname <name>', 'hostname the events claim to come from', DEFAULT_BACKFILL_HOSTNAME)
    .option('--time-zone <zone>', 'IANA time zone the log was written in', DEFAULT_BACKFILL_TIME_ZONE)
    .option('--region <region>', 'AWS region (default: the one in the topic ARN or queue URL, else the SDK default)')
    .option('--endpoint <url>', 'AWS endpoint override (a local emulator)')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      `
Lines look like:
  2022-04-04 22:45:55,436 UNIQUEID=1833323238.399, CHANNEL=SIP/630-0000011f, name=filterdial
Times are local wall times in --time-zone. A time in the repeated fall-back hour is taken as its
first occurrence; a time in the skipped spring-forward hour does not exist and its line is skipped.
With --out -, the envelopes go to stdout and the summary to stderr.
Exit status: 0 all lines sent, 2 some lines skipped (reported on stderr), 1 an error.`,
    )
    .action(async (flags: BackfillFlags) => {
      const targets = [flags.topicArn, flags.queueUrl, flags.out].filter((t) => t !== undefined);
      if (targets.length !== 1) throw new UserFacingError('give exactly one of --topic-arn, --queue-url and --out');
      try {
        assertTimeZone(flags.timeZone);
      } catch (error) {
        if (error instanceof TimeZoneError) throw new UserFacingError(`--time-zone: ${error.message}`);
        throw error;
      }
      if (flags.hostname.trim() === '') throw new UserFacingError('--hostname must not be empty');
      if (flags.endpoint !== undefined && !isHttpUrl(flags.endpoint)) throw new UserFacingError(`--endpoint: ${JSON.stringify(flags.endpoint)} is not an http(s) URL`);
      if (process.stdin.isTTY) throw new UserFacingError('reads the metrics log on stdin: usage-pipeline backfill ... < metrics.txt');

      const sink = await openSink(flags);
      const summary = await run(sink, flags);
      // With `--out -` stdout carries the envelopes, so the summary goes to stderr.
      const report = sink.target === 'file' && flags.out === '-' ? process.stderr : process.stdout;
      report.write(flags.json ? `${JSON.stringify(summary)}\n` : describe(summary));
      if (summary.failed > 0) throw new UserFacingError(`${summary.failed} message(s) could not be sent (see above)`);
      if (summary.skipped > 0) process.exitCode = EXIT_SKIPPED;
    });
}

async function run(sink: Sink, flags: BackfillFlags): Promise<BackfillSummary> {
  const summary: BackfillSummary = { target: sink.target, lines: 0, sent: 0, skipped: 0, failed: 0, ambiguous: 0, rejections: [], failures: [] };
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;

  const dispatch = async (batch: Pending[]) => {
    const task = sendWithRetries(sink, batch)
      .then((failures) => {
        summary.sent += batch.length - failures.length;
        for (const failure of failures) {
          summary.failed++;
          summary.failures.push(failure);
          process.stderr.write(`usage-pipeline backfill: line ${failure.line}: not sent: ${failure.reason}\n`);
        }
      })
      .catch((error: unknown) => {
        fatal ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= sink.concurrency) await Promise.race(inFlight);
  };

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let batch: Pending[] = [];
  try {
    for await (const text of lines) {
      const line = ++summary.lines;
      const result = backfillLine(text, { hostname: flags.hostname, timeZone: flags.timeZone });
      if (result.kind === 'blank') continue;
      if (result.kind === 'rejected') {
        summary.skipped++;
        summary.rejections.push({ line, reason: result.reason });
        process.stderr.write(`usage-pipeline backfill: line ${line}: skipped: ${result.reason}\n`);
        continue;
      }
      if (result.event.ambiguous) summary.ambiguous++;
      batch.push({ line, event: result.event });
      if (batch.length === BATCH_SIZE) {
        await dispatch(batch);
        batch = [];
        if (fatal !== undefined) break;
      }
    }
    if (batch.length > 0 && fatal === undefined) await dispatch(batch);
    await Promise.all(inFlight);
  } finally {
    lines.close();
  }
  if (fatal !== undefined) {
    await sink.close(true).catch(() => undefined);
    throw new UserFacingError(`stopped after sending ${summary.sent} message(s) (line ${summary.lines}): ${sink.target === 'file' ? (fatal as Error).message : awsErrorMessage(fatal)}`);
  }
  await sink.close(false);
  return summary;
}

async function sendWithRetries(sink: Sink, batch: Pending[]): Promise<{ line: number; reason: string }[]> {
  const failed: { line: number; reason: string }[] = [];
  let pending = batch;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const retry: Pending[] = [];
    for (const failure of await sink.send(pending)) {
      const entry = pending[failure.index];
      if (!entry) throw new Error(`the service reported a failure for an unknown batch entry (${failure.reason})`);
      if (failure.senderFault || attempt === ENTRY_RETRIES) failed.push({ line: entry.line, reason: failure.reason });
      else retry.push(entry);
    }
    pending = retry;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
  return failed;
}

async function openSink(flags: BackfillFlags): Promise<Sink> {
  const endpoint = flags.endpoint ? { endpoint: flags.endpoint } : {};
  if (flags.topicArn !== undefined) {
    const topicArn = flags.topicArn;
    const arn = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/.exec(topicArn);
    if (!arn) throw new UserFacingError(`--topic-arn: ${JSON.stringify(topicArn)} is not an SNS topic ARN`);
    if (topicArn.endsWith('.fifo')) throw new UserFacingError('--topic-arn: FIFO topics are not supported (the live topic is a standard topic)');
    const client = new SNSClient({ region: flags.region ?? arn[1]!, ...endpoint });
    return {
      target: 'sns',
      concurrency: AWS_CONCURRENCY,
      async send(batch) {
        const response = await client.send(
          new PublishBatchCommand({
            TopicArn: topicArn,
            PublishBatchRequestEntries: batch.map((p, index) => ({ Id: String(index), Message: p.event.message })),
          }),
        );
        return entryFailures(response.Failed);
      },
      async close() {
        client.destroy();
      },
    };
  }
  if (flags.queueUrl !== undefined) {
    const queueUrl = flags.queueUrl;
    if (!isHttpUrl(queueUrl)) throw new UserFacingError(`--queue-url: ${JSON.stringify(queueUrl)} is not an SQS queue URL`);
    if (new URL(queueUrl).pathname.endsWith('.fifo')) throw new UserFacingError('--queue-url: FIFO queues are not supported (the live queue is a standard queue)');
    const region = flags.region ?? regionOfQueueUrl(queueUrl);
    const client = new SQSClient({ ...(region ? { region } : {}), ...endpoint });
    return {
      target: 'sqs',
      concurrency: AWS_CONCURRENCY,
      async send(batch) {
        const response = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((p, index) => ({ Id: String(index), MessageBody: snsEnvelope(p.event) })),
          }),
        );
        return entryFailures(response.Failed);
      },
      async close() {
        client.destroy();
      },
    };
  }
  return openFileSink(flags.out!);
}

function entryFailures(failed: { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[] | undefined): EntryFailure[] {
  return (failed ?? []).map((f) => ({
    index: Number(f.Id),
    reason: `${f.Code ?? 'Failed'}${f.Message ? `: ${f.Message}` : ''}`,
    senderFault: f.SenderFault ?? false,
  }));
}

/** Writes beside the target and renames at the end, so a failed run leaves no half file. */
async function openFileSink(out: string): Promise<Sink> {
  if (out === '-') {
    return {
      target: 'file',
      concurrency: 1,
      async send(batch) {
        await write(process.stdout, batch.map((p) => `${snsEnvelope(p.event)}\n`).join(''));
        return [];
      },
      async close() {},
    };
  }
  const target = path.resolve(out);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  let stream: WriteStream;
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    stream = createWriteStream(temporary, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
  } catch (error) {
    throw new UserFacingError(`--out: cannot write ${out}: ${(error as Error).message}`);
  }
  return {
    target: 'file',
    concurrency: 1,
    async send(batch) {
      await write(stream, batch.map((p) => `${snsEnvelope(p.event)}\n`).join(''));
      return [];
    },
    async close(failed) {
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (failed) await fs.rm(temporary, { force: true });
      else await fs.rename(temporary, target);
    },
  };
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    stream.once('error', onError);
    const flushed = stream.write(text, (error) => {
      stream.off('error', onError);
      if (error) reject(error);
      else if (flushed) resolve();
    });
    if (!flushed) stream.once('drain', () => resolve());
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `https://sqs.us-west-2.amazonaws.com/…` or the legacy `https://us-west-2.queue.amazonaws.com/…`. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  const host = new URL(queueUrl).hostname;
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

function describe(s: BackfillSummary): string {
  const parts = [`sent ${s.sent}`, `skipped ${s.skipped}`];
  if (s.failed > 0) parts.push(`failed ${s.failed}`);
  const where = { sns: 'to the SNS topic', sqs: 'to the SQS queue', file: 'to the file' }[s.target];
  const lines = [`${parts.join(', ')} (${s.lines} lines read; ${where})`];
  if (s.ambiguous > 0) lines.push(`${s.ambiguous} line(s) fell in a repeated fall-back hour and were stamped with its first occurrence`);
  return `${lines.join('\n')}\n`;
}
