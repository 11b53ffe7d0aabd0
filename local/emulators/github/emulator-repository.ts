/**
 * The repository the GitHub emulator serves: the project's git layer (functions/adapters/git)
 * plus what only a server needs — commit objects read back, object types checked in bulk,
 * ancestry for fast-forward checks, ref deletion, and GitHub's rules for tree paths.
 */
import { GitRepository, isObjectType, type GitIdentity, type GitObjectType } from '../../../functions/adapters/git/repository.js';

export interface CommitRecord {
  oid: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
}

export class EmulatorRepository extends GitRepository {
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

  async readCommit(oid: string): Promise<CommitRecord | null> {
    const object = await this.readObject(oid);
    if (!object || object.type !== 'commit') return null;
    return parseCommit(oid.toLowerCase(), object.content);
  }

  /** GitHub calls a repository with no refs at all "empty". */
  async isEmpty(): Promise<boolean> {
    const { stdout } = await this.run(['for-each-ref', '--count=1', '--format=%(refname)', 'refs']);
    return stdout.length === 0;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const { exitCode } = await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [1] });
    return exitCode === 0;
  }

  async deleteRef(ref: string, expected: string): Promise<'ok' | 'stale'> {
    return this.refTransaction(['update-ref', '--no-deref', '-d', ref, expected]);
  }
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
 * A path inside a tree as GitHub accepts it: relative, no empty, `.`, `..` or `.git`
 * components, no NUL. Everything else (spaces, unicode, `#`) is a legal file name.
 */
export function isValidTreePath(value: string): boolean {
  if (value.length === 0 || value.includes('\0')) return false;
  return value
    .split('/')
    .every((part) => part.length > 0 && part !== '.' && part !== '..' && part.toLowerCase() !== '.git');
}
