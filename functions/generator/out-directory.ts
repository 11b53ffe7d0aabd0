/**
 * Where `usage-pipeline build` may write. The build writes `date/`, `summary/`, `channel/`,
 * `events/` and state files into `--out`, and deletes files it finds stale there: pointed at the
 * wrong directory it would scatter files through it, or write into the data it reads.
 *
 * Refused: the file system root, the home directory and its parents, the input directory, a
 * directory that holds the input, a directory inside the input's daily objects, a directory that
 * cannot be written, and a directory that is not empty but holds no previous build. Paths are
 * compared after resolving symbolic links, so a link cannot smuggle one of these in.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeFsError } from '../support/fs-errors.js';

/** What a previous build leaves in `--out`; a directory holding one of these may be built into. */
const BUILD_MARKERS = ['updated_state.json', 'date'];

/** The problem with `out` as a build's output directory, in one line, or null when it is usable. */
export async function outDirectoryProblem(out: string, input: string, dailyObjectPrefix: string): Promise<string | null> {
  const { real, existing } = await realPathOf(path.resolve(out));
  const realInput = await fs.realpath(input);
  const shown = `--out ${out}`;
  if (path.parse(real).root === real) return `${shown} is the root of the file system`;
  if (real === realInput) return `${shown} is the --input directory`;
  if (contains(real, realInput)) return `${shown} holds the --input directory ${input}`;
  const dailyObjects = path.join(realInput, dailyObjectPrefix);
  if (contains(dailyObjects, real) || real === dailyObjects) return `${shown} is inside the daily objects of --input (${dailyObjectPrefix})`;
  if (contains(real, dailyObjects)) return `${shown} holds the daily objects of --input (${dailyObjectPrefix})`;
  const home = await fs.realpath(os.homedir()).catch(() => null);
  if (home !== null && (real === home || contains(real, home))) return `${shown} ${real === home ? 'is' : 'holds'} the home directory ${home}`;
  if (!(await fs.stat(existing)).isDirectory()) return existing === real ? `${shown} is not a directory` : `${shown}: ${existing} is not a directory`;
  const writable = await fs.access(existing, fsConstants.W_OK | fsConstants.X_OK).then(
    () => null,
    (error: NodeJS.ErrnoException) => error,
  );
  if (writable) return `${shown} is not writable: ${existing}: ${describeFsError(writable)}`;
  if (existing === real) {
    const entries = (await fs.readdir(real)).filter((name) => !name.startsWith('.'));
    if (entries.length > 0 && !BUILD_MARKERS.some((marker) => entries.includes(marker))) {
      return `${shown} is not empty and holds no previous build (no ${BUILD_MARKERS.join(' or ')}): give a new or empty directory, or the data/ directory of a previous build`;
    }
  }
  return null;
}

/** True when `inner` is strictly inside `outer`. */
function contains(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The real path of `target`, resolving links in the part that exists, and that part. */
async function realPathOf(target: string): Promise<{ real: string; existing: string }> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const existing = await fs.realpath(current);
      return { real: path.join(existing, ...missing.reverse()), existing };
    } catch (error) {
      const parent = path.dirname(current);
      if (parent === current) throw error;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
