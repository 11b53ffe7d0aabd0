/**
 * The Git Data object endpoints of the GitHub emulator (commits, trees, blobs), answered from
 * a real git repository.
 *
 * Status codes and messages follow github.com where the publisher can observe them: 404 for
 * unknown objects, 409 "Git Repository is empty." in a repository without commits, 422 for
 * everything GitHub rejects as invalid, and 422 "Sorry, your request timed out…" for a tree
 * request over the limits GitHub manages within its 10 s.
 */
import { z } from 'zod';
import { TreeEditError, type TreeChange } from '../../../functions/adapters/git/tree-edit.js';
import { isValidTreePath } from './emulator-repository.js';
import { isBase64, notFound, parseBody, unprocessable, wantsRaw, wrappedBase64, type ApiResponse, type RequestContext, type Route } from './http.js';
import { identitySchema, type RepoContext } from './repo-context.js';

const BAD_OBJECT_STATE = 'GitRPC::BadObjectState';
/** What api.github.com answers for the raw media type (Octokit then returns a string). */
const RAW_CONTENT_TYPE = 'text/plain; charset=utf-8';
const SHA_OR_CONTENT = 'Must supply either tree.sha or tree.content. Request will be rejected if both are present.';

const createCommitSchema = z.object({
  message: z.string(),
  tree: z.string(),
  parents: z.array(z.string()).optional(),
  author: identitySchema.optional(),
  committer: identitySchema.optional(),
  signature: z.string().optional(),
});
const treeModes = ['100644', '100755', '040000', '160000', '120000'] as const;
const createTreeSchema = z.object({
  base_tree: z.string().optional(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.enum(treeModes).optional(),
      type: z.enum(['blob', 'tree', 'commit']).optional(),
      sha: z.string().nullable().optional(),
      content: z.string().optional(),
    }),
  ),
});
const createBlobSchema = z.object({
  content: z.string(),
  encoding: z.enum(['utf-8', 'utf8', 'base64']).optional(),
});

/** Which object type a tree entry mode must point at. */
const MODE_TYPES: Record<(typeof treeModes)[number], 'blob' | 'tree' | 'commit'> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

