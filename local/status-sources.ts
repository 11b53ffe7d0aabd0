/** Where `usage-pipeline status` reads the embedded default's facts: HOME/site and HOME/bucket. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FsObjectStore } from '../functions/adapters/fs-object-store.js';
import { LocalGitPublisher } from '../functions/adapters/git-publisher.js';
import { processLockHolders } from '../functions/adapters/lock-holders.js';
import { branchDataPath, LAST_UPDATED_FILE } from '../functions/core/site-paths.js';
import { lastRunInBucket, publishBacklogIn, utf8OrNull } from '../functions/monitor/bucket-facts.js';
import type { StatusSources } from '../functions/monitor/status.js';
import { inspectLock } from '../functions/pipeline/lock.js';

export function localStatusSources(home: string): StatusSources {
  const bucket = new FsObjectStore(path.join(home, 'bucket'));
  return {
    async lastUpdated() {
      const site = path.join(home, 'site');
      if (!(await fs.stat(site).then(() => true, () => false))) return null;
      return utf8OrNull(await (await LocalGitPublisher.open(site)).readFile(branchDataPath(LAST_UPDATED_FILE)));
    },
    lastRun: () => lastRunInBucket(bucket),
    lock: (now) => inspectLock(bucket, processLockHolders, now),
    publishBacklog: () => publishBacklogIn(bucket),
  };
}
