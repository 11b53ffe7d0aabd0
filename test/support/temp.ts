import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEEP_FILE, ROOT_VARIABLE } from './global-temp.mjs';

export async function tempDir(prefix = 'usage-pipeline-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Every file under a directory, as sorted relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** Keeps this run's temporary files (test/support/global-temp.mjs) for a post-mortem, saying why. */
export async function keepTemporaryFiles(why: string): Promise<void> {
  const root = process.env[ROOT_VARIABLE];
  if (root) await fs.writeFile(path.join(root, KEEP_FILE), `${why}\n`, { flag: 'a' });
}