export function gitDataRoutes(context: RepoContext): Route[] {
  const { git } = context;

  const getCommit = async (sha: string): Promise<ApiResponse> => {
    await context.assertObjectsUsable();
    const commit = git.isOid(sha) ? await git.readCommit(sha) : null;
    if (!commit) throw notFound();
    return { status: 200, body: context.commitBody(commit) };
  };

  const createCommit = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createCommitSchema, body);
    if (input.message.includes('\0')) throw unprocessable('Invalid request.\n\nmessage must not contain NUL bytes.');
    const parents = input.parents ?? [];
    const fallback = context.defaultIdentity();
    const author = context.identityFrom(input.author, fallback);
    // GitHub: an omitted committer is the author (date included); an omitted date is now.
    const committer = input.committer ? context.identityFrom(input.committer, fallback) : author;
    await context.assertObjectsUsable();
    return context.serialize(async () => {
      const ids = [input.tree, ...parents].filter((sha) => git.isOid(sha));
      const types = await git.objectTypes(ids);
      if (!git.isOid(input.tree) || types.get(input.tree.toLowerCase()) !== 'tree') {
        throw unprocessable('Tree SHA does not exist');
      }
      for (const parent of parents) {
        if (!git.isOid(parent) || types.get(parent.toLowerCase()) !== 'commit') {
          throw unprocessable('Parent SHA does not exist or is not a commit object');
        }
      }
      const sha = await git.commitTree({
        tree: input.tree.toLowerCase(),
        parents: parents.map((parent) => parent.toLowerCase()),
        message: input.message,
        author,
        committer,
      });
      const commit = await git.readCommit(sha);
      if (!commit) throw new Error(`commit ${sha} unreadable right after being written`);
      return context.created(context.commitBody(commit));
    });
  };

  const getTree = async (name: string, recursive: boolean): Promise<ApiResponse> => {
    await context.assertObjectsUsable();
    const sha = await git.peel(name, 'tree');
    if (!sha) throw notFound();
    return { status: 200, body: context.treeBody(sha, await git.listTree(sha, recursive), recursive) };
  };

  const createTree = async ({ body, bodyBytes }: RequestContext): Promise<ApiResponse> => {
    const input = parseBody(createTreeSchema, body);
    await context.assertObjectsUsable();
    context.options.limiter.checkTreeRequest(bodyBytes, input.tree.length);

    // Checks that need no git come first. (A delete of a missing path is only found while
    // building, after the inline blobs are written; unreferenced blobs are harmless.)
    const changes: (TreeChange & { index: number })[] = [];
    const contents: { change: TreeChange & { action: 'set' }; data: Buffer }[] = [];
    const detail = (index: number, message: string) => [{ resource: 'Tree', field: `tree[${index}]`, code: 'invalid', message }];
    input.tree.forEach((entry, index) => {
      if (!isValidTreePath(entry.path)) {
        throw unprocessable('tree.path contains a malformed path component', detail(index, `path ${JSON.stringify(entry.path)}`));
      }
      if (entry.sha === null) {
        if (entry.content !== undefined) throw unprocessable(SHA_OR_CONTENT, detail(index, entry.path));
        changes.push({ action: 'delete', path: entry.path, index });
        return;
      }
      if ((entry.sha === undefined) === (entry.content === undefined)) {
        throw unprocessable(SHA_OR_CONTENT, detail(index, entry.path));
      }
      if (!entry.mode || !entry.type) {
        throw unprocessable('Invalid tree info', detail(index, `${entry.path}: mode and type are required`));
      }
      if (MODE_TYPES[entry.mode] !== entry.type) {
        throw unprocessable('Invalid tree info', detail(index, `${entry.path}: mode ${entry.mode} cannot be a ${entry.type}`));
      }
      if (entry.content !== undefined) {
        if (entry.type !== 'blob') {
          throw unprocessable('Invalid tree info', detail(index, `${entry.path}: content is only allowed for blobs`));
        }
        const change = { action: 'set' as const, path: entry.path, mode: entry.mode, type: entry.type, oid: '', index };
        changes.push(change);
        contents.push({ change, data: Buffer.from(entry.content, 'utf8') });
        return;
      }
      if (!git.isOid(entry.sha)) throw unprocessable(BAD_OBJECT_STATE, detail(index, `${entry.path}: invalid sha`));
      changes.push({ action: 'set', path: entry.path, mode: entry.mode, type: entry.type, oid: entry.sha!.toLowerCase(), index });
    });
    if (input.base_tree !== undefined && !git.isOid(input.base_tree)) {
      throw unprocessable(BAD_OBJECT_STATE, [{ resource: 'Tree', field: 'base_tree', code: 'invalid', message: 'invalid sha' }]);
    }

    return context.serialize(async () => {
      // Submodule commits live in other repositories, so only blobs and trees are checked.
      const referenced = changes.filter(
        (change): change is TreeChange & { action: 'set'; index: number } =>
          change.action === 'set' && change.type !== 'commit' && change.oid !== '',
      );
      const types = await git.objectTypes([...referenced.map((change) => change.oid), ...(input.base_tree ? [input.base_tree] : [])]);
      if (input.base_tree && types.get(input.base_tree.toLowerCase()) !== 'tree') {
        throw unprocessable(BAD_OBJECT_STATE, [
          { resource: 'Tree', field: 'base_tree', code: 'invalid', message: `${input.base_tree} is not a tree in this repository` },
        ]);
      }
      for (const change of referenced) {
        if (types.get(change.oid) !== change.type) {
          throw unprocessable(BAD_OBJECT_STATE, detail(change.index, `${change.path}: ${change.oid} is not a ${change.type} in this repository`));
        }
      }
      const oids = await git.writeBlobs(contents.map((item) => item.data));
      contents.forEach((item, index) => {
        item.change.oid = oids[index]!;
      });
      let sha: string;
      try {
        sha = await git.buildTree(input.base_tree?.toLowerCase(), changes);
      } catch (error) {
        if (error instanceof TreeEditError) throw unprocessable(BAD_OBJECT_STATE, [{ resource: 'Tree', code: 'invalid', message: error.message }]);
        throw error;
      }
      return context.created(context.treeBody(sha, await git.listTree(sha, false), false));
    });
  };

  const createBlob = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createBlobSchema, body);
    if (input.encoding === 'base64' && !isBase64(input.content)) {
      throw unprocessable('Invalid request.\n\ncontent is not valid Base64.');
    }
    const data = Buffer.from(input.content, input.encoding === 'base64' ? 'base64' : 'utf8');
    await context.assertObjectsUsable();
    return context.serialize(async () => {
      const sha = await git.writeBlob(data);
      return context.created({ sha, url: context.objectUrl('blob', sha) });
    });
  };

  const getBlob = async (sha: string, accept: string): Promise<ApiResponse> => {
    await context.assertObjectsUsable();
    const object = git.isOid(sha) ? await git.readObject(sha) : null;
    if (!object || object.type !== 'blob') throw notFound();
    if (wantsRaw(accept)) return { status: 200, raw: { data: object.content, contentType: RAW_CONTENT_TYPE } };
    const oid = sha.toLowerCase();
    return {
      status: 200,
      body: { sha: oid, size: object.content.length, url: context.objectUrl('blob', oid), content: wrappedBase64(object.content), encoding: 'base64' },
    };
  };

  return [
    { method: 'GET', pattern: /^\/git\/commits\/([^/]+)$/, handle: (_, m) => getCommit(m[1]!) },
    { method: 'POST', pattern: /^\/git\/commits\/?$/, handle: (c) => createCommit(c.body) },
    // GitHub: any value of `recursive` (even 0 or false) asks for the recursive listing.
    { method: 'GET', pattern: /^\/git\/trees\/(.+)$/, handle: (c, m) => getTree(m[1]!, c.query.has('recursive')) },
    { method: 'POST', pattern: /^\/git\/trees\/?$/, handle: (c) => createTree(c) },
    { method: 'GET', pattern: /^\/git\/blobs\/([^/]+)$/, handle: (c, m) => getBlob(m[1]!, c.accept) },
    { method: 'POST', pattern: /^\/git\/blobs\/?$/, handle: (c) => createBlob(c.body) },
  ];
}
