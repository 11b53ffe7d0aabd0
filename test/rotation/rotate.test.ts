/**
 * Key rotation through the real adapters (AWS SDK IAM client, Octokit with its plugins,
 * libsodium) against the IAM fake and the GitHub emulator, with failures injected at each step.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RotationReport } from '../../functions/rotation/model.js';
import { keySuffix, planRotation } from '../../functions/rotation/plan.js';
import { rotateAccessKey } from '../../functions/rotation/rotate.js';
import { Redacted } from '../../functions/core/redacted.js';
import { rotateWithConfig, type RotationConfig } from '../../functions/wiring/rotation.js';
import { expectInvariants, expectNoSecrets, mutations, OWNER, QUEUE_URL, REPO, SEEDED_AT, setUpUser, startHarness, stateOf, TOKEN, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

function rotate(user: string, extra: Partial<RotationConfig> = {}): Promise<RotationReport> {
  return rotateWithConfig({
    repository: `${OWNER}/${REPO}`,
    user,
    githubToken: TOKEN,
    githubApiUrl: h.github.url,
    githubThrottle: false,
    githubRetryAfterBaseValue: 1,
    iamEndpoint: h.iam.url,
    iamCredentials: h.iam.admin,
    queueUrl: QUEUE_URL,
    verify: { timeoutMs: 2_000, initialDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}


describe('rotation: the happy path', () => {
  it('creates, writes the secrets, verifies, then deactivates and deletes the old key — in that order', async () => {
    const { user, keys } = setUpUser(h);
    const old = keys[0]!;
    h.iam.propagationUses = 2; // IAM refuses the new key twice before it has propagated
    const report = await rotate(user);

    expect(report).toMatchObject({ ok: true, outcome: 'rotated', dryRun: false, user, repository: 'futel/usage', oldKey: keySuffix(old.id), verifyAttempts: 3 });
    expect(h.timeline).toEqual([
      'I:ListAccessKeys',
      'G:GET /public-key',
      'G:GET /QUEUE_URL',
      'G:GET /AWS_ACCESS_KEY_ID',
      'G:GET /AWS_SECRET_ACCESS_KEY',
      'I:CreateAccessKey',
      'G:PUT /QUEUE_URL',
      'G:PUT /AWS_ACCESS_KEY_ID',
      'G:PUT /AWS_SECRET_ACCESS_KEY',
      'I:GetUser',
      'I:GetUser',
      'I:GetUser',
      'G:GET /QUEUE_URL',
      'G:GET /AWS_ACCESS_KEY_ID',
      'G:GET /AWS_SECRET_ACCESS_KEY',
      'I:UpdateAccessKey',
      'I:DeleteAccessKey',
      'I:ListAccessKeys',
    ]);

    // The user ends with exactly one key: the new one, which the secrets hold.
    const state = stateOf(h, user);
    expect(state.keys).toHaveLength(1);
    const created = state.keys[0]!;
    expect(created.id).not.toBe(old.id);
    expect(report.newKey).toBe(keySuffix(created.id));
    expect(state.workingPair).toBe(true);
    expect(h.github.decryptSecret('AWS_ACCESS_KEY_ID')).toBe(created.id);
    expect(h.github.decryptSecret('AWS_SECRET_ACCESS_KEY')).toBe(created.secret);
    expect(h.github.decryptSecret('QUEUE_URL')).toBe(QUEUE_URL);
    expect(h.github.secrets.get('AWS_SECRET_ACCESS_KEY')!.updatedAt > SEEDED_AT).toBe(true);

    // Verification was signed by the new key itself; everything else by the admin.
    const probes = h.iam.requests.filter((r) => r.action === 'GetUser');
    expect(probes.map((r) => [r.signer, r.status, r.code])).toEqual([
      [created.id, 403, 'InvalidClientTokenId'],
      [created.id, 403, 'InvalidClientTokenId'],
      [created.id, 200, undefined],
    ]);
    expect(h.iam.requests.filter((r) => r.action !== 'GetUser').every((r) => r.signer === h.iam.admin.accessKeyId)).toBe(true);
    expect(h.iam.requests.find((r) => r.action === 'UpdateAccessKey')!.params).toMatchObject({ UserName: user, AccessKeyId: old.id, Status: 'Inactive' });
    expect(h.iam.requests.find((r) => r.action === 'DeleteAccessKey')!.params).toMatchObject({ UserName: user, AccessKeyId: old.id });

    expect(report.keys).toEqual([{ key: keySuffix(created.id), status: 'Active' }]);
    expect(report.secrets).toEqual(['QUEUE_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expectNoSecrets(h, JSON.stringify(report));
    expect(JSON.stringify(report)).not.toContain(created.id); // only suffixes
  });

  it('leaves QUEUE_URL alone when no queue URL is given', async () => {
    const { user } = setUpUser(h);
    const report = await rotate(user, { queueUrl: undefined });
    expect(report.outcome).toBe('rotated');
    expect(report.secrets).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(h.github.decryptSecret('QUEUE_URL')).toBe('https://sqs.us-west-2.amazonaws.com/123456789012/old-queue');
    expect(h.timeline.filter((t) => t.includes('QUEUE_URL'))).toEqual([]);
    expectInvariants(h, user);
  });

  it('counts AccessDenied on GetUser as a working key (the user may not read itself)', async () => {
    const { user } = setUpUser(h);
    h.iam.userCanGetSelf = false;
    const report = await rotate(user);
    expect(report.outcome).toBe('rotated');
    expect(h.iam.requests.filter((r) => r.action === 'GetUser').map((r) => r.code)).toEqual(['AccessDenied']);
    expectInvariants(h, user);
  });

  it('rotates a user with no key yet, and a user whose only key is inactive', async () => {
    const none = setUpUser(h, []);
    const first = await rotate(none.user);
    expect(first).toMatchObject({ outcome: 'rotated', steps: expect.arrayContaining([expect.objectContaining({ step: 'delete-old-key', status: 'skipped' })]) });
    expect(first.oldKey).toBeUndefined();
    expectInvariants(h, none.user);

    const inactive = setUpUser(h, [{ status: 'Inactive' }]);
    const second = await rotate(inactive.user);
    expect(second.outcome).toBe('rotated');
    expect(mutations(h).filter((m) => m.startsWith('I:'))).toEqual(['I:CreateAccessKey', 'I:DeleteAccessKey']);
    expect(stateOf(h, inactive.user).keys).toHaveLength(1);
    expectInvariants(h, inactive.user);
  });
});

describe('rotation: a user already at two keys', () => {
  it('deletes the inactive key first, never holding more than two', async () => {
    const { user, keys } = setUpUser(h, [{ status: 'Active' }, { status: 'Inactive' }]);
    const [active, inactive] = keys as [typeof keys[0], typeof keys[0]];
    const report = await rotate(user);
    expect(report).toMatchObject({ outcome: 'rotated', oldKey: keySuffix(active.id), deletedInactiveKey: keySuffix(inactive.id) });
    expect(mutations(h).filter((m) => m.startsWith('I:'))).toEqual(['I:DeleteAccessKey', 'I:CreateAccessKey', 'I:UpdateAccessKey', 'I:DeleteAccessKey']);
    expect(h.iam.requests.filter((r) => r.action === 'DeleteAccessKey').map((r) => r.params.AccessKeyId)).toEqual([inactive.id, active.id]);
    expect(stateOf(h, user).keys).toHaveLength(1);
    expectInvariants(h, user);
  });

  it('refuses two active keys and changes nothing', async () => {
    const { user, keys } = setUpUser(h, [{ status: 'Active' }, { status: 'Active' }]);
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'refused' });
    expect(report.error).toBe(
      `IAM user ${user} already has two active access keys (${keySuffix(keys[0]!.id)} active, ${keySuffix(keys[1]!.id)} active): deactivate the one the secrets do not use, then run again`,
    );
    expect(mutations(h)).toEqual([]);
    expect(stateOf(h, user).keys.map((k) => k.status)).toEqual(['Active', 'Active']);
  });

  it('with two inactive keys, deletes the older and rotates away from the newer', () => {
    const older = { id: 'AKIAOLDER0000000AAAA', status: 'Inactive' as const, createdAt: new Date('2024-01-01') };
    const newer = { id: 'AKIANEWER0000000BBBB', status: 'Inactive' as const, createdAt: new Date('2025-01-01') };
    expect(planRotation('u', [newer, older])).toEqual({ kind: 'rotate', old: newer, deleteFirst: older });
    expect(planRotation('u', [newer, older, older])).toMatchObject({ kind: 'refuse' });
  });
});

describe('rotation: failures keep the invariants', () => {
  it('IAM 500 on CreateAccessKey: nothing written, nothing left behind', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.injectFault({ action: 'CreateAccessKey', times: 1 });
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'rolled-back' });
    expect(report.error).toMatch(/^could not create a new access key: ServiceFailureException: Request processing has failed.* \(HTTP 500\)$/);
    expect(mutations(h)).toEqual(['I:CreateAccessKey']); // one attempt: CreateAccessKey is not retried
    expect(stateOf(h, user).keys.map((k) => k.id)).toEqual([keys[0]!.id]);
    expectInvariants(h, user);
  });

  it('a CreateAccessKey that IAM carried out but answered 500: the stray key is deleted', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.injectFault({ action: 'CreateAccessKey', times: 1, applied: true });
    const report = await rotate(user);
    expect(report.outcome).toBe('rolled-back');
    expect(report.steps.map((s) => `${s.step}:${s.status}`)).toContain('delete-stray-key:done');
    expect(stateOf(h, user).keys.map((k) => k.id)).toEqual([keys[0]!.id]);
    expectInvariants(h, user);
  });

  it.each([
    ['QUEUE_URL', 1],
    ['AWS_ACCESS_KEY_ID', 2],
  ])('GitHub 500 on the PUT of %s (secret %i): the new key is deleted, the secrets still hold the old one', async (name) => {
    const { user, keys } = setUpUser(h);
    h.github.injectFault({ method: 'PUT', path: new RegExp(`/actions/secrets/${name}$`), times: 10, status: 500 });
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'rolled-back' });
    expect(report.error).toMatch(new RegExp(`^could not write ${name} to futel/usage: GitHub: could not write secret ${name}: HTTP 500 `));
    const puts = h.github.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBe(name === 'QUEUE_URL' ? 4 : 5); // Octokit retried the 500 three times
    expect(stateOf(h, user).keys.map((k) => k.id)).toEqual([keys[0]!.id]);
    expect(h.github.decryptSecret('AWS_ACCESS_KEY_ID')).toBe(keys[0]!.id);
    expectInvariants(h, user);
    expectNoSecrets(h, JSON.stringify(report));
  });

  it('GitHub 500 on the PUT of AWS_SECRET_ACCESS_KEY: AWS_ACCESS_KEY_ID is put back, then the new key deleted', async () => {
    const { user, keys } = setUpUser(h);
    h.github.injectFault({ method: 'PUT', path: /\/AWS_SECRET_ACCESS_KEY$/, times: 10, status: 500 });
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'rolled-back' });
    expect(report.steps.map((s) => `${s.step}:${s.status}`)).toEqual(expect.arrayContaining(['write-secrets:failed', 'restore-secret:done', 'delete-new-key:done']));
    expect(stateOf(h, user).keys.map((k) => k.id)).toEqual([keys[0]!.id]);
    expectInvariants(h, user);
  });

  it('when putting AWS_ACCESS_KEY_ID back fails too, both keys stay active and the report says the pair is broken', async () => {
    const { user, keys } = setUpUser(h);
    h.github.injectFault({ method: 'PUT', path: /\/AWS_SECRET_ACCESS_KEY$/, times: 10, status: 500 });
    const remove = h.github.beforeRequest(({ method, path }) => {
      if (method === 'PUT' && path.endsWith('/AWS_SECRET_ACCESS_KEY')) h.github.injectFault({ method: 'PUT', path: /\/AWS_ACCESS_KEY_ID$/, times: 10, status: 502 });
    });
    try {
      const report = await rotate(user);
      expect(report).toMatchObject({ ok: false, outcome: 'incomplete' });
      expect(report.error).toContain('the secrets do not form a working pair until this is fixed; both keys were left active');
      const state = stateOf(h, user);
      expect(state.active.map((k) => k.id)).toContain(keys[0]!.id);
      expect(state.active).toHaveLength(2);
      // The invariant that still holds: the secrets name an active key.
      expectInvariants(h, user, { workingPair: false });
    } finally {
      remove();
    }
  });

  it('verification never succeeding: the secrets hold the new key, so both keys stay active', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.propagationUses = Number.POSITIVE_INFINITY;
    const report = await rotate(user, { verify: { timeoutMs: 60, initialDelayMs: 5, maxDelayMs: 10 } });
    expect(report).toMatchObject({ ok: false, outcome: 'incomplete' });
    expect(report.error).toMatch(/^the new key …\w{4} was not accepted by AWS after \d+ attempt\(s\) \(not accepted yet\); the secrets hold it, so both keys were left active$/);
    expect(report.verifyAttempts).toBeGreaterThan(2);
    expect(mutations(h).filter((m) => m.startsWith('I:'))).toEqual(['I:CreateAccessKey']);
    const state = stateOf(h, user);
    expect(state.active).toHaveLength(2);
    expect(state.keys.map((k) => k.id)).toContain(keys[0]!.id);
    expectInvariants(h, user);
  });

  it('UpdateAccessKey failing on the old key: rotated, but the old key is reported as still active', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.injectFault({ action: 'UpdateAccessKey', times: 10 });
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'incomplete' });
    expect(report.error).toMatch(new RegExp(`^the secrets hold the new key, but the old key ${keySuffix(keys[0]!.id)} could not be deactivated \\(ServiceFailureException: .*\\): deactivate and delete it by hand$`));
    expect(stateOf(h, user).keys.map((k) => k.status)).toEqual(['Active', 'Active']);
    expectInvariants(h, user);
  });

  it('DeleteAccessKey failing on the old key: it is left inactive, and the report says so', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.injectFault({ action: 'DeleteAccessKey', times: 10 });
    const report = await rotate(user);
    expect(report).toMatchObject({ ok: false, outcome: 'incomplete' });
    expect(report.error).toMatch(new RegExp(`^the secrets hold the new key and the old key ${keySuffix(keys[0]!.id)} is inactive, but deleting it failed \\(ServiceFailureException: .*\\): delete it by hand$`));
    const state = stateOf(h, user);
    expect(state.keys.find((k) => k.id === keys[0]!.id)?.status).toBe('Inactive');
    expect(state.keys).toHaveLength(2);
    expectInvariants(h, user);
    expect(report.keys).toEqual(expect.arrayContaining([{ key: keySuffix(keys[0]!.id), status: 'Inactive' }]));
  });

  it('a GitHub token that cannot read the secrets: refused before IAM is touched', async () => {
    const { user } = setUpUser(h);
    const report = await rotate(user, { githubToken: 'wrong' });
    expect(report).toMatchObject({ outcome: 'refused', error: 'cannot use the Actions secrets of futel/usage: GitHub: could not read the Actions public key: HTTP 401 Bad credentials - https://docs.github.com/rest' });
    expect(mutations(h)).toEqual([]);
  });
});

describe('rotation: dry run', () => {
  it('reads, reports the plan, and changes nothing', async () => {
    const { user, keys } = setUpUser(h, [{ status: 'Active' }, { status: 'Inactive' }]);
    const before = JSON.stringify([...h.github.secrets]);
    const report = await rotate(user, { dryRun: true });
    expect(report).toMatchObject({ ok: true, outcome: 'dry-run', dryRun: true, oldKey: keySuffix(keys[0]!.id) });
    expect(report.steps.filter((s) => s.status === 'planned').map((s) => `${s.step} ${s.detail ?? ''}`.trim())).toEqual([
      `delete-inactive-key ${keySuffix(keys[1]!.id)}`,
      'create-key',
      'write-secrets QUEUE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
      'verify-key',
      'verify-secrets',
      `deactivate-old-key ${keySuffix(keys[0]!.id)}`,
      `delete-old-key ${keySuffix(keys[0]!.id)}`,
    ]);
    expect(mutations(h)).toEqual([]);
    expect(h.timeline.every((t) => t.startsWith('I:List') || t.startsWith('G:GET'))).toBe(true);
    expect(JSON.stringify([...h.github.secrets])).toBe(before);
    expect(stateOf(h, user).keys.map((k) => [k.id, k.status])).toEqual(keys.map((k) => [k.id, k.status]));
  });
});

describe('secrets stay secret', () => {
  it('Redacted never prints its value', () => {
    const secret = new Redacted('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(String(secret)).toBe('[redacted]');
    expect(secret.reveal()).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  });

  it('scrubs a secret echoed back in an error message', async () => {
    const secret = new Redacted('SECRETSECRETSECRETSECRET');
    const report = await rotateAccessKey({
      keys: {
        user: 'u',
        listKeys: async () => [],
        createKey: async () => ({ id: 'AKIA0000000000000NEW', secret }),
        setKeyStatus: async () => {},
        deleteKey: async () => {},
        checkKey: async () => 'accepted',
      },
      secrets: {
        repository: 'o/r',
        prepare: async () => {},
        updatedAt: async () => new Map(),
        put: async (name, value) => {
          if (name === 'AWS_SECRET_ACCESS_KEY') throw new Error(`refused value ${value.reveal()}`);
        },
      },
    });
    expect(report.outcome).toBe('incomplete');
    expect(JSON.stringify(report)).not.toContain('SECRETSECRET');
    expect(report.error).toContain('refused value [redacted]');
  });
});
