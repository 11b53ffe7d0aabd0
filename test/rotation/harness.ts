/**
 * The two sides of a key rotation, over the wire: the IAM fake and the GitHub emulator, with
 * a user whose current key the repository's secrets hold, a shared request timeline, and the
 * invariants every outcome must keep.
 */
import path from 'node:path';
import { expect } from '@jest/globals';
import sodium from 'libsodium-wrappers';
import { GitHubEmulator } from '../../local/emulators/github-server.js';
import { IamFake, type FakeAccessKey } from '../support/aws-wire/iam.js';
import { tempDir } from '../support/temp.js';

export const OWNER = 'futel';
export const REPO = 'usage';
export const TOKEN = 'ghp_rotation_test_token';
export const QUEUE_URL = 'https://sqs.us-west-2.amazonaws.com/123456789012/usage-events';
/** When the seeded secrets were last written: long before any test runs. */
export const SEEDED_AT = '2025-10-01T00:00:00Z';

export interface Harness {
  iam: IamFake;
  github: GitHubEmulator;
  /** `I:Action` and `G:METHOD /path` in the order the servers saw them. */
  timeline: string[];
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  await sodium.ready;
  const iam = await IamFake.start();
  const github = await GitHubEmulator.start({ repoDir: path.join(await tempDir('rotation-gh-'), 'repo.git'), owner: OWNER, repo: REPO, token: TOKEN, rateLimit: false });
  const timeline: string[] = [];
  iam.onRequest = (action) => timeline.push(`I:${action}`);
  github.beforeRequest(({ method, path: p }) => {
    timeline.push(`G:${method} ${p.replace(`/repos/${OWNER}/${REPO}/actions/secrets`, '')}`);
  });
  return { iam, github, timeline, close: async () => Promise.all([iam.close(), github.close()]).then(() => undefined) };
}

let users = 0;

/** A fresh user (so tests do not share keys) with the given keys; the secrets hold the first. */
export function setUpUser(h: Harness, keys: { status: 'Active' | 'Inactive'; createdAt?: string }[] = [{ status: 'Active' }]): { user: string; keys: FakeAccessKey[] } {
  h.iam.requests.length = 0;
  h.iam.clearFaults();
  h.iam.propagationUses = 0;
  h.iam.userCanGetSelf = true;
  h.github.clearFaults();
  h.github.secrets.clear();
  h.github.requests.length = 0;
  h.timeline.length = 0;
  const user = `usage-queue-${++users}`;
  h.iam.createUser(user);
  const made = keys.map((k, i) => h.iam.addKey(user, { status: k.status, createdAt: new Date(k.createdAt ?? `2025-0${i + 1}-01T00:00:00Z`) }));
  if (made[0]) {
    seedSecret(h.github, 'AWS_ACCESS_KEY_ID', made[0].id);
    seedSecret(h.github, 'AWS_SECRET_ACCESS_KEY', made[0].secret);
  }
  seedSecret(h.github, 'QUEUE_URL', 'https://sqs.us-west-2.amazonaws.com/123456789012/old-queue');
  return { user, keys: made };
}

export function seedSecret(github: GitHubEmulator, name: string, value: string, updatedAt = SEEDED_AT): void {
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), github.actionsSecretsKeyPair.publicKey);
  github.secrets.set(name, {
    encryptedValue: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
    keyId: github.actionsSecretsKeyPair.keyId,
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt,
  });
}

/** The state a rotation left behind, in terms of the invariants. */
export function stateOf(h: Harness, user: string) {
  const keys = h.iam.keysOf(user);
  const idSecret = h.github.decryptSecret('AWS_ACCESS_KEY_ID');
  const named = keys.find((k) => k.id === idSecret);
  return {
    keys,
    active: keys.filter((k) => k.status === 'Active'),
    /** The key AWS_ACCESS_KEY_ID names, if it still exists. */
    named,
    /** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY authenticate. */
    workingPair: named?.status === 'Active' && h.github.decryptSecret('AWS_SECRET_ACCESS_KEY') === named.secret,
  };
}

/** ≤ 2 keys, ≥ 1 active, the secrets name an active key (and, unless told otherwise, a working pair). */
export function expectInvariants(h: Harness, user: string, options: { workingPair?: boolean } = {}): void {
  const state = stateOf(h, user);
  expect(state.keys.length).toBeLessThanOrEqual(2);
  expect(state.active.length).toBeGreaterThanOrEqual(1);
  expect(state.named?.status).toBe('Active');
  if (options.workingPair ?? true) expect(state.workingPair).toBe(true);
}

/** No secret access key — old, new or the admin's — appears in `text`. */
export function expectNoSecrets(h: Harness, text: string): void {
  for (const key of h.iam.issued) expect(text).not.toContain(key.secret);
}

/** Requests that change something: IAM writes and GitHub PUT/DELETE. */
export function mutations(h: Harness): string[] {
  return h.timeline.filter((t) => /^I:(Create|Update|Delete)/.test(t) || /^G:(PUT|DELETE|POST|PATCH) /.test(t));
}
