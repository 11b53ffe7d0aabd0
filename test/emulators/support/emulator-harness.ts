/**
 * What the GitHub emulator tests share: an emulator per test on a bare repository whose
 * default branch has a first commit (like github.com, the emulator refuses Git Data requests in
 * an empty repository), a plain Octokit on it, and git itself to check the results.
 */
import { afterEach, beforeAll, beforeEach } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import sodium from 'libsodium-wrappers';
import { GitHubEmulator, type GitHubEmulatorOptions } from '../../../local/emulators/github-server.js';
import { gitRaw } from '../../support/git.js';

export const owner = 'futel';
export const repo = 'usage';
export const branch = 'gh-pages';


export async function git(gitDir: string, ...args: string[]): Promise<string> {
  return (await gitRaw(gitDir, args)).toString('utf8').trim();
}

/** Status of a rejected Octokit call (RequestError), or a failure if it resolved. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const requestError = error as { status: number; message: string; response?: { headers: Record<string, string> } };
    return { status: requestError.status, message: requestError.message, headers: requestError.response?.headers ?? {} };
  }
  throw new Error('expected the request to fail');
}

/** Octokit's request log would print every expected 4xx/5xx as console.error. */
export const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export let tmp: string;
export let emulator: GitHubEmulator;
export let kit: Octokit;
export let gitDir: string;

export async function startEmulator(overrides: Partial<GitHubEmulatorOptions> = {}): Promise<GitHubEmulator> {
  const started = await GitHubEmulator.start({ repoDir: path.join(tmp, 'usage.git'), owner, repo, ...overrides });
  emulators.push(started);
  return started;
}
const emulators: GitHubEmulator[] = [];

/**
 * A first commit on `main`, made with git itself: like github.com, the emulator refuses Git
 * Data requests in an empty repository (see github-limits.test.ts).
 */
export async function seedMain(dir: string): Promise<string> {
  const blob = (await gitRaw(dir, ['hash-object', '-w', '--stdin'], { input: 'seed\n' })).toString().trim();
  const tree = (await gitRaw(dir, ['mktree'], { input: `100644 blob ${blob}\tREADME.md\n` })).toString().trim();
  const commit = (await gitRaw(dir, ['commit-tree', tree], { input: 'seed' })).toString().trim();
  await git(dir, 'update-ref', 'refs/heads/main', commit);
  return commit;
}

/** Registers the hooks: a fresh emulator, repository and client for each test. */
export function useEmulator(): void {
  beforeAll(async () => {
    await sodium.ready;
  });
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'github-emulator-test-'));
    emulator = await startEmulator();
    gitDir = emulator.gitDir;
    await seedMain(gitDir);
    kit = new Octokit({ baseUrl: emulator.url, log: quiet });
  });
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((started) => started.close()));
    await fs.rm(tmp, { recursive: true, force: true });
  });
}

/** Points the shared client at another emulator (one started with other options). */
export function useKit(client: Octokit): void {
  kit = client;
}

/** Creates a commit with `files` (null deletes) on top of `parent` (or as a root commit). */
export async function commitFiles(files: Record<string, string | null>, parent?: string, message = 'publish'): Promise<string> {
  const baseTree = parent ? (await kit.rest.git.getCommit({ owner, repo, commit_sha: parent })).data.tree.sha : undefined;
  const tree = await kit.rest.git.createTree({
    owner,
    repo,
    ...(baseTree ? { base_tree: baseTree } : {}),
    tree: Object.entries(files).map(([filePath, content]) =>
      content === null
        ? { path: filePath, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path: filePath, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await kit.rest.git.createCommit({
    owner,
    repo,
    message,
    tree: tree.data.sha,
    parents: parent ? [parent] : [],
  });
  return commit.data.sha;
}

export async function createBranch(files: Record<string, string>): Promise<string> {
  const sha = await commitFiles(files, undefined, 'first');
  await kit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
  return sha;
}

export async function listFiles(treeish: string): Promise<string[]> {
  return (await git(gitDir, 'ls-tree', '-r', '--name-only', treeish)).split('\n').filter(Boolean);
}

