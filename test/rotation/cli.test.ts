/** `usage-pipeline rotate-secrets` against the IAM fake and the GitHub emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCleanCli } from '../support/aws-wire/cli.js';
import { runInProcess } from '../support/aws-wire/in-process.js';
import { expectInvariants, expectNoSecrets, mutations, OWNER, QUEUE_URL, REPO, setUpUser, startHarness, stateOf, TOKEN, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const env = (): NodeJS.ProcessEnv => ({
  GITHUB_TOKEN: TOKEN,
  GITHUB_API_URL: h.github.url,
  AWS_ACCESS_KEY_ID: h.iam.admin.accessKeyId,
  AWS_SECRET_ACCESS_KEY: h.iam.admin.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const args = (user: string, ...extra: string[]) => ['rotate-secrets', '--repo', `${OWNER}/${REPO}`, '--user', user, '--iam-endpoint', h.iam.url, '--verify-interval', '5', ...extra];

describe('usage-pipeline rotate-secrets', () => {
  it('rotates, printing steps and a summary with key suffixes only, never a secret', async () => {
    const { user, keys } = setUpUser(h);
    h.iam.propagationUses = 1;
    const run = await runCleanCli(args(user, '--queue-url', QUEUE_URL), { env: env() });
    expect(run.code).toBe(0);
    const created = stateOf(h, user).keys[0]!;
    const oldSuffix = `…${keys[0]!.id.slice(-4)}`;
    const newSuffix = `…${created.id.slice(-4)}`;
    expect(run.stdout).toBe(
      [
        `rotated the access key of IAM user ${user} in futel/usage`,
        `  old key: ${oldSuffix}`,
        `  new key: ${newSuffix} (checked 2 time(s))`,
        '  secrets written: QUEUE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
        `  keys now: ${newSuffix} active`,
        '',
      ].join('\n'),
    );
    expect(run.stderr.trim().split('\n').map((l) => l.trim().split(':')[0])).toEqual([
      '✓ list-keys',
      '✓ read-secrets',
      '✓ create-key',
      '✓ write-secrets',
      '✓ verify-key',
      '✓ verify-secrets',
      '✓ deactivate-old-key',
      '✓ delete-old-key',
    ]);
    expectNoSecrets(h, run.stdout + run.stderr);
    expect(run.stdout + run.stderr).not.toContain(created.id);
    expect(stateOf(h, user).keys).toHaveLength(1);
    expect(h.github.decryptSecret('QUEUE_URL')).toBe(QUEUE_URL);
    expectInvariants(h, user);
  });

  it('prints the report as JSON with --json', async () => {
    const { user } = setUpUser(h);
    const run = await runInProcess(args(user, '--json'), env());
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, outcome: 'rotated', user, repository: 'futel/usage', secrets: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] });
    expectNoSecrets(h, run.stdout);
  });

  it('--dry-run reports the plan and changes nothing', async () => {
    const { user, keys } = setUpUser(h);
    const run = await runInProcess(args(user, '--dry-run', '--queue-url', QUEUE_URL), env());
    expect(run.code).toBe(0);
    const suffix = `…${keys[0]!.id.slice(-4)}`;
    expect(run.stdout).toBe(
      [
        `dry run: would rotate the access key of IAM user ${user} in futel/usage`,
        `  old key: ${suffix}`,
        '  secrets to write: QUEUE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
        `  keys now: ${suffix} active`,
        '  steps:',
        '  · create-key',
        '  · write-secrets: QUEUE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
        '  · verify-key',
        '  · verify-secrets',
        `  · deactivate-old-key: ${suffix}`,
        `  · delete-old-key: ${suffix}`,
        '',
      ].join('\n'),
    );
    expect(mutations(h)).toEqual([]);
    expect(h.github.decryptSecret('AWS_ACCESS_KEY_ID')).toBe(keys[0]!.id);
  });

  it('refuses a user with two active keys: exit 1, one line on stderr', async () => {
    const { user } = setUpUser(h, [{ status: 'Active' }, { status: 'Active' }]);
    const run = await runInProcess(args(user), env());
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('usage-pipeline:'))).toEqual([
      expect.stringMatching(new RegExp(`^usage-pipeline: refused: IAM user ${user} already has two active access keys`)),
    ]);
    expect(mutations(h)).toEqual([]);
  });

  it('exits 3 when it stopped part-way in a safe state (the old key could not be deleted)', async () => {
    const { user } = setUpUser(h);
    h.iam.injectFault({ action: 'DeleteAccessKey', times: 10 });
    const run = await runInProcess(args(user, '--json'), env());
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, outcome: 'incomplete' });
    expect(run.stderr).toMatch(/^usage-pipeline: incomplete: the secrets hold the new key and the old key …\w{4} is inactive, but deleting it failed .*: delete it by hand\n$/);
    expectNoSecrets(h, run.stdout + run.stderr);
    expectInvariants(h, user);
  });

  it('checks its configuration before any call', async () => {
    const noToken = await runInProcess(args('someone'), { ...env(), GITHUB_TOKEN: '' });
    expect(noToken).toMatchObject({ code: 1, stderr: 'usage-pipeline: set GITHUB_TOKEN (or GH_TOKEN) to a GitHub token that may write the Actions secrets of the repository\n' });
    const badRepo = await runInProcess(['rotate-secrets', '--repo', 'futel', '--user', 'someone'], env());
    expect(badRepo).toMatchObject({ code: 1, stderr: 'usage-pipeline: repository "futel" is not OWNER/NAME\n' });
    const badUser = await runInProcess(['rotate-secrets', '--repo', 'futel/usage', '--user', 'no spaces'], env());
    expect(badUser).toMatchObject({ code: 1, stderr: 'usage-pipeline: IAM user "no spaces" is not a valid user name\n' });
    const badQueue = await runInProcess(args('someone', '--queue-url', 'not a url'), env());
    expect(badQueue).toMatchObject({ code: 1, stderr: 'usage-pipeline: queue URL "not a url" is not an http(s) URL\n' });
  });
});
