/**
 * The repository, Git Data (refs, commits, trees, blobs) and contents endpoints of the
 * GitHub emulator, answered from a real git repository.
 *
 * Status codes and messages follow github.com where the publisher can observe them:
 * 404 for unknown objects and refs, 409 "Git Repository is empty." for ref reads in a
 * repository without refs, 422 for everything GitHub rejects as invalid.
 */
import { z } from 'zod';
import {
  TreeEditError,
  isValidRefName,
  isValidTreePath,
  type CommitRecord,
  type GitIdentity,
  type GitObjectType,
  type GitRepository,
  type RefRecord,
  type TreeChange,
  type TreeEntryRecord,
} from '../../adapters/git/repository.js';
import {
  isBase64,
  isoSeconds,
  notFound,
  parseBody,
  repositoryEmpty,
  unprocessable,
  wantsRaw,
  wrappedBase64,
  type ApiResponse,
  type Route,
} from './http.js';

export interface GitDataOptions {
  git: GitRepository;
  owner: string;
  repo: string;
  /** Emulator base URL, for the `url` fields GitHub returns. */
  baseUrl: string;
  /** Runs a write after every previously queued write of this repository. */
  serialize<T>(task: () => Promise<T>): Promise<T>;
  /** github.com refuses blob/tree/commit reads and writes in a repository with no refs. */
  strictEmptyRepository: boolean;
  /** Author of commits created without one (GitHub uses the token's user). */
  identity: { name: string; email: string };
  now(): Date;
}

/** GitHub stops listing a recursive tree at this many entries and sets `truncated`. */
const TREE_ENTRY_LIMIT = 100_000;
/** Above this size GitHub's contents API leaves `content` empty (`encoding: "none"`). */
const CONTENTS_INLINE_LIMIT = 1024 * 1024;
/** A ref moved under a PATCH is re-read and re-checked this many times before giving up. */
const REF_UPDATE_ATTEMPTS = 5;

const BAD_OBJECT_STATE = 'GitRPC::BadObjectState';
/** What api.github.com answers for the raw media type (Octokit then returns a string). */
const RAW_CONTENT_TYPE = 'text/plain; charset=utf-8';
const SHA_OR_CONTENT = 'Must supply either tree.sha or tree.content. Request will be rejected if both are present.';

/** Characters that would break (or forge lines of) the commit header git writes. */
const identityText = z
  .string()
  .min(1)
  .refine((value) => !/[<>\n\r\0]/.test(value), 'must not contain <, >, newlines or NUL');
const identitySchema = z.object({
  name: identityText,
  email: identityText,
  date: z.string().optional(),
});

const createRefSchema = z.object({ ref: z.string(), sha: z.string() });
const updateRefSchema = z.object({ sha: z.string(), force: z.boolean().optional() });
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

