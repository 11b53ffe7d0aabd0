/**
 * The repository and contents endpoints of the GitHub emulator: `GET /repos/{o}/{r}`,
 * `GET /contents/{path}` (with GitHub's 1 MB limit for the default media type) and
 * `PUT /contents/{path}`, which creates or updates one file in one commit — and, unlike the
 * Git Data API, can make the first commit of an empty repository.
 */
import { z } from 'zod';
import type { TreeEntryRecord } from '../../../functions/adapters/git/repository.js';
import { isValidTreePath } from './emulator-repository.js';
import { ApiError, isBase64, notFound, parseBody, unprocessable, wantsObject, wantsRaw, wrappedBase64, type ApiResponse, type Route } from './http.js';
import { identitySchema, type RepoContext } from './repo-context.js';
import { refusalError, type BranchRefusal } from './refs.js';

/** What api.github.com answers for the raw media type (Octokit then returns a string). */
const RAW_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Over this size the `object` media type leaves `content` empty (`encoding: "none"`). */
const OBJECT_INLINE_LIMIT = 1024 * 1024;

const putContentsSchema = z.object({
  message: z.string(),
  content: z.string(),
  sha: z.string().optional(),
  branch: z.string().optional(),
  committer: identitySchema.optional(),
  author: identitySchema.optional(),
});

export function contentsRoutes(context: RepoContext, protection: (ref: string) => BranchRefusal | undefined): Route[] {
  const { git } = context;
  const { limiter } = context.options;

  const getRepository = async (): Promise<ApiResponse> => ({
    status: 200,
    body: {
      id: 1,
      name: context.options.repo,
      full_name: `${context.options.owner}/${context.options.repo}`,
      owner: { login: context.options.owner, type: 'Organization' },
      private: false,
      visibility: 'public',
      fork: false,
      archived: false,
      default_branch: await context.defaultBranch(),
      url: context.repoUrl,
      html_url: context.htmlRepoUrl,
      permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    },
  });

  const contentsUrl = (entryPath: string, ref: string) => `${context.repoUrl}/contents/${encodePath(entryPath)}?ref=${encodeURIComponent(ref)}`;
  const describe = (entry: TreeEntryRecord, ref: string) => {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    const type = entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : entry.mode === '120000' ? 'symlink' : 'file';
    const gitUrl = entry.type === 'commit' ? null : context.objectUrl(entry.type, entry.oid);
    const self = contentsUrl(entry.path, ref);
    return { type, name, path: entry.path, sha: entry.oid, size: entry.size ?? 0, url: self, git_url: gitUrl, html_url: null, download_url: null, _links: { self, git: gitUrl, html: null } };
  };

  const getContents = async (rawPath: string, refParam: string | null, accept: string): Promise<ApiResponse> => {
    if (await git.isEmpty()) throw notFound('This repository is empty.');
    const ref = refParam || (await context.defaultBranch());
    const commit = await git.peel(ref, 'commit');
    if (!commit) throw notFound(`No commit found for the ref ${ref}`);
    const filePath = rawPath.replace(/^\/+|\/+$/g, '');
    const listDirectory = async (treeOid: string, prefix: string): Promise<ApiResponse> => {
      const entries = await git.listTree(treeOid, false);
      return { status: 200, body: entries.map((entry) => describe({ ...entry, path: prefix + entry.path }, ref)) };
    };

    if (filePath === '') return listDirectory((await git.peel(commit, 'tree'))!, '');
    if (!isValidTreePath(filePath)) throw notFound();
    const entry = await git.treeEntry(commit, filePath);
    if (!entry) throw notFound();
    if (entry.type === 'tree') return listDirectory(entry.oid, `${filePath}/`);
    if (entry.type === 'commit') return { status: 200, body: { ...describe(entry, ref), submodule_git_url: null } };

    const raw = wantsRaw(accept);
    const object = wantsObject(accept);
    // The default media type stops at 1 MB; raw and object go on to GitHub's 100 MB.
    if (!raw && !object) limiter.checkContentsSize(entry.size ?? 0);
    const blob = await git.readObject(entry.oid);
    if (!blob) throw notFound();
    if (raw) return { status: 200, raw: { data: blob.content, contentType: RAW_CONTENT_TYPE } };
    if (entry.mode === '120000') return { status: 200, body: { ...describe(entry, ref), target: blob.content.toString('utf8') } };
    const inline = !object || blob.content.length <= OBJECT_INLINE_LIMIT;
    return { status: 200, body: { ...describe(entry, ref), encoding: inline ? 'base64' : 'none', content: inline ? wrappedBase64(blob.content) : '' } };
  };

  /** Creates or updates one file in a commit on a branch; in an empty repository, the first commit. */
  const putContents = async (rawPath: string, body: unknown): Promise<ApiResponse> => {
    const input = parseBody(putContentsSchema, body);
    const filePath = rawPath.replace(/^\/+|\/+$/g, '');
    if (!isValidTreePath(filePath)) throw unprocessable('path contains a malformed path component');
    if (!isBase64(input.content)) throw unprocessable('Invalid request.\n\ncontent is not valid Base64.');
    const branch = input.branch ?? (await context.defaultBranch());
    const ref = `refs/heads/${branch}`;
    const refusal = protection(ref);
    if (refusal) throw refusalError(refusal, ref);
    const fallback = context.defaultIdentity();
    const author = context.identityFrom(input.author, fallback);
    const committer = input.committer ? context.identityFrom(input.committer, fallback) : author;

    return context.serialize(async () => {
      const empty = await git.isEmpty();
      const head = empty ? null : await git.readRef(ref);
      if (!empty && !head) throw notFound(`Branch ${branch} not found`);
      const baseTree = head ? ((await git.peel(head.oid, 'tree')) ?? undefined) : undefined;
      const existing = head ? await git.treeEntry(head.oid, filePath) : null;
      if (existing && input.sha === undefined) throw unprocessable('Invalid request.\n\n"sha" wasn\'t supplied.');
      if (existing && input.sha!.toLowerCase() !== existing.oid) throw new ApiError(409, `${filePath} does not match ${input.sha}`);

      const blob = await git.writeBlob(Buffer.from(input.content, 'base64'));
      const tree = await git.buildTree(baseTree, [{ action: 'set', path: filePath, mode: '100644', type: 'blob', oid: blob }]);
      const sha = await git.commitTree({ tree, parents: head ? [head.oid] : [], message: input.message, author, committer });
      if ((await git.updateRef(ref, sha, head?.oid ?? null)) !== 'ok') throw new ApiError(409, `${ref} moved during the update`);
      // GitHub makes the first branch pushed to an empty repository its default branch.
      if (empty) await git.run(['symbolic-ref', 'HEAD', ref]);
      const entry = (await git.treeEntry(sha, filePath))!;
      const commit = (await git.readCommit(sha))!;
      return { status: existing ? 200 : 201, body: { content: describe(entry, branch), commit: context.commitBody(commit) } };
    });
  };

  return [
    { method: 'GET', pattern: /^\/?$/, handle: () => getRepository() },
    { method: 'GET', pattern: /^\/contents(?:\/(.*))?$/, handle: (c, m) => getContents(m[1] ?? '', c.query.get('ref'), c.accept) },
    { method: 'PUT', pattern: /^\/contents\/(.+)$/, handle: (c, m) => putContents(m[1]!, c.body) },
  ];
}

/** Percent-encodes each path segment, keeping the slashes. */
function encodePath(value: string): string {
  return value.split('/').map(encodeURIComponent).join('/');
}
