/**
 * The refs endpoints of the GitHub emulator: read, list, create, update (fast-forward or
 * forced, as a compare-and-swap) and delete, with branch protection refusing updates the ways
 * github.com does.
 */
import { z } from 'zod';
import { isValidRefName } from '../../../functions/adapters/git/repository.js';
import { ApiError, notFound, parseBody, unprocessable, type ApiResponse, type Route } from './http.js';
import type { RepoContext } from './repo-context.js';

/**
 * How a protected branch refuses a ref update: a branch protection rule (422 "Protected branch
 * update failed …"), a ruleset (422 "Reference cannot be updated") or a token without the
 * permission (403 "Resource not accessible by integration").
 */
export type BranchRefusal = 'protected' | 'ruleset' | 'forbidden';

/** A ref moved under a PATCH is re-read and re-checked this many times before giving up. */
const REF_UPDATE_ATTEMPTS = 5;

const createRefSchema = z.object({ ref: z.string(), sha: z.string() });
const updateRefSchema = z.object({ sha: z.string(), force: z.boolean().optional() });

export function refusalError(refusal: BranchRefusal, ref: string): ApiError {
  switch (refusal) {
    case 'protected':
      return unprocessable(`Protected branch update failed for ${ref}.`);
    case 'ruleset':
      return unprocessable('Reference cannot be updated');
    case 'forbidden':
      return new ApiError(403, 'Resource not accessible by integration');
  }
}

export function refRoutes(context: RepoContext, protection: (ref: string) => BranchRefusal | undefined): Route[] {
  const { git } = context;
  const refuseIfProtected = (ref: string): void => {
    const refusal = protection(ref);
    if (refusal) throw refusalError(refusal, ref);
  };

  const getRef = async (name: string): Promise<ApiResponse> => {
    await context.assertRefsReadable();
    const ref = `refs/${name}`;
    const record = isValidRefName(ref) ? await git.readRef(ref) : null;
    if (!record) throw notFound();
    return { status: 200, body: context.refBody(record) };
  };

  /** The legacy `GET /git/refs/{ref}`: the ref itself, else the refs below it, else 404. */
  const getRefs = async (name: string | undefined): Promise<ApiResponse> => {
    await context.assertRefsReadable();
    if (name === undefined) return { status: 200, body: (await git.listRefs('refs')).map((record) => context.refBody(record)) };
    const ref = `refs/${name.replace(/\/+$/, '')}`;
    // `refs/heads` itself is a namespace, not a ref name, but may be listed.
    if (!isValidRefName(ref) && !/^refs\/[A-Za-z0-9._-]+$/.test(ref)) throw notFound();
    const records = await git.listRefs(ref);
    const exact = records.find((record) => record.ref === ref);
    if (exact) return { status: 200, body: context.refBody(exact) };
    if (records.length === 0) throw notFound();
    return { status: 200, body: records.map((record) => context.refBody(record)) };
  };

  const matchingRefs = async (prefix: string): Promise<ApiResponse> => {
    await context.assertRefsReadable();
    const records = await git.listRefs('refs');
    return { status: 200, body: records.filter((record) => record.ref.startsWith(`refs/${prefix}`)).map((record) => context.refBody(record)) };
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
    refuseIfProtected(input.ref);
    return context.serialize(async () => {
      const sha = await targetOf(input.ref, input.sha);
      if ((await git.updateRef(input.ref, sha, null)) === 'stale') {
        // Either the ref exists or a ref it would nest under / contain does (refs/heads/a vs a/b).
        throw unprocessable('Reference already exists');
      }
      const record = await git.readRef(input.ref);
      if (!record) throw new Error(`ref ${input.ref} vanished right after being created`);
      return context.created(context.refBody(record));
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
    refuseIfProtected(ref);
    return context.serialize(async () => {
      const sha = await targetOf(ref, input.sha);
      for (let attempt = 0; attempt < REF_UPDATE_ATTEMPTS; attempt++) {
        const current = await git.readRef(ref);
        if (!current) throw unprocessable('Reference does not exist');
        if (!input.force && current.oid !== sha) {
          const fastForward = current.type === 'commit' && (await git.objectType(sha)) === 'commit' && (await git.isAncestor(current.oid, sha));
          if (!fastForward) throw unprocessable('Update is not a fast forward');
        }
        if ((await git.updateRef(ref, sha, current.oid)) === 'ok') {
          return { status: 200, body: context.refBody({ ref, oid: sha, type: (await git.objectType(sha)) ?? 'commit' }) };
        }
      }
      throw unprocessable('Reference update failed');
    });
  };

  const deleteRef = async (name: string): Promise<ApiResponse> => {
    const ref = `refs/${name}`;
    if (!isValidRefName(ref)) throw unprocessable('Reference does not exist');
    refuseIfProtected(ref);
    return context.serialize(async () => {
      for (let attempt = 0; attempt < REF_UPDATE_ATTEMPTS; attempt++) {
        const current = await git.readRef(ref);
        if (!current) throw unprocessable('Reference does not exist');
        if ((await git.deleteRef(ref, current.oid)) === 'ok') return { status: 204 };
      }
      throw unprocessable('Reference update failed');
    });
  };

  return [
    { method: 'GET', pattern: /^\/git\/ref\/(.+)$/, handle: (_, m) => getRef(m[1]!) },
    { method: 'GET', pattern: /^\/git\/refs\/?$/, handle: () => getRefs(undefined) },
    { method: 'GET', pattern: /^\/git\/refs\/(.+)$/, handle: (_, m) => getRefs(m[1]!) },
    { method: 'GET', pattern: /^\/git\/matching-refs\/(.*)$/, handle: (_, m) => matchingRefs(m[1]!) },
    { method: 'POST', pattern: /^\/git\/refs\/?$/, handle: (c) => createRef(c.body) },
    { method: 'PATCH', pattern: /^\/git\/refs\/(.+)$/, handle: (c, m) => updateRef(m[1]!, c.body) },
    { method: 'DELETE', pattern: /^\/git\/refs\/(.+)$/, handle: (_, m) => deleteRef(m[1]!) },
  ];
}
