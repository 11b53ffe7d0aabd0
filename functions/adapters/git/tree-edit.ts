/**
 * Editing a tree in memory: the base tree's listing as nested directories, so deleting a
 * directory and replacing a file by a directory (or the reverse) are plain map operations; the
 * result comes out as the sorted records `git update-index --index-info` reads.
 */
import type { TreeEntryRecord } from './repository.js';
import { AdapterError } from '../errors.js';

/** One requested change to a tree, already validated and with every blob written. */
export type TreeChange =
  | { action: 'delete'; path: string }
  | { action: 'set'; path: string; mode: string; type: 'blob' | 'commit' | 'tree'; oid: string };

/** A tree edit the caller asked for that git cannot apply (bad path, missing path to delete...). */
export class TreeEditError extends AdapterError {}

/**
 * `changes` (in order) applied to the base listing, as `--index-info` records sorted by path.
 * `listSubtree` lists a tree that a change sets as a whole directory.
 */
export async function editedTreeRecords(
  base: readonly TreeEntryRecord[],
  changes: readonly TreeChange[],
  listSubtree: (oid: string) => Promise<readonly TreeEntryRecord[]>,
): Promise<string[]> {
  const root: DirNode = { kind: 'dir', children: new Map() };
  insertListing(root, '', base);
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
      insertListing(subtree, '', await listSubtree(change.oid));
      parent.children.set(name, subtree);
    } else {
      parent.children.set(name, { kind: 'leaf', mode: change.mode, oid: change.oid.toLowerCase() });
    }
  }
  const records: string[] = [];
  flatten(root, '', records);
  // The index keeps entries sorted by path; feeding them in order keeps each insert an append.
  return records.sort(comparePathRecords);
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
