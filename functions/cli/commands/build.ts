/** `usage-pipeline build`: the static generator, run locally and incrementally. */
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { runBuild, type BuildSummary } from '../../generator/run-build.js';
import { parseDay, type Day } from '../../core/days.js';
import { DEFAULT_LAYOUTS, parseLayouts } from '../../core/layouts.js';
import { formatBytes } from '../../core/format.js';
import { UserFacingError } from '../errors.js';

/** Exit status when the build finished but some lines could not become events. */
export const EXIT_REJECTED = 2;
/** Exit status when a day was refused because its daily object shrank (the published day is kept). */
export const EXIT_REFUSED = 3;

interface BuildFlags {
  input: string;
  out: string;
  layouts: string;
  days?: string;
  force?: boolean;
  json?: boolean;
  threads?: string;
}

export function parseDayList(text: string): Day[] {
  return text.split(',').map((part) => {
    const day = parseDay(part.trim());
    if (!day) throw new UserFacingError(`--days: ${JSON.stringify(part.trim())} is not a real date (YYYYMMDD or YYYY-MM-DD)`);
    return day;
  });
}

export function buildCommand(): Command {
  return new Command('build')
    .description('build the published data/ tree from a local copy of the bucket (incremental, like the old static generator)')
    .requiredOption('--input <dir>', 'local copy of the bucket, holding events/prod/YYYYMMDD')
    .requiredOption('--out <dir>', 'the data/ directory to update (may hold a previous build and its updated_state.json)')
    .option('--layouts <list>', `comma-separated layouts: date,channel,event,summary`, DEFAULT_LAYOUTS.join(','))
    .option('--days <list>', 'rebuild exactly these days (YYYYMMDD or YYYY-MM-DD, comma-separated)')
    .option('--force', 'rebuild every day, whatever updated_state.json says')
    .option('--json', 'print the summary as one JSON object')
    .addOption(new Option('--threads <n>', 'worker threads; 0 builds in the main thread (default: one per core for large builds)').hideHelp())
    .action(async (flags: BuildFlags) => {
      let layouts;
      try {
        layouts = parseLayouts(flags.layouts);
      } catch (error) {
        throw new UserFacingError(`--layouts: ${(error as Error).message}`);
      }
      const threads = flags.threads === undefined ? undefined : Number(flags.threads);
      if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) throw new UserFacingError('--threads must be a whole number');
      const bar = !flags.json && process.stderr.isTTY ? new SingleBar({ format: 'building {bar} {value}/{total} days | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : null;
      const summary = await runBuild({
        input: flags.input,
        out: flags.out,
        layouts,
        ...(flags.days ? { days: parseDayList(flags.days) } : {}),
        force: flags.force ?? false,
        ...(threads !== undefined ? { threads } : {}),
        onPlan: ({ daysToRead }) => bar?.start(daysToRead, 0),
        onProgress: ({ daysDone }) => bar?.update(daysDone),
      }).finally(() => bar?.stop());
      process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : describe(summary));
      if (summary.refused.length > 0) process.exitCode = EXIT_REFUSED;
      else if (summary.rejected > 0) process.exitCode = EXIT_REJECTED;
    });
}

function describe(s: BuildSummary): string {
  const lines = [
    `scanned ${s.daysScanned} days; rebuilt ${s.daysRebuilt} days in ${s.monthsRebuilt} month(s)`,
    `wrote ${s.filesWritten} files (${formatBytes(s.bytesWritten)}), deleted ${s.filesDeleted}`,
    `${s.events.toLocaleString('en-US')} events from ${formatBytes(s.bytesRead)} in ${s.seconds.toFixed(2)} s (${s.mbPerSecond.toFixed(1)} MB/s${s.threads > 0 ? `, ${s.threads} threads` : ''})`,
  ];
  if (s.ignoredKeys.length > 0) lines.push(`ignored ${s.ignoredKeys.length} keys that are not daily objects: ${s.ignoredKeys.slice(0, 5).join(', ')}${s.ignoredKeys.length > 5 ? ', …' : ''}`);
  for (const r of s.rejections) lines.push(`rejected ${r.file}:${r.line}: ${r.reason}`);
  if (s.rejected > 0) lines.push(`${s.rejected} line(s) rejected: they are not in the published data`);
  for (const r of s.refused) lines.push(`REFUSED ${r.reason}; the published day was kept (rebuild it with --days ${r.day} to accept the smaller object)`);
  return `${lines.join('\n')}\n`;
}
