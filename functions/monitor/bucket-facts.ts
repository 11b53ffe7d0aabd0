/** What the bucket says about the pipeline: the last run, the publish backlog, the freshness file. */
import { listAll, type ObjectStore } from '../core/object-store.js';
import { LAST_UPDATED_FILE } from '../core/site-paths.js';
import { RUNS_PREFIX, SITE_DATA_PREFIX } from '../core/bucket-layout.js';
import { readPending } from '../pipeline/pending.js';
import { readRunRecord, RunRecordError } from '../pipeline/run-records.js';
import type { LastRun } from './status.js';

/** The bytes as UTF-8 text, or null for no object. */
export function utf8OrNull(bytes: Uint8Array | null | undefined): string | null {
  return bytes ? Buffer.from(bytes).toString('utf8') : null;
}

/** `data/last_updated.txt` as the bucket's copy of the site has it. */
export async function lastUpdatedInBucket(bucket: ObjectStore): Promise<string | null> {
  return utf8OrNull((await bucket.get(`${SITE_DATA_PREFIX}${LAST_UPDATED_FILE}`))?.body);
}

export async function publishBacklogIn(bucket: ObjectStore): Promise<number> {
  const pending = await readPending({ bucket });
  return pending.written.length + pending.deleted.length;
}

/** The latest run recorded in the bucket: its report, its failure, or neither yet (running). */
export async function lastRunInBucket(bucket: ObjectStore): Promise<LastRun | null> {
  const records = await listAll(bucket, RUNS_PREFIX);
  if (records.length === 0) return null;
  const latest = records.reduce((a, b) => (b.lastModified > a.lastModified ? b : a));
  const runId = latest.key.slice(RUNS_PREFIX.length).split('/')[0] as string;
  const ofRun = new Set(records.filter((r) => r.key.startsWith(`${RUNS_PREFIX}${runId}/`)).map((r) => r.key));
  // A record that cannot be read still says how the run ended; what is wrong with it is a problem to report.
  let problem: string | undefined;
  const read = async (name: string) => {
    try {
      return await readRunRecord<Record<string, unknown>>({ bucket }, runId, name);
    } catch (error) {
      if (!(error instanceof RunRecordError)) throw error;
      problem = error.message;
      return null;
    }
  };
  if (ofRun.has(`${RUNS_PREFIX}${runId}/report.json`)) {
    const report = await read('report.json');
    return { runId, status: 'SUCCEEDED', ...(typeof report?.finishedAt === 'string' ? { finishedAt: report.finishedAt } : {}), ...(problem ? { problem } : {}) };
  }
  if (ofRun.has(`${RUNS_PREFIX}${runId}/failure.json`)) {
    const failure = await read('failure.json');
    const cause = failure?.cause as { errorMessage?: string } | string | undefined;
    const message = typeof cause === 'string' ? cause : cause?.errorMessage;
    return {
      runId,
      status: 'FAILED',
      ...(typeof failure?.failedAt === 'string' ? { finishedAt: failure.failedAt } : {}),
      error: [failure?.error, message].filter(Boolean).join(': '),
      ...(problem ? { problem } : {}),
    };
  }
  return { runId, status: 'RUNNING' };
}
