/**
 * Worker threads for month tasks. The workers run a bundle of the month task, plain JavaScript
 * that starts in milliseconds and costs far less memory than loading TypeScript through a
 * transpiling loader in every thread: the cached one (support/source-bundle.mjs), or where the
 * cache cannot be written, one made with esbuild for this build.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { SourceDay } from '../core/build-plan.js';
import { bundledEntry } from '../support/source-bundle.mjs';
import type { MonthTask, MonthTaskResult } from './month-task.js';

/**
 * A worker holds one day's data at a time and re-uses its buffers, so a modest heap is plenty;
 * the caps make V8 collect instead of growing, which keeps peak RSS (all threads) low.
 */
const WORKER_OLD_GENERATION_MB = 256;
const WORKER_YOUNG_GENERATION_MB = 8;

export interface MonthPool {
  readonly threads: number;
  /**
   * Runs the months, largest first so a big month does not finish last on its own. Each result
   * goes to `onMonth` as it comes; what that returns is kept, in month order.
   */
  run<T>(tasks: readonly MonthTask[], onMonth: (task: MonthTask, result: MonthTaskResult) => T): Promise<T[]>;
  /** Stops the threads and removes the bundle; the same promise however often it is called. */
  destroy(): Promise<void>;
}

/** Starts bundling and the threads at once; they boot while the caller does other work. */
export function startMonthPool(threads: number): MonthPool {
  const ready = (async () => {
    const bundle = await bundleMonthTask();
    const pool = new Piscina<MonthTask, MonthTaskResult>({
      filename: pathToFileURL(bundle.file).href,
      minThreads: threads,
      maxThreads: threads,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    return { bundle, pool };
  })();
  // A failure surfaces when the pool is used; until then it must not be an unhandled rejection.
  ready.catch(() => undefined);
  let destroyed: Promise<void> | null = null;
  return {
    threads,
    async run(tasks, onMonth) {
      const { pool } = await ready;
      const order = [...tasks].sort((a, b) => totalSize(b.days) - totalSize(a.days));
      const kept = await Promise.all(order.map(async (task) => ({ month: task.month, kept: onMonth(task, await pool.run(task)) })));
      return kept.sort((a, b) => (a.month < b.month ? -1 : 1)).map((each) => each.kept);
    },
    destroy() {
      destroyed ??= (async () => {
        const started = await ready.catch(() => null);
        if (!started) return;
        await started.pool.destroy();
        await started.bundle.remove();
      })();
      return destroyed;
    },
  };
}

const MONTH_TASK = fileURLToPath(new URL('./month-task.ts', import.meta.url));

async function bundleMonthTask(): Promise<{ file: string; remove: () => Promise<void> }> {
  const cached = await bundledEntry({ entry: MONTH_TASK });
  if (cached) return { file: fileURLToPath(cached), remove: async () => undefined };
  const { build } = await import('esbuild');
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-build-'));
  const file = path.join(directory, 'month-task.mjs');
  await build({ entryPoints: [MONTH_TASK], outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
  return { file, remove: () => fs.rm(directory, { recursive: true, force: true }) };
}

function totalSize(days: readonly SourceDay[]): number {
  return days.reduce((sum, d) => sum + d.size, 0);
}
