/** Publish: the pending paths, as they are in the site mirror, in one commit. */
import type { PublishFile } from '../core/publisher.js';
import { siteRoot } from './site-mirror.js';
import type { PipelineDeps } from './deps.js';
import { clearPending, readPending } from './pending.js';

export interface PublishInput {
  readonly runId: string;
  /** Days this run rebuilt, for the commit message. */
  readonly days?: readonly string[];
}

export interface PublishOutput {
  readonly commit: string | null;
  readonly filesPublished: number;
  readonly head: string | null;
}

export async function publish(deps: PipelineDeps, input: PublishInput): Promise<PublishOutput> {
  const pending = await readPending(deps);
  if (pending.written.length === 0 && pending.deleted.length === 0) {
    deps.log.info('nothing to publish');
    return { commit: null, filesPublished: 0, head: null };
  }
  const root = siteRoot(deps);
  const files: PublishFile[] = [];
  const deletions = [...pending.deleted];
  for (const path of pending.written) {
    const object = await root.get(path);
    // Removed from the mirror since it was marked: publish the removal instead.
    if (object) files.push({ path, content: object.body });
    else deletions.push(path);
  }
  await deps.checkpoint('publish:before-commit');
  const result = await deps.publisher.publish({ files, deletions, message: commitMessage(input, files.length, deletions.length) });
  await deps.checkpoint('publish:after-commit');
  await clearPending(deps);
  deps.log.info('published', { target: deps.publisher.target, commit: result.commit, changed: result.changed.length });
  return { commit: result.commit, filesPublished: result.changed.length, head: result.head };
}

function commitMessage(input: PublishInput, files: number, deletions: number): string {
  const days = [...(input.days ?? [])].sort();
  const dayList = days.length === 0 ? 'no day rebuilt' : days.length <= 5 ? days.join(', ') : `${days.slice(0, 3).join(', ')} … ${days.at(-1)} (${days.length} days)`;
  return [
    `Update usage data: ${dayList}`,
    '',
    `${files} file(s) written, ${deletions} removed.`,
    `Run: ${input.runId}`,
    'Published by usage-pipeline.',
    '',
  ].join('\n');
}
