/**
 * One temporary directory per test run: jest's globalSetup makes it and points TMPDIR at it
 * (workers, the CLI runs, git and Chromium inherit it), globalTeardown removes it. Without it,
 * every run left a few thousand directories in the machine's /tmp.
 *
 * A test that wants its files kept for a post-mortem (the deploy test after a failure) writes
 * KEEP_FILE at the root; the root is then kept and named. USAGE_KEEP_TEST_TMP=1 keeps it always.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT_VARIABLE = 'USAGE_TEST_TMP_ROOT';
export const KEEP_FILE = 'KEEP';

export function setup() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-tests-'));
  process.env[ROOT_VARIABLE] = root;
  process.env.TMPDIR = root;
}

export function teardown() {
  const root = process.env[ROOT_VARIABLE];
  if (!root) return;
  const keep = path.join(root, KEEP_FILE);
  if (process.env.USAGE_KEEP_TEST_TMP === '1' || existsSync(keep)) {
    const why = existsSync(keep) ? `: ${readFileSync(keep, 'utf8').trim()}` : '';
    process.stderr.write(`\nThe test run's temporary files are kept in ${root}${why}\n`);
    return;
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}
