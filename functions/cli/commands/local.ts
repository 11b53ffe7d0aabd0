/** `usage-pipeline local`: the embedded default, the whole pipeline on this machine. */
import { promises as fs } from 'node:fs';
import { Command, Option } from 'commander';
import { dayFromDate, parseIsoDay } from '../../core/days.js';
import { FsObjectStore } from '../../adapters/fs-object-store.js';
import { parseEventsFile, quarantineRefused, type EventsFile } from '../../../local/runner/events-file.js';
import { generateMessages } from '../../../local/generate.js';
import { runEmbedded, type EmbeddedReport } from '../../../local/runner/embedded.js';
import { DEFAULT_LOCK_WAIT_SECONDS } from '../../../local/runner/run-lock.js';
import { crashPointFromEnvironment } from '../../../local/runner/crash-points.js';
import { prepareHome } from '../../../local/runner/home.js';
import type { Log } from '../../core/log.js';
import { DEFAULT_HOME } from '../defaults.js';
import { UserFacingError } from '../errors.js';

interface LocalFlags {
  home: string;
  events?: string;
  generate?: string;
  seed: string;
  day?: string;
  rebuildAll?: boolean;
  limits: boolean;
  lockWait: string;
  publish: 'git' | 'github';
  json?: boolean;
  verbose?: boolean;
}


export function localCommand(): Command {
  return new Command('local')
    .description('run the whole pipeline on this machine: SNS → SQS → state machine → bucket directory → gh-pages in a local git repository')
    .option('--home <dir>', 'where the bucket (HOME/bucket) and the published repository (HOME/site) live', DEFAULT_HOME)
    .option('--events <file>', 'NDJSON of SNS message bodies (SQS bodies as the queue receives them) to publish first')
    .option('--generate <n>', 'publish n deterministic, realistic generated events first')
    .option('--seed <n>', 'seed of the generated events (other seeds, other traffic)', '1')
    .option('--day <YYYY-MM-DD>', 're-run one day without touching the queue')
    .option('--rebuild-all', 'rebuild every day without touching the queue')
    .option('--lock-wait <seconds>', 'how long to wait for another run that holds the lock before refusing (nothing is sent meanwhile)', String(DEFAULT_LOCK_WAIT_SECONDS))
    .option('--no-limits', "do not hold the run to production's limits (payload, history, each function's memory): for experiments only")
    .addOption(new Option('--publish <target>', 'publish with git directly, or through the GitHub API served locally').choices(['git', 'github']).default('git'))
    .option('--json', 'print the run report as one JSON object')
    .option('--verbose', 'log every step (JSON lines on stderr)')
    .action(async (flags: LocalFlags) => {
      const chosen = [flags.events && '--events', flags.generate && '--generate', flags.day && '--day', flags.rebuildAll && '--rebuild-all'].filter(Boolean);
      if (chosen.length > 1) throw new UserFacingError(`${chosen.join(' and ')} cannot be combined`);
      if (flags.day !== undefined) checkDay(flags.day);
      const lockWaitSeconds = Number(flags.lockWait);
      if (!Number.isFinite(lockWaitSeconds) || lockWaitSeconds < 0) throw new UserFacingError(`--lock-wait: ${JSON.stringify(flags.lockWait)} is not a number of seconds`);
      const crashPoint = crashPointFromEnvironment();
      const input = await readInput(flags);
      const home = await prepareHome(flags.home);
      const refused = await quarantineRefusedLines(flags, input, home.bucket);
      const progress = !flags.json && !flags.verbose && process.stderr.isTTY;
      const report = await runEmbedded({
        home: flags.home,
        messages: input.messages,
        bodies: input.bodies,
        ...(flags.day !== undefined ? { day: flags.day } : {}),
        ...(flags.rebuildAll ? { rebuildAll: true } : {}),
        limits: flags.limits,
        ...(crashPoint ? { checkpoint: crashPoint } : {}),
        lockWaitSeconds,
        onLockWait: (holder: string) => process.stderr.write(`waiting up to ${lockWaitSeconds} s for the lock: ${holder}\n`),
        publish: flags.publish,
        ...(flags.verbose ? { log: stderrLog } : {}),
        ...(progress ? { onState: (state: string) => process.stderr.write(`\r\x1b[K${state}`) } : {}),
      });
      if (progress) process.stderr.write('\r\x1b[K');
      process.stdout.write(flags.json ? `${JSON.stringify({ ...report, refused })}\n` : describe(report) + describeRefused(refused, report.bucket));
      if (report.status === 'FAILED') process.exitCode = 1;
      else if (report.daysRefused > 0) process.exitCode = REFUSED_DAYS_EXIT_CODE;
    });
}

/** The run succeeded but left days as published because their daily objects shrank. */
const REFUSED_DAYS_EXIT_CODE = 3;

function checkDay(text: string): void {
  const day = parseIsoDay(text);
  if (!day) throw new UserFacingError(`--day: ${JSON.stringify(text)} is not a real date as YYYY-MM-DD`);
  if (day > dayFromDate(new Date())) throw new UserFacingError(`--day: ${text} is in the future`);
}

