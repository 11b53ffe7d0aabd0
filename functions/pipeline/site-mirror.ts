/**
 * The bucket's copy of the published tree (`site/`): what the build steps write and the
 * publish step reads. Paths under it are the branch's paths.
 */
import type { ObjectStore } from '../core/object-store.js';
import { withPrefix } from '../core/prefixed-store.js';
import { SITE_DATA_PREFIX, SITE_PREFIX } from '../core/bucket-layout.js';
import type { PipelineDeps } from './deps.js';

/** The published `data/` tree as last built. */
export function siteData(deps: PipelineDeps): ObjectStore {
  return withPrefix(deps.bucket, SITE_DATA_PREFIX);
}

/** The whole published tree as last built (`data/`, `charts/`). */
export function siteRoot(deps: PipelineDeps): ObjectStore {
  return withPrefix(deps.bucket, SITE_PREFIX);
}