export function gitDataRoutes(options: GitDataOptions): Route[] {
  const { git } = options;
  const repoUrl = `${options.baseUrl}/repos/${options.owner}/${options.repo}`;
  const htmlRepoUrl = `${options.baseUrl}/${options.owner}/${options.repo}`;

  const objectUrl = (type: GitObjectType, sha: string): string => `${repoUrl}/git/${type}s/${sha}`;
  const refBody = (record: RefRecord) => ({
    ref: record.ref,
    url: `${repoUrl}/git/${record.ref}`,
    object: { sha: record.oid, type: record.type, url: objectUrl(record.type, record.oid) },
  });
  const created = <T extends { url: string }>(body: T): ApiResponse => ({ status: 201, body, headers: { location: body.url } });

  const identityBody = (identity: GitIdentity) => ({
    name: identity.name,
    email: identity.email,
    date: isoSeconds(new Date(identity.timestamp * 1000)),
  });
  const commitBody = (commit: CommitRecord) => ({
    sha: commit.oid,
    url: objectUrl('commit', commit.oid),
    html_url: `${htmlRepoUrl}/commit/${commit.oid}`,
    author: identityBody(commit.author),
    committer: identityBody(commit.committer),
    message: commit.message,
    tree: { sha: commit.tree, url: objectUrl('tree', commit.tree) },
    parents: commit.parents.map((sha) => ({
      sha,
      url: objectUrl('commit', sha),
      html_url: `${htmlRepoUrl}/commit/${sha}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  });
  const treeEntryBody = (entry: TreeEntryRecord) => ({
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.oid,
    ...(entry.size !== undefined ? { size: entry.size } : {}),
    ...(entry.type !== 'commit' ? { url: objectUrl(entry.type, entry.oid) } : {}),
  });
  const treeBody = (sha: string, entries: TreeEntryRecord[]) => ({
    sha,
    url: objectUrl('tree', sha),
    tree: entries.slice(0, TREE_ENTRY_LIMIT).map(treeEntryBody),
    truncated: entries.length > TREE_ENTRY_LIMIT,
  });

  /** Ref reads answer 409 in an empty repository, as github.com does. */
  const assertRefsReadable = async (): Promise<void> => {
    if (await git.isEmpty()) throw repositoryEmpty();
  };
  /** Object reads and writes: only github.com-strict mode refuses them in an empty repository. */
  const assertObjectsUsable = async (): Promise<void> => {
    if (options.strictEmptyRepository && (await git.isEmpty())) throw repositoryEmpty();
  };

  const defaultBranch = async (): Promise<string> => (await git.headBranch()) ?? 'main';

  const identityFrom = (input: z.infer<typeof identitySchema> | undefined, fallback: GitIdentity): GitIdentity => {
    if (!input) return fallback;
    const when = input.date === undefined ? fallback : parseGitHubDate(input.date);
    if (!when) throw unprocessable(`Invalid request.\n\n${JSON.stringify(input.date)} is not a valid date-time.`);
    return { name: input.name, email: input.email, timestamp: when.timestamp, timezone: when.timezone };
  };

  const getRepository = async (): Promise<ApiResponse> => ({
    status: 200,
    body: {
      id: 1,
      name: options.repo,
      full_name: `${options.owner}/${options.repo}`,
      owner: { login: options.owner, type: 'Organization' },
      private: false,
      visibility: 'public',
      fork: false,
      archived: false,
      default_branch: await defaultBranch(),
      url: repoUrl,
      html_url: htmlRepoUrl,
      permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    },
  });

  const getRef = async (name: string): Promise<ApiResponse> => {
    await assertRefsReadable();
    const ref = `refs/${name}`;
    const record = isValidRefName(ref) ? await git.readRef(ref) : null;
    if (!record) throw notFound();
    return { status: 200, body: refBody(record) };
  };

  /** The legacy `GET /git/refs/{ref}`: the ref itself, else the refs below it, else 404. */
  const getRefs = async (name: string | undefined): Promise<ApiResponse> => {
    await assertRefsReadable();
    if (name === undefined) return { status: 200, body: (await git.listRefs('refs')).map(refBody) };
    const ref = `refs/${name.replace(/\/+$/, '')}`;
    // `refs/heads` itself is a namespace, not a ref name, but may be listed.
    if (!isValidRefName(ref) && !/^refs\/[A-Za-z0-9._-]+$/.test(ref)) throw notFound();
    const records = await git.listRefs(ref);
    const exact = records.find((record) => record.ref === ref);
    if (exact) return { status: 200, body: refBody(exact) };
    if (records.length === 0) throw notFound();
    return { status: 200, body: records.map(refBody) };
  };

  const matchingRefs = async (prefix: string): Promise<ApiResponse> => {
    await assertRefsReadable();
    const records = await git.listRefs('refs');
    return { status: 200, body: records.filter((record) => record.ref.startsWith(`refs/${prefix}`)).map(refBody) };
  };

  /** Resolves a ref's new target, which must exist (and be a commit for a branch). */
  const targetOf = async (ref: string, sha: string): Promise<string> => {
    const type = git.isOid(sha) ? await git.objectType(sha) : null;
    if (!type) throw unprocessable('Object does not exist');
    // git itself refuses to point a branch at anything but a commit.
    if (ref.startsWith('refs/heads/') && type !== 'commit') throw unprocessable('Object is not a commit');
    return sha.toLowerCase();
  };

  const createRef = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createRefSchema, body);
    if (!isValidRefName(input.ref)) {
      throw unprocessable("Reference name is invalid: it must start with 'refs/' and have at least two slashes.");
    }
    return options.serialize(async () => {
      const sha = await targetOf(input.ref, input.sha);
      if ((await git.updateRef(input.ref, sha, null)) === 'stale') {
        // Either the ref exists or a ref it would nest under / contain does (refs/heads/a vs a/b).
        throw unprocessable('Reference already exists');
      }
      const record = await git.readRef(input.ref);
      if (!record) throw new Error(`ref ${input.ref} vanished right after being created`);
      return created(refBody(record));
    });
  };

  /**
   * Fast-forward (or forced) update as a compare-and-swap against the value that was
   * checked: if anything else moves the ref in between (another process on the repository,
   * a test hook), git refuses the swap and the new value is checked again.
   */
  const updateRef = async (name: string, body: unknown): Promise<ApiResponse> => {
    const input = parseBody(updateRefSchema, body);
    const ref = `refs/${name}`;
    if (!isValidRefName(ref)) throw unprocessable('Reference does not exist');
    return options.serialize(async () => {
      const sha = await targetOf(ref, input.sha);
      for (let attempt = 0; attempt < REF_UPDATE_ATTEMPTS; attempt++) {
        const current = await git.readRef(ref);
        if (!current) throw unprocessable('Reference does not exist');
        if (!input.force && current.oid !== sha) {
          const fastForward = current.type === 'commit' && (await git.objectType(sha)) === 'commit' && (await git.isAncestor(current.oid, sha));
          if (!fastForward) throw unprocessable('Update is not a fast forward');
        }
        if ((await git.updateRef(ref, sha, current.oid)) === 'ok') {
          return { status: 200, body: refBody({ ref, oid: sha, type: (await git.objectType(sha)) ?? 'commit' }) };
        }
      }
      throw unprocessable('Reference update failed');
    });
  };

  const deleteRef = async (name: string): Promise<ApiResponse> => {
    const ref = `refs/${name}`;
    if (!isValidRefName(ref)) throw unprocessable('Reference does not exist');
    return options.serialize(async () => {
      for (let attempt = 0; attempt < REF_UPDATE_ATTEMPTS; attempt++) {
        const current = await git.readRef(ref);
        if (!current) throw unprocessable('Reference does not exist');
        if ((await git.deleteRef(ref, current.oid)) === 'ok') return { status: 204 };
      }
      throw unprocessable('Reference update failed');
    });
  };

  const getCommit = async (sha: string): Promise<ApiResponse> => {
    await assertObjectsUsable();
    const commit = git.isOid(sha) ? await git.readCommit(sha) : null;
    if (!commit) throw notFound();
    return { status: 200, body: commitBody(commit) };
  };

  const createCommit = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createCommitSchema, body);
    if (input.message.includes('\0')) throw unprocessable('Invalid request.\n\nmessage must not contain NUL bytes.');
    const parents = input.parents ?? [];
    const fallback: GitIdentity = {
      ...options.identity,
      timestamp: Math.floor(options.now().getTime() / 1000),
      timezone: '+0000',
    };
    const author = identityFrom(input.author, fallback);
    // GitHub: an omitted committer is the author (date included); an omitted date is now.
    const committer = input.committer ? identityFrom(input.committer, fallback) : author;
    await assertObjectsUsable();
    return options.serialize(async () => {
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
      return created(commitBody(commit));
    });
  };

  const getTree = async (name: string, recursive: boolean): Promise<ApiResponse> => {
    await assertObjectsUsable();
    const sha = await git.peel(name, 'tree');
    if (!sha) throw notFound();
    return { status: 200, body: treeBody(sha, await git.listTree(sha, recursive)) };
  };

  const createTree = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createTreeSchema, body);
    await assertObjectsUsable();

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

    return options.serialize(async () => {
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
      return created(treeBody(sha, await git.listTree(sha, false)));
    });
  };

  const createBlob = async (body: unknown): Promise<ApiResponse> => {
    const input = parseBody(createBlobSchema, body);
    if (input.encoding === 'base64' && !isBase64(input.content)) {
      throw unprocessable('Invalid request.\n\ncontent is not valid Base64.');
    }
    const data = Buffer.from(input.content, input.encoding === 'base64' ? 'base64' : 'utf8');
    await assertObjectsUsable();
    return options.serialize(async () => {
      const sha = await git.writeBlob(data);
      return created({ sha, url: objectUrl('blob', sha) });
    });
  };

  const getBlob = async (sha: string, accept: string): Promise<ApiResponse> => {
    await assertObjectsUsable();
    const object = git.isOid(sha) ? await git.readObject(sha) : null;
    if (!object || object.type !== 'blob') throw notFound();
    if (wantsRaw(accept)) return { status: 200, raw: { data: object.content, contentType: RAW_CONTENT_TYPE } };
    const oid = sha.toLowerCase();
    return {
      status: 200,
      body: { sha: oid, size: object.content.length, url: objectUrl('blob', oid), content: wrappedBase64(object.content), encoding: 'base64' },
    };
  };

  const getContents = async (rawPath: string, refParam: string | null, accept: string): Promise<ApiResponse> => {
    if (await git.isEmpty()) throw notFound('This repository is empty.');
    const ref = refParam || (await defaultBranch());
    const commit = await git.peel(ref, 'commit');
    if (!commit) throw notFound(`No commit found for the ref ${ref}`);
    const filePath = rawPath.replace(/^\/+|\/+$/g, '');

    const contentsUrl = (entryPath: string) => `${repoUrl}/contents/${encodePath(entryPath)}?ref=${encodeURIComponent(ref)}`;
    const describe = (entry: TreeEntryRecord) => {
      const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      const type =
        entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : entry.mode === '120000' ? 'symlink' : 'file';
      const gitUrl = entry.type === 'commit' ? null : objectUrl(entry.type, entry.oid);
      const self = contentsUrl(entry.path);
      return {
        type,
        name,
        path: entry.path,
        sha: entry.oid,
        size: entry.size ?? 0,
        url: self,
        git_url: gitUrl,
        html_url: null,
        download_url: null,
        _links: { self, git: gitUrl, html: null },
      };
    };
    const listDirectory = async (treeOid: string, prefix: string): Promise<ApiResponse> => {
      const entries = await git.listTree(treeOid, false);
      return { status: 200, body: entries.map((entry) => describe({ ...entry, path: prefix + entry.path })) };
    };

    if (filePath === '') {
      const tree = await git.peel(commit, 'tree');
      return listDirectory(tree!, '');
    }
    if (!isValidTreePath(filePath)) throw notFound();
    const entry = await git.treeEntry(commit, filePath);
    if (!entry) throw notFound();
    if (entry.type === 'tree') return listDirectory(entry.oid, `${filePath}/`);
    if (entry.type === 'commit') return { status: 200, body: { ...describe(entry), submodule_git_url: null } };

    const object = await git.readObject(entry.oid);
    if (!object) throw notFound();
    if (wantsRaw(accept)) return { status: 200, raw: { data: object.content, contentType: RAW_CONTENT_TYPE } };
    if (entry.mode === '120000') return { status: 200, body: { ...describe(entry), target: object.content.toString('utf8') } };
    const inline = object.content.length <= CONTENTS_INLINE_LIMIT;
    return {
      status: 200,
      body: {
        ...describe(entry),
        encoding: inline ? 'base64' : 'none',
        content: inline ? wrappedBase64(object.content) : '',
      },
    };
  };

  return [
    { method: 'GET', pattern: /^\/?$/, handle: () => getRepository() },
    { method: 'GET', pattern: /^\/git\/ref\/(.+)$/, handle: (_, m) => getRef(m[1]!) },
    { method: 'GET', pattern: /^\/git\/refs\/?$/, handle: () => getRefs(undefined) },
    { method: 'GET', pattern: /^\/git\/refs\/(.+)$/, handle: (_, m) => getRefs(m[1]!) },
    { method: 'GET', pattern: /^\/git\/matching-refs\/(.*)$/, handle: (_, m) => matchingRefs(m[1]!) },
    { method: 'POST', pattern: /^\/git\/refs\/?$/, handle: (c) => createRef(c.body) },
    { method: 'PATCH', pattern: /^\/git\/refs\/(.+)$/, handle: (c, m) => updateRef(m[1]!, c.body) },
    { method: 'DELETE', pattern: /^\/git\/refs\/(.+)$/, handle: (_, m) => deleteRef(m[1]!) },
    { method: 'GET', pattern: /^\/git\/commits\/([^/]+)$/, handle: (_, m) => getCommit(m[1]!) },
    { method: 'POST', pattern: /^\/git\/commits\/?$/, handle: (c) => createCommit(c.body) },
    // GitHub: any value of `recursive` (even 0 or false) asks for the recursive listing.
    { method: 'GET', pattern: /^\/git\/trees\/(.+)$/, handle: (c, m) => getTree(m[1]!, c.query.has('recursive')) },
    { method: 'POST', pattern: /^\/git\/trees\/?$/, handle: (c) => createTree(c.body) },
    { method: 'GET', pattern: /^\/git\/blobs\/([^/]+)$/, handle: (c, m) => getBlob(m[1]!, c.accept) },
    { method: 'POST', pattern: /^\/git\/blobs\/?$/, handle: (c) => createBlob(c.body) },
    { method: 'GET', pattern: /^\/contents(?:\/(.*))?$/, handle: (c, m) => getContents(m[1] ?? '', c.query.get('ref'), c.accept) },
  ];
}

/** Percent-encodes each path segment, keeping the slashes. */
function encodePath(value: string): string {
  return value.split('/').map(encodeURIComponent).join('/');
}

/**
 * GitHub takes ISO 8601 date-times (`YYYY-MM-DDTHH:MM:SSZ` or with an offset); git wants
 * seconds plus the offset, which is kept so the commit records the author's zone.
 */
export function parseGitHubDate(value: string): { timestamp: number; timezone: string } | null {
  const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$/i.exec(value);
  if (!match) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const timezone = match[1]!.toUpperCase() === 'Z' ? '+0000' : `${match[2]}${match[3]}${match[4]}`;
  return { timestamp: Math.floor(ms / 1000), timezone };
}
