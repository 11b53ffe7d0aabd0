/**
 * A thin, typed layer over the `git` CLI (plumbing commands only, run by ./command.ts): what
 * the local publisher reads and writes. The GitHub emulator extends it with what only a server
 * needs (local/emulators/github/emulator-repository.ts).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitCommandError, runGit, type RunOptions, type RunResult } from './command.js';
import { editedTreeRecords, type TreeChange } from './tree-edit.js';

export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** The branch a repository created by `open` starts on (what GitHub uses too). */
export const INITIAL_BRANCH = 'main';

export interface GitIdentity {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Git's offset notation, e.g. `+0000`, `-0800`. */
  timezone: string;
}

export interface TreeEntryRecord {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  /** Only for blobs. */
  size?: number;
  path: string;
}

export interface RefRecord {
  ref: string;
  oid: string;
  type: GitObjectType;
}

const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export class GitRepository {
  /** Use `open`. */
  constructor(
    readonly gitDir: string,
    readonly objectFormat: 'sha1' | 'sha256',
    readonly bare: boolean,
  ) {}

  /** Hex length of an object id in this repository. */
  get oidLength(): number {
    return this.objectFormat === 'sha256' ? 64 : 40;
  }

  get zeroOid(): string {
    return '0'.repeat(this.oidLength);
  }

  /**
   * Opens the repository at `repoDir` (bare, or a work tree with `.git`), creating a bare one
   * when the directory does not exist or is empty. Discovery never walks above `repoDir`:
   * a temp directory inside some other checkout must not silently become that checkout.
   */
  static async open<R extends GitRepository>(this: new (gitDir: string, objectFormat: 'sha1' | 'sha256', bare: boolean) => R, repoDir: string): Promise<R> {
    const { gitDir, objectFormat, bare } = await locate(path.resolve(repoDir));
    return new this(gitDir, objectFormat, bare);
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runGit(['--git-dir', this.gitDir, ...args], this.gitDir, options);
  }

  /** A full object id in this repository's format (lower or upper case hex). */
  isOid(value: unknown): value is string {
    return typeof value === 'string' && value.length === this.oidLength && /^[0-9a-fA-F]+$/.test(value);
  }

  /** Reads one object's type and raw content, or null when it does not exist. */
  async readObject(oid: string): Promise<{ type: GitObjectType; content: Buffer } | null> {
    if (!this.isOid(oid)) return null;
    const { stdout } = await this.run(['cat-file', '--batch'], { input: oid.toLowerCase() + '\n' });
    const headerEnd = stdout.indexOf(0x0a);
    const header = stdout.subarray(0, headerEnd).toString('utf8').split(' ');
    const type = header[1];
    if (!isObjectType(type)) return null;
    const size = Number(header[2]);
    return { type, content: stdout.subarray(headerEnd + 1, headerEnd + 1 + size) };
  }

  /** Refs whose name is `prefix` or lies under `prefix/`, sorted by name. */
  async listRefs(prefix = 'refs'): Promise<RefRecord[]> {
    const { stdout } = await this.run([
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(objecttype)',
      prefix,
    ]);
    const refs: RefRecord[] = [];
    for (const line of stdout.toString('utf8').split('\n')) {
      if (!line) continue;
      const [ref = '', oid = '', type] = line.split('\0');
      if (isObjectType(type)) refs.push({ ref, oid, type });
    }
    return refs;
  }

  async readRef(ref: string): Promise<RefRecord | null> {
    return (await this.listRefs(ref)).find((record) => record.ref === ref) ?? null;
  }

  /** The branch HEAD points at, even when it is unborn. */
  async headBranch(): Promise<string | null> {
    const { stdout, exitCode } = await this.run(['symbolic-ref', '--quiet', 'HEAD'], { okExitCodes: [1, 128] });
    const ref = stdout.toString('utf8').trim();
    return exitCode === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  }

  /**
   * Peels an object id or a branch/tag name to an object of `type` (`tree` or `commit`).
   * Names are looked up under refs/heads then refs/tags only: arbitrary revision syntax
   * (`HEAD~2`, `:/message`, options) from a URL must never reach rev-parse.
   */
  async peel(nameOrOid: string, type: 'tree' | 'commit'): Promise<string | null> {
    const candidates: string[] = [];
    if (this.isOid(nameOrOid)) candidates.push(nameOrOid.toLowerCase());
    if (isValidRefName(`refs/heads/${nameOrOid}`)) candidates.push(`refs/heads/${nameOrOid}`, `refs/tags/${nameOrOid}`);
    for (const candidate of candidates) {
      const { stdout, exitCode } = await this.run(['rev-parse', '--verify', '--quiet', `${candidate}^{${type}}`], {
        okExitCodes: [1, 128],
      });
      if (exitCode === 0) return stdout.toString('utf8').trim();
    }
    return null;
  }

  /**
   * `git ls-tree`; `recursive` includes the subtrees themselves, as GitHub does. Blob sizes
   * cost a lookup per blob, so callers that only need names and ids can skip them.
   */
  async listTree(treeOid: string, recursive: boolean, withSizes = true): Promise<TreeEntryRecord[]> {
    const args = ['ls-tree', '-z', '--full-tree'];
    if (withSizes) args.push('-l');
    if (recursive) args.push('-r', '-t');
    const { stdout } = await this.run([...args, treeOid]);
    return parseLsTree(stdout);
  }

  /** The entry at `entryPath` inside a tree-ish, or null. */
  async treeEntry(treeish: string, entryPath: string): Promise<TreeEntryRecord | null> {
    const { stdout } = await this.run(['ls-tree', '-z', '-l', '--full-tree', treeish, '--', entryPath], {
      // Paths from URLs are names, not patterns.
      env: { GIT_LITERAL_PATHSPECS: '1' },
    });
    return parseLsTree(stdout).find((entry) => entry.path === entryPath) ?? null;
  }

  async writeBlob(content: Buffer): Promise<string> {
    const { stdout } = await this.run(['hash-object', '-w', '-t', 'blob', '--no-filters', '--stdin'], { input: content });
    return stdout.toString('utf8').trim();
  }

  /**
   * Writes many blobs with a single `git fast-import` process (one stream on stdin, one
   * pack on disk) instead of a process per blob: a publish writes thousands of files.
   */
  async writeBlobs(contents: readonly Buffer[]): Promise<string[]> {
    if (contents.length === 0) return [];
    if (contents.length === 1) return [await this.writeBlob(contents[0]!)];
    const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gh-emulator-blobs-'));
    try {
      const marksFile = path.join(tempDir, 'marks');
      const chunks: Buffer[] = [];
      contents.forEach((content, index) => {
        chunks.push(Buffer.from(`blob\nmark :${index + 1}\ndata ${content.length}\n`), content, Buffer.from('\n'));
      });
      await this.run(['fast-import', '--quiet', `--export-marks=${marksFile}`], { input: Buffer.concat(chunks) });
      const marks = new Map<number, string>();
      for (const line of (await fs.readFile(marksFile, 'utf8')).split('\n')) {
        const match = /^:(\d+) ([0-9a-f]+)$/.exec(line);
        if (match) marks.set(Number(match[1]), match[2]!);
      }
      return contents.map((_, index) => {
        const oid = marks.get(index + 1);
        if (!oid) throw new Error(`git fast-import did not report blob ${index + 1}`);
        return oid;
      });
    } finally {
      await fs.rm(tempDir, { recursive: true, force: true });
    }
  }

  /**
   * Applies `changes` (in order) to `baseTree` and writes the result.
   *
   * The tree is edited in memory (./tree-edit.ts); the flat result then goes through a
   * throw-away index in one `update-index --index-info` and one `write-tree`, so the number of
   * processes does not grow with the number of entries.
   */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    const base = baseTree ? await this.listTree(baseTree, true, false) : [];
    const records = await editedTreeRecords(base, changes, (oid) => this.listTree(oid, true, false));
    if (records.length === 0) {
      return this.objectFormat === 'sha1' ? EMPTY_TREE_SHA1 : (await this.run(['mktree'], { input: '' })).stdout.toString('utf8').trim();
    }
    const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gh-emulator-index-'));
    try {
      const env = { GIT_INDEX_FILE: path.join(tempDir, 'index') };
      await this.run(['update-index', '-z', '--index-info'], { input: records.join(''), env });
      const { stdout } = await this.run(['write-tree'], { env });
      return stdout.toString('utf8').trim();
    } finally {
      await fs.rm(tempDir, { recursive: true, force: true });
    }
  }

  async commitTree(options: {
    tree: string;
    parents: readonly string[];
    message: string;
    author: GitIdentity;
    committer: GitIdentity;
  }): Promise<string> {
    const args = ['commit-tree', '--no-gpg-sign', options.tree];
    for (const parent of options.parents) args.push('-p', parent);
    const { stdout } = await this.run(args, {
      input: options.message,
      env: {
        GIT_AUTHOR_NAME: options.author.name,
        GIT_AUTHOR_EMAIL: options.author.email,
        GIT_AUTHOR_DATE: `@${options.author.timestamp} ${options.author.timezone}`,
        GIT_COMMITTER_NAME: options.committer.name,
        GIT_COMMITTER_EMAIL: options.committer.email,
        GIT_COMMITTER_DATE: `@${options.committer.timestamp} ${options.committer.timezone}`,
      },
    });
    return stdout.toString('utf8').trim();
  }

  /**
   * Compare-and-swap of a ref. `expected`: the value it must have now, `null` for "must not
   * exist", `undefined` for an unconditional write. Returns 'stale' when the ref was not at
   * `expected` (or another writer held its lock), so the caller can re-read and decide.
   */
  async updateRef(ref: string, newOid: string, expected: string | null | undefined): Promise<'ok' | 'stale'> {
    const args = ['update-ref', '--no-deref', ref, newOid];
    if (expected !== undefined) args.push(expected ?? this.zeroOid);
    return this.refTransaction(args);
  }

  protected async refTransaction(args: string[]): Promise<'ok' | 'stale'> {
    const { exitCode, stderr } = await this.run(args, { okExitCodes: [1, 128] });
    if (exitCode === 0) return 'ok';
    if (/is at [0-9a-f]+ but expected|reference already exists|unable to resolve reference|Unable to create '.*\.lock'|File exists/i.test(stderr)) {
      return 'stale';
    }
    throw new GitCommandError(args, exitCode, stderr);
  }
}

