/**
 * Publish: the pending paths, as they are in the site mirror, read one at a time by the
 * publisher, in an order that keeps the branch consistent after every commit. A publish that
 * its budget stops early keeps the rest pending for the next run and says which limit stopped
 * it: a backlog is reported (output, metric, log), never a silent stall.
 */
import type { PublishEntry, PublishStop } from '../core/publisher.js';
import { siteRoot } from './site-mirror.js';
import type { PipelineDeps } from './deps.js';
import { keepPending, readPending } from './pending.js';
import { PLAN_RECORD, type PlanRecord } from './plan.js';
import { publishingOrder } from './publish-order.js';
import { readRunRecord } from './run-records.js';

export interface PublishInput {
  readonly runId: string;
  /** Days this run rebuilt, for the commit message (default: the run's plan). */
  readonly days?: readonly string[];
}

export interface PublishOutput {
  readonly commit: string | null;
  readonly filesPublished: number;
  readonly head: string | null;
  /** Paths still waiting for a later run: 0 once the branch has everything built. */
  readonly publishBacklog: number;
  /** The budget that stopped this publish before its end, or null. */
  readonly stoppedBy: PublishStop | null;
  /** GitHub requests this publish made (total, content-creating, largest body), where there was a remote. */
  readonly requests?: { readonly total: number; readonly contentCreating: number; readonly largestBodyBytes: number };
}

export async function publish(deps: PipelineDeps, input: PublishInput): Promise<PublishOutput> {
  const pending = await readPending(deps);
  if (pending.written.length === 0 && pending.deleted.length === 0) {
    deps.log.info('nothing to publish');
    deps.metrics?.publish([{ name: 'PublishBacklog', unit: 'Count', value: 0 }]);
    return { commit: null, filesPublished: 0, head: null, publishBacklog: 0, stoppedBy: null };
  }
  const root = siteRoot(deps);
  const entries: PublishEntry[] = publishingOrder(pending.written, pending.deleted).map(({ path, removed }) => ({
    path,
    // Read when the publisher gets to it; removed from the mirror since it was marked: a removal.
    read: async () => (removed ? null : ((await root.get(path))?.body ?? null)),
  }));
  const days = input.days ?? (await readRunRecord<PlanRecord>(deps, input.runId, PLAN_RECORD))?.changed.map((d) => d.day) ?? [];
  await deps.checkpoint('publish:before-commit');
  const result = await deps.publisher.publish({ entries, message: (summary) => commitMessage(input.runId, days, summary) });
  await deps.checkpoint('publish:after-commit');

  const deleted = new Set(pending.deleted);
  await keepPending(deps, {
    written: result.remaining.filter((path) => !deleted.has(path)),
    deleted: result.remaining.filter((path) => deleted.has(path)),
  });
  const output: PublishOutput = {
    commit: result.commit,
    filesPublished: result.changed.length,
    head: result.head,
    publishBacklog: result.remaining.length,
    stoppedBy: result.stoppedBy,
    ...(result.requests ? { requests: result.requests } : {}),
  };
  deps.metrics?.publish([{ name: 'PublishBacklog', unit: 'Count', value: output.publishBacklog }]);
  if (result.stoppedBy) deps.log.warn('publish stopped by its budget; the rest stays pending', { target: deps.publisher.target, ...output });
  else deps.log.info('published', { target: deps.publisher.target, ...output });
  return output;
}

function commitMessage(runId: string, built: readonly string[], summary: { written: number; deleted: number; remaining: number }): string {
  const days = [...built].sort();
  const dayList = days.length === 0 ? 'no day rebuilt' : days.length <= 5 ? days.join(', ') : `${days.slice(0, 3).join(', ')} … ${days.at(-1)} (${days.length} days)`;
  return [
    `Update usage data: ${dayList}`,
    '',
    `${summary.written} file(s) written, ${summary.deleted} removed.`,
    ...(summary.remaining > 0 ? [`Part of a larger publish: ${summary.remaining} path(s) follow in later runs.`] : []),
    `Run: ${runId}`,
    'Published by usage-pipeline.',
    '',
  ].join('\n');
}
