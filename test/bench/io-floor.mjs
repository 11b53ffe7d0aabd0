/**
 * The file-system floor of a full build, for the build benchmark: every daily object read, and
 * its bytes written as its day file and as part of its month's rollup (each file a temp file
 * renamed into place, as the store writes), with no line work at all, on as many threads as the
 * build uses and months shared out largest first. A build can be no faster than this plus its
 * start-up.
 *
 * `node io-floor.mjs DAILY_OBJECTS OUT THREADS`; prints `{"seconds": …}` (from the process's start).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, threadId, Worker, workerData } from 'node:worker_threads';

if (isMainThread) {
  const [input, out, threads] = process.argv.slice(2);
  rmSync(out, { recursive: true, force: true });
  const days = readdirSync(input).filter((name) => /^\d{8}$/.test(name)).sort();
  const months = new Map();
  for (const day of days) {
    const month = day.slice(0, 6);
    months.set(month, (months.get(month) ?? 0) + statSync(path.join(input, day)).size);
  }
  const shares = Array.from({ length: Math.max(1, Number(threads)) }, () => ({ months: [], size: 0 }));
  for (const [month, size] of [...months].sort((a, b) => b[1] - a[1])) {
    const least = shares.reduce((a, b) => (b.size < a.size ? b : a));
    least.months.push(month);
    least.size += size;
  }
  await Promise.all(
    shares.map(
      (share) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { input, out, days, months: share.months } });
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`floor worker exited with ${code}`))));
        }),
    ),
  );
  console.log(JSON.stringify({ seconds: performance.now() / 1000 }));
  rmSync(out, { recursive: true, force: true });
} else {
  const { input, out, days, months } = workerData;
  const temp = path.join(out, '.tmp', String(threadId));
  mkdirSync(temp, { recursive: true });
  let files = 0;
  const put = (file, bytes) => {
    const name = path.join(temp, String(files++));
    writeFileSync(name, bytes);
    mkdirSync(path.dirname(file), { recursive: true });
    renameSync(name, file);
  };
  for (const month of months) {
    const bodies = [];
    for (const day of days.filter((d) => d.startsWith(month))) {
      const bytes = readFileSync(path.join(input, day));
      put(path.join(out, 'date', month.slice(0, 4), month.slice(4), `${day}.json`), bytes);
      bodies.push(bytes);
    }
    put(path.join(out, 'date', month.slice(0, 4), `${month.slice(4)}.json`), Buffer.concat(bodies));
  }
}
