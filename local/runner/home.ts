/**
 * The embedded default's home (`--home`): `HOME/bucket` is the bucket, `HOME/site` the git
 * repository of the published branch. Checked before a run takes anything from anyone: a home
 * the run cannot use is refused with one line naming the path, and events are never half-sent.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../../functions/support/fs-errors.js';
import { LocalError } from '../errors.js';

export class HomeError extends LocalError {
  static override readonly userFacing = true;
}

export interface HomePaths {
  readonly root: string;
  readonly bucket: string;
  readonly site: string;
}

export function homePaths(home: string): HomePaths {
  const root = path.resolve(home);
  return { root, bucket: path.join(root, 'bucket'), site: path.join(root, 'site') };
}

/**
 * Makes sure HOME, HOME/bucket and HOME/site are directories this process can write, creating
 * what is missing, and that HOME/site is empty or a git repository. Throws {@link HomeError}.
 */
export async function prepareHome(home: string): Promise<HomePaths> {
  const paths = homePaths(home);
  // Everything is checked before anything is created: a refused home is left as it was.
  const missing: string[] = [];
  for (const [directory, what] of [
    [paths.root, `--home ${paths.root}`],
    [paths.bucket, `HOME/bucket ${paths.bucket}`],
    [paths.site, `HOME/site ${paths.site}`],
  ] as const) {
    if (!(await checkDirectory(directory, what))) missing.push(directory);
  }
  if (missing.includes(paths.root)) await checkCreatable(paths.root, `--home ${paths.root}`);
  else if (!missing.includes(paths.site)) await checkRepository(paths.site);
  for (const directory of missing) {
    await fs.mkdir(directory, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new HomeError(`${directory} cannot be created: ${describeFsError(error)}`);
    });
  }
  return paths;
}

/** True when the directory exists and can be written; false when it is missing. */
async function checkDirectory(directory: string, what: string): Promise<boolean> {
  const stat = await fs.stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw new HomeError(`${what} cannot be used: ${describeFsError(error)}`);
  });
  if (!stat) return false;
  if (!stat.isDirectory()) throw new HomeError(`${what} is a file, not a directory`);
  await checkWritable(directory, what);
  return true;
}

/** A missing directory can be made: its nearest existing parent is a writable directory. */
async function checkCreatable(directory: string, what: string): Promise<void> {
  // mkdir -p reports a read-only parent as ENOENT on some Node versions: name the real cause.
  const parent = await nearestExisting(path.dirname(directory));
  if (!(await fs.stat(parent)).isDirectory()) throw new HomeError(`${what} cannot be created: ${parent} is a file, not a directory`);
  await checkWritable(parent, `${what} cannot be created:`, true);
}

/** HOME/site is empty (a repository is made there) or a git repository whose git directory can be written. */
async function checkRepository(site: string): Promise<void> {
  const gitDir = await gitDirOf(site);
  if (gitDir === null) {
    const entries = await fs.readdir(site);
    if (entries.length > 0) {
      throw new HomeError(`HOME/site ${site} is not a git repository and not empty (it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): move it away or choose another --home`);
    }
  } else if (gitDir !== site) {
    await checkWritable(gitDir, `the git directory of HOME/site, ${gitDir},`);
  }
}

async function checkWritable(directory: string, what: string, named = false): Promise<void> {
  await fs.access(directory, fsConstants.W_OK | fsConstants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw new HomeError(named ? `${what} ${directory} is not writable: ${describeFsError(error)}` : `${what} is not writable: ${describeFsError(error)}`);
  });
}

async function nearestExisting(directory: string): Promise<string> {
  for (let current = directory; ; current = path.dirname(current)) {
    if (await fs.stat(current).then(() => true, () => false)) return current;
    if (path.dirname(current) === current) return current;
  }
}

/** The repository's git directory when `directory` is a repository (bare or not); null when not. */
function gitDirOf(directory: string): Promise<string | null> {
  return new Promise((resolve, reject) =>
    execFile(
      'git',
      ['rev-parse', '--absolute-git-dir'],
      // Never look above HOME/site: a home inside some other checkout must not become that checkout.
      { cwd: directory, env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(directory) } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        if (/not a git repository/i.test(stderr)) return resolve(null);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new HomeError('git is not installed (HOME/site is a git repository)'));
        reject(new HomeError(`HOME/site ${directory}: git cannot open it: ${stderr.trim().split('\n')[0] ?? error.message}`));
      },
    ),
  );
}
