/**
 * A thin, typed layer over the `git` CLI (plumbing commands only), shared by the local publisher and the GitHub emulator.
 *
 * Every command runs through `execFile` with an argument array (never a shell) and file
 * content goes through stdin, so paths, messages and contents can hold any byte. The
 * environment is scrubbed of inherited `GIT_*` variables and of the user's global/system
 * configuration: a test running inside a git hook (GIT_DIR set) or a developer's
 * `commit.gpgSign = true` must not change what the emulator writes.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterError } from '../errors.js';

export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** Large enough for a recursive listing of a very big tree or a 100 MB blob. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

/** The branch a repository created by the emulator starts on (what GitHub uses too). */
export const INITIAL_BRANCH = 'main';

export class GitCommandError extends AdapterError {
  constructor(
    readonly args: readonly string[],
    /** git's exit status; null when a signal ended it. */
    readonly gitStatus: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${gitStatus ?? 'signal'}): ${stderr.trim() || 'no output'}`);
  }
}

/** A tree edit the caller asked for that git cannot apply (bad path, missing path to delete...). */
export class TreeEditError extends AdapterError {}

export interface GitIdentity {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Git's offset notation, e.g. `+0000`, `-0800`. */
  timezone: string;
}

export interface CommitRecord {
  oid: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
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

/** One requested change to a tree, already validated and with every blob written. */
export type TreeChange =
  | { action: 'delete'; path: string }
  | { action: 'set'; path: string; mode: string; type: 'blob' | 'commit' | 'tree'; oid: string };

interface RunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
}

interface RunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

function scrubbedEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    // Error messages are matched below (ref lock conflicts), so they must not be translated.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    // fast-import and write-tree allocate and free a buffer per object; glibc's default
    // heap trimming turns that into a brk() pair per object, which measured 7x slower for
    // 20,000 blobs (1.4 s vs 0.2 s). Keeping 32 MiB of slack at the top of the heap avoids it.
    MALLOC_TOP_PAD_: String(32 * 1024 * 1024),
  };
}

const BASE_ENV = scrubbedEnvironment();

/** Runs git without a repository context (init, discovery). */
function runGit(args: readonly string[], cwd: string, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args as string[],
      { cwd, env: { ...BASE_ENV, ...options.env }, encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString('utf8');
        if (!error) {
          resolve({ stdout, stderr: stderrText, exitCode: 0 });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number') {
          if (options.okExitCodes?.includes(code)) resolve({ stdout, stderr: stderrText, exitCode: code });
          else reject(new GitCommandError(args, code, stderrText));
          return;
        }
        reject(error);
      },
    );
    // git may exit before reading all of stdin (e.g. on a bad argument); the exit status is
    // what reports that, so a broken pipe here is not an error of its own.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export class GitRepository {
  private constructor(
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
  static async open(repoDir: string): Promise<GitRepository> {
    const dir = path.resolve(repoDir);
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
      return GitRepository.open(dir);
    }
    const [gitDir = '', isBare = ''] = probe.stdout.toString('utf8').trim().split('\n');
    const format = await runGit(['--git-dir', gitDir, 'rev-parse', '--show-object-format'], gitDir);
    const objectFormat = format.stdout.toString('utf8').trim() === 'sha256' ? 'sha256' : 'sha1';
    return new GitRepository(gitDir, objectFormat, isBare.trim() === 'true');
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runGit(['--git-dir', this.gitDir, ...args], this.gitDir, options);
  }

  /** A full object id in this repository's format (lower or upper case hex). */
  isOid(value: unknown): value is string {
    return typeof value === 'string' && value.length === this.oidLength && /^[0-9a-fA-F]+$/.test(value);
  }

  /** The type of each object, or null when it does not exist; one process for any number. */
  async objectTypes(oids: readonly string[]): Promise<Map<string, GitObjectType | null>> {
    const result = new Map<string, GitObjectType | null>();
    const unique = [...new Set(oids.map((oid) => oid.toLowerCase()))];
    if (unique.length === 0) return result;
    for (const oid of unique) {
      // cat-file resolves revision expressions too; only plain ids may reach it.
      if (!this.isOid(oid)) throw new Error(`not an object id: ${oid}`);
    }
    const { stdout } = await this.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
      input: unique.join('\n') + '\n',
    });
    const lines = stdout.toString('utf8').split('\n');
    unique.forEach((oid, index) => {
      const [, type] = (lines[index] ?? '').split(' ');
      result.set(oid, isObjectType(type) ? type : null);
    });
    return result;
  }

  async objectType(oid: string): Promise<GitObjectType | null> {
    return (await this.objectTypes([oid])).get(oid.toLowerCase()) ?? null;
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

  async readCommit(oid: string): Promise<CommitRecord | null> {
    const object = await this.readObject(oid);
    if (!object || object.type !== 'commit') return null;
    return parseCommit(oid.toLowerCase(), object.content);
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

  /** GitHub calls a repository with no refs at all "empty". */
  async isEmpty(): Promise<boolean> {
    const { stdout } = await this.run(['for-each-ref', '--count=1', '--format=%(refname)', 'refs']);
    return stdout.length === 0;
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

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const { exitCode } = await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [1] });
    return exitCode === 0;
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
   * The tree is edited in memory as nested directories, which makes deleting a directory
   * and replacing a file by a directory (or the reverse) plain map operations; the flat
   * result then goes through a throw-away index in one `update-index --index-info` and one
   * `write-tree`, so the number of processes does not grow with the number of entries.
   */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    const root: DirNode = { kind: 'dir', children: new Map() };
    if (baseTree) insertListing(root, '', await this.listTree(baseTree, true, false));

    for (const change of changes) {
      const parts = change.path.split('/');
      const name = parts.pop()!;
      if (change.action === 'delete') {
        const parent = walk(root, parts, false);
        if (!parent || !parent.children.delete(name)) {
          throw new TreeEditError(`cannot delete ${change.path}: no such path in the base tree`);
        }
        continue;
      }
      const parent = walk(root, parts, true)!;
      if (change.type === 'tree') {
        const subtree: DirNode = { kind: 'dir', children: new Map() };
        insertListing(subtree, '', await this.listTree(change.oid, true, false));
        parent.children.set(name, subtree);
      } else {
        parent.children.set(name, { kind: 'leaf', mode: change.mode, oid: change.oid.toLowerCase() });
      }
    }

    const records: string[] = [];
    flatten(root, '', records);
    if (records.length === 0) {
      return this.objectFormat === 'sha1' ? EMPTY_TREE_SHA1 : (await this.run(['mktree'], { input: '' })).stdout.toString('utf8').trim();
    }
    // The index keeps entries sorted by path; feeding them in order keeps each insert an append.
    records.sort(comparePathRecords);
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

  async deleteRef(ref: string, expected: string): Promise<'ok' | 'stale'> {
    return this.refTransaction(['update-ref', '--no-deref', '-d', ref, expected]);
  }

  private async refTransaction(args: string[]): Promise<'ok' | 'stale'> {
    const { exitCode, stderr } = await this.run(args, { okExitCodes: [1, 128] });
    if (exitCode === 0) return 'ok';
    if (/is at [0-9a-f]+ but expected|reference already exists|unable to resolve reference|Unable to create '.*\.lock'|File exists/i.test(stderr)) {
      return 'stale';
    }
    throw new GitCommandError(args, exitCode, stderr);
  }
}

interface DirNode {
  kind: 'dir';
  children: Map<string, TreeNode>;
}
interface LeafNode {
  kind: 'leaf';
  mode: string;
  oid: string;
}
type TreeNode = DirNode | LeafNode;

/** Finds (or, with `create`, makes) the directory at `parts`; a file in the way is replaced. */
function walk(root: DirNode, parts: readonly string[], create: boolean): DirNode | null {
  let dir = root;
  for (const part of parts) {
    let next = dir.children.get(part);
    if (!next || next.kind !== 'dir') {
      if (!create) return null;
      next = { kind: 'dir', children: new Map() };
      dir.children.set(part, next);
    }
    dir = next;
  }
  return dir;
}

function insertListing(root: DirNode, prefix: string, entries: readonly TreeEntryRecord[]): void {
  for (const entry of entries) {
    if (entry.type === 'tree') continue; // directories exist through their files
    const parts = (prefix + entry.path).split('/');
    const name = parts.pop()!;
    walk(root, parts, true)!.children.set(name, { kind: 'leaf', mode: entry.mode, oid: entry.oid });
  }
}

function flatten(dir: DirNode, prefix: string, out: string[]): void {
  for (const [name, node] of dir.children) {
    const full = prefix + name;
    if (node.kind === 'dir') flatten(node, full + '/', out);
    else out.push(`${node.mode} ${node.oid}\t${full}\0`);
  }
}

/** Orders `--index-info` records by path; UTF-16 order equals git's byte order for BMP text. */
function comparePathRecords(a: string, b: string): number {
  const pathA = a.slice(a.indexOf('\t') + 1);
  const pathB = b.slice(b.indexOf('\t') + 1);
  return pathA < pathB ? -1 : pathA > pathB ? 1 : 0;
}

function isObjectType(value: unknown): value is GitObjectType {
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

function parseIdentity(value: string): GitIdentity {
  const match = /^(.*) <(.*)> (-?\d+) ([+-]\d{4})$/.exec(value);
  if (!match) return { name: value, email: '', timestamp: 0, timezone: '+0000' };
  return { name: match[1]!, email: match[2]!, timestamp: Number(match[3]), timezone: match[4]! };
}

function parseCommit(oid: string, raw: Buffer): CommitRecord {
  const text = raw.toString('utf8');
  const split = text.indexOf('\n\n');
  const headerText = split === -1 ? text : text.slice(0, split);
  const message = split === -1 ? '' : text.slice(split + 2);
  const record: CommitRecord = {
    oid,
    tree: '',
    parents: [],
    author: parseIdentity(''),
    committer: parseIdentity(''),
    message,
  };
  for (const line of headerText.split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of a multi-line header (gpgsig, mergetag)
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') record.tree = value;
    else if (key === 'parent') record.parents.push(value);
    else if (key === 'author') record.author = parseIdentity(value);
    else if (key === 'committer') record.committer = parseIdentity(value);
  }
  return record;
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

/**
 * A path inside a tree as GitHub accepts it: relative, no empty, `.`, `..` or `.git`
 * components, no NUL. Everything else (spaces, unicode, `#`) is a legal file name.
 */
export function isValidTreePath(value: string): boolean {
  if (value.length === 0 || value.includes('\0')) return false;
  return value
    .split('/')
    .every((part) => part.length > 0 && part !== '.' && part !== '..' && part.toLowerCase() !== '.git');
}
