/**
 * Finalize: what spans months. The event list, the summary index and series, the all-time
 * per-pair files, the state and `last_updated.txt`, and the charts page, from the months the
 * build step recorded. The state goes last: a crash before it makes the next run plan the
 * same days again.
 */
import { parsePairKey, rebuildPairs } from '../core/day-files.js';
import { finishSite, readState } from '../core/site-finish.js';
import { emptyChanges, mergeChanges, writeIfChanged } from '../core/site-writes.js';
import { branchDataPath, eventChannelPath } from '../core/site-paths.js';
import { readMonthOutcomes } from './build-month.js';
import type { PipelineDeps } from './deps.js';
import { addPending } from './pending.js';
import { readPlan } from './plan.js';
import { siteData, siteRoot } from './site-mirror.js';

export interface FinalizeOutput {
  /** Site files changed by this run (data and charts). */
  readonly changed: number;
  /** Paths waiting to be published, including any left by an earlier failed publish. */
  readonly pending: number;
  readonly rejected: number;
  /** Days left as published because their daily object shrank. */
  readonly refused: number;
}

export async function finalize(deps: PipelineDeps, runId: string): Promise<FinalizeOutput> {
  const plan = await readPlan(deps, runId);
  const site = siteData(deps);
  const changes = emptyChanges();
  const eventNames = new Set<string>();
  const touchedPairs = new Set<string>();
  let rejected = 0;
  const outcomes = await readMonthOutcomes(deps, runId, plan);
  // The all-time summary files are updated for the months rewritten, when every one says how.
  const monthSummaries = outcomes.every((o) => o.summary !== undefined) ? outcomes.flatMap((o) => (o.summary ? [o.summary] : [])) : undefined;
  for (const outcome of outcomes) {
    mergeChanges(changes, outcome.changes);
    outcome.eventNames.forEach((name) => eventNames.add(name));
    outcome.touchedPairs.forEach((pair) => touchedPairs.add(pair));
    rejected += outcome.rejected;
  }
  if (deps.config.layouts.includes('event') && touchedPairs.size > 0) {
    const pairPaths = [...touchedPairs].map((pair) => eventChannelPath(...parsePairKey(pair)));
    await addPending(deps, { written: pairPaths.map(branchDataPath), deleted: [] });
    mergeChanges(changes, await rebuildPairs(site, touchedPairs));
  }
  await deps.checkpoint('finalize:before-site');
  if (plan.changed.length > 0 || Object.keys(plan.summaryMonths).length > 0) {
    const state = await readState(site);
    mergeChanges(changes, (await finishSite(site, { layouts: deps.config.layouts, built: plan.changed, eventNames, state, ...(monthSummaries ? { monthSummaries } : {}) })).changes);
  }
  const changed = [...changes.written, ...changes.deleted].map(branchDataPath);
  changed.push(...(await writeChartsPage(deps)));
  const pending = await addPending(deps, { written: changed, deleted: [] });
  await deps.checkpoint('finalize:after-site');
  const output: FinalizeOutput = { changed: changed.length, pending: pending.written.length + pending.deleted.length, rejected, refused: plan.refused.length };
  deps.log.info('site finalized', { ...output });
  return output;
}

/** The charts page, announced to the publisher before the mirror's copy changes. */
async function writeChartsPage(deps: PipelineDeps): Promise<string[]> {
  if (!deps.chartsFiles) return [];
  const root = siteRoot(deps);
  const files = await deps.chartsFiles();
  const differing: string[] = [];
  for (const [path, content] of files) {
    const current = await root.get(path);
    if (!current || !Buffer.from(current.body).equals(Buffer.from(content))) differing.push(path);
  }
  if (differing.length === 0) return [];
  await addPending(deps, { written: differing, deleted: [] });
  const charts = emptyChanges();
  for (const path of differing) await writeIfChanged(root, path, files.get(path) as Uint8Array, charts);
  return differing;
}