/** Where a repository's git directory is, creating a bare repository in an empty or missing directory. */
async function locate(dir: string): Promise<{ gitDir: string; objectFormat: 'sha1' | 'sha256'; bare: boolean }> {
  let stat: import('node:fs').Stats | null = null;
  try {
    stat = await fs.stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stat && !stat.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  if (!stat) await fs.mkdir(dir, { recursive: true });

  const ceiling = { GIT_CEILING_DIRECTORIES: path.dirname(dir) };
  const probe = await runGit(['rev-parse', '--absolute-git-dir', '--is-bare-repository'], dir, {
    env: ceiling,
    okExitCodes: [128],
  });
  if (probe.exitCode !== 0) {
    const entries = await fs.readdir(dir);
    if (entries.length > 0) throw new Error(`${dir} is neither a git repository nor an empty directory`);
    await runGit(['init', '--quiet', '--bare', `--initial-branch=${INITIAL_BRANCH}`, dir], dir);
    return locate(dir);
  }
  const [gitDir = '', isBare = ''] = probe.stdout.toString('utf8').trim().split('\n');
  const format = await runGit(['--git-dir', gitDir, 'rev-parse', '--show-object-format'], gitDir);
  const objectFormat = format.stdout.toString('utf8').trim() === 'sha256' ? 'sha256' : 'sha1';
  return { gitDir, objectFormat, bare: isBare.trim() === 'true' };
}


export function isObjectType(value: unknown): value is GitObjectType {
  return value === 'blob' || value === 'tree' || value === 'commit' || value === 'tag';
}

function parseLsTree(output: Buffer): TreeEntryRecord[] {
  const entries: TreeEntryRecord[] = [];
  for (const record of output.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    // `<mode> <type> <oid>[ <padded size>]\t<path>`
    const [mode = '', type = '', oid = '', size = '-'] = record.slice(0, tab).split(/ +/);
    if (type !== 'blob' && type !== 'tree' && type !== 'commit') continue;
    const entry: TreeEntryRecord = { mode, type, oid, path: record.slice(tab + 1) };
    if (type === 'blob' && size !== '-') entry.size = Number(size);
    entries.push(entry);
  }
  return entries;
}

/**
 * git's ref name rules (check-ref-format) plus GitHub's: under refs/ with at least two
 * slashes, e.g. refs/heads/main. Checked here so no odd name ever reaches the CLI.
 */
export function isValidRefName(ref: string): boolean {
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) return false;
  if (ref.endsWith('/') || ref.endsWith('.') || ref.includes('..') || ref.includes('@{')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return false;
  return ref.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}