async function readInput(flags: LocalFlags): Promise<EventsFile> {
  if (flags.events !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(flags.events, 'utf8');
    } catch (error) {
      throw new UserFacingError(`--events: cannot read ${flags.events}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return parseEventsFile(text);
  }
  if (flags.generate !== undefined) {
    const count = Number(flags.generate);
    if (!Number.isInteger(count) || count < 0 || count > 10_000_000) throw new UserFacingError(`--generate: ${JSON.stringify(flags.generate)} is not a whole number of events`);
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed)) throw new UserFacingError(`--seed: ${JSON.stringify(flags.seed)} is not a whole number`);
    return { messages: generateMessages({ count, seed }), bodies: [], refused: [] };
  }
  return { messages: [], bodies: [], refused: [] };
}

interface RefusedReport {
  readonly line: number;
  readonly reason: string;
  /** Where the line is quarantined, relative to HOME/bucket. */
  readonly key: string;
}

/** Lines of the events file no queue would take, quarantined before the run sends the others. */
async function quarantineRefusedLines(flags: LocalFlags, input: EventsFile, bucket: string): Promise<RefusedReport[]> {
  if (input.refused.length === 0) return [];
  const keys = await quarantineRefused(new FsObjectStore(bucket), flags.events ?? '', input.refused, new Date());
  return input.refused.map((line, i) => ({ line: line.line, reason: line.reason, key: keys[i] as string }));
}

function describeRefused(refused: readonly RefusedReport[], bucket: string): string {
  return refused.map((r) => `refused line ${r.line} of the events file: ${r.reason}; quarantined as ${bucket}/${r.key}\n`).join('');
}

const stderrLog: Log = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (message: string, ...extra: object[]) => process.stderr.write(`${JSON.stringify({ level, message, ...Object.assign({}, ...extra) })}\n`),
  ]),
) as unknown as Log;

function describe(r: EmbeddedReport): string {
  if (r.status === 'SKIPPED') return 'another execution took the lock; this one exited without doing anything\n';
  const dropped = Object.entries(r.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none';
  const lines = [
    `run ${r.runId} (${r.mode}): ${r.status === 'SUCCEEDED' ? 'succeeded' : 'FAILED'}`,
    `received ${r.received}, kept ${r.kept}, dropped ${Object.values(r.dropped).reduce((a, b) => a + b, 0)} (${dropped}), malformed ${r.malformed}`,
    `days merged ${r.daysMerged}, days built ${r.daysBuilt}${r.rejectedLines > 0 ? `, lines rejected ${r.rejectedLines}` : ''}`,
    ...(r.daysRefused > 0 ? [`days REFUSED ${r.daysRefused}: their daily objects shrank; the published days were kept (runs/${r.runId}/plan.json says which; re-run a day with --day to accept it)`] : []),
    `files published ${r.filesPublished}, commit ${r.commit ?? 'none (nothing changed)'}`,
    ...(r.publishBacklog > 0 ? [`publish backlog: ${r.publishBacklog} path(s) wait for the next run (${r.publishStoppedBy ?? 'stopped early'})`] : []),
  ];
  if (r.queue) lines.push(`queue: ${r.queue.remaining} left, dead-letter queue: ${r.queue.deadLetters}`);
  lines.push(describeLimits(r.limits));
  lines.push(`bucket ${r.bucket}`, `site   ${r.site} (branch gh-pages)`);
  if (r.malformed > 0) lines.push(`malformed bodies are quarantined under ${r.bucket}/rejected/`);
  if (r.failure) lines.push(`failure: ${r.failure.error}: ${typeof r.failure.cause === 'string' ? r.failure.cause : JSON.stringify(r.failure.cause)}`);
  return `${lines.join('\n')}\n`;
}

function describeLimits(limits: EmbeddedReport['limits']): string {
  if (!limits.enforced) return 'limits: NOT enforced (--no-limits)';
  const share = (used: number, limit: number) => `${Math.round((used / limit) * 100)} %`;
  const busiest = Object.entries(limits.steps)
    .filter(([, s]) => s?.peakMemoryMb !== null && s?.peakMemoryMb !== undefined)
    .sort(([, a], [, b]) => (b!.peakMemoryMb as number) / b!.memoryMb - (a!.peakMemoryMb as number) / a!.memoryMb)[0];
  const memory = busiest ? `; memory: ${busiest[0]} peaked at ${busiest[1]!.peakMemoryMb} of ${busiest[1]!.memoryMb} MB (${share(busiest[1]!.peakMemoryMb as number, busiest[1]!.memoryMb)})` : '';
  return (
    `limits: history ${limits.historyEvents} of ${limits.historyEventLimit} events; ` +
    `largest payload ${limits.largestPayload.bytes} of ${limits.payloadLimitBytes} bytes (${limits.largestPayload.where})${memory}`
  );
}
