/**
 * The deploy lifecycle against a second AWS implementation: moto 5.2.1 on 127.0.0.1, through
 * the project's launcher. `npm run test:deploy` runs just this; `npm test` runs it too, and
 * skips it with a notice on a machine without moto, Terraform or the fixtures.
 *
 * Two accounts (two moto servers) are deployed into side by side:
 * - a new account: deploy, a second plan with no changes, the pipeline's S3 and SQS adapters
 *   against the deployed queue and bucket, `npm run destroy` (the bucket stays), re-deploy;
 * - the old system's account: the bucket, and the groups with the managed policies its setup
 *   guide made (plus policies of the operators' own), adopted; destroyed, keeping what was
 *   adopted; then groups with none of the policies.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import { dailyObjectKey } from '../../functions/core/site-paths.js';
import { parseCompactDay } from '../../functions/core/days.js';
import { listAll, PreconditionFailedError } from '../../functions/core/object-store.js';
import { stagingKey } from '../../functions/core/bucket-layout.js';
import { mergeDay } from '../../functions/pipeline/merge.js';
import { RETAINED_TYPES } from '../../infra/destroy.js';
import { fixture } from '../support/fixtures.js';
import { describeWith } from '../support/requirements.js';
import { clientsFor, createOldSystem, OLD_SYSTEM, removeManagedPolicies, snapshot, type Clients } from './account.js';
import { MotoDeployment, progress, synthFootprint } from './deployment.js';
import { startMoto, type Moto } from './moto.js';
import { deployedDeps, drainUntilEmpty, recordingLog, sendBodies, withCompetingWriter } from './pipeline-run.js';
import { keepTemporaryFiles } from '../support/temp.js';

const USER = 'usage-pipeline-github-actions';
const OUR_S3_GRANTS = ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'].map((action) => `${action} on arn:aws:s3:::logpublish/*`);
const ourQueueGrants = (queueArn: string) => ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'].map((action) => `${action} on ${queueArn}`);

function resourceCount(stackDir: string): number {
  const tf = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource: Record<string, object> };
  return Object.values(tf.resource).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}

const typeOf = (address: string) => address.split('.')[0]!;
const bucketAddresses = (kept: readonly string[]) => kept.filter((address) => (RETAINED_TYPES as readonly string[]).includes(typeOf(address)));

describeWith(['moto', 'terraform', 'fixtures'], 'deploying the stack into moto', () => {
  let work: string;
  let failed = false;
  const servers: Moto[] = [];
  const started = performance.now();

  /** Runs one account's story; a failure keeps the work directory (state, moto's request trace) for a post-mortem. */
  const story = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      failed = true;
      throw error;
    }
  };

  async function account(label: string): Promise<{ moto: Moto; deployment: MotoDeployment; clients: Clients }> {
    // Every request moto answers, kept next to the deployment (and gone with it) for a failure's post-mortem.
    const moto = await startMoto({ trace: path.join(work, `${label}-moto-requests.ndjson`) });
    servers.push(moto);
    progress(label, `moto at ${moto.endpoint}`);
    return { moto, deployment: new MotoDeployment(label, moto, path.join(work, label)), clients: clientsFor(moto.endpoint, moto.caBundle) };
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'usage-pipeline-deploy-'));
  });

  afterAll(async () => {
    await Promise.all(servers.map((moto) => moto.stop()));
    if (work && !failed) await rm(work, { recursive: true, force: true });
    if (failed) await keepTemporaryFiles(`the deploy test failed; its work directory is ${work}`);
    progress('all', `finished in ${Math.round((performance.now() - started) / 1000)} s${failed ? `; kept ${work} (state, synthesized stacks, moto's request traces)` : ''}`);
  });

  it.concurrent(
    'a new account: deploy, no changes on a second plan, drain and merge through the deployed queue and bucket, destroy keeps the bucket, re-deploy',
    story(async () => {
      const { moto, deployment, clients } = await account('new-account');

      const treeBefore = synthFootprint();
      await deployment.synth();
      // `npm run synth` leaves the work tree as it found it (cdktf.json keeps its projectId).
      expect(synthFootprint()).toBe(treeBefore);
      await deployment.init();
      expect(await deployment.apply()).toEqual({ add: resourceCount(deployment.stackDir), change: 0, import: 0, remove: 0 });
      await deployment.expectEmptyPlan();
      const outputs = await deployment.outputs();

      // The real queue bodies through the deployed queue into the deployed bucket.
      const expected = JSON.parse(await readFile(fixture('messages', 'sns-20250301.expected.json'), 'utf8'));
      const bodies = (await readFile(fixture('messages', 'sns-20250301.ndjson'), 'utf8')).split('\n').filter((line) => line !== '');
      await sendBodies(clients.sqs, outputs.queue_url!, bodies);
      const log = recordingLog();
      const deps = deployedDeps(clients, outputs, log);
      const drained = await drainUntilEmpty(deps);
      const { duplicates, ...totals } = drained.totals;
      expect({ ...totals, received: totals.received - duplicates }).toEqual({ received: expected.messages, kept: expected.useful, dropped: expected.dropped, malformed: expected.malformed, deleteFailures: 0 });
      const day = parseCompactDay(expected.day)!;
      expect(drained.days).toEqual([day]);
      const merged = await mergeDay(deps, day);
      expect(merged).toMatchObject({ day, added: expected.useful, total: expected.useful });
      const key = dailyObjectKey(day);
      const daily = await deps.bucket.get(key);
      const dailyExpected = await readFile(fixture('futel-2025-03', 'input', 'events', 'prod', expected.day), 'utf8');
      expect(Buffer.from(daily!.body).toString('utf8') === dailyExpected).toBe(true);
      expect(await deps.queue!.depth()).toEqual({ visible: 0, inFlight: 0 });
      expect(await new SqsMessageQueue({ client: clients.sqs, queueUrl: outputs.dead_letter_queue_url! }).depth()).toEqual({ visible: 0, inFlight: 0 });
      expect(await listAll(deps.bucket, 'rejected/')).toHaveLength(expected.malformed);
      expect(await listAll(deps.bucket, 'staging/')).toEqual([]);
      expect(log.warnings).toEqual(['quarantined malformed messages']);
      // The bucket policy refuses requests without TLS (moto, like S3, answers 403).
      const overPlainHttp = new S3ObjectStore({ client: clientsFor(moto.httpEndpoint).s3, bucket: outputs.bucket_name! });
      await expect(overPlainHttp.get(key)).rejects.toThrow(/HTTP 403/);

      // Conditional writes as S3 enforces them: a stale ETag and a second first-writer both lose.
      await expect(deps.bucket.put(key, 'stale', { ifMatch: '"0123456789abcdef0123456789abcdef"' })).rejects.toThrow(PreconditionFailedError);
      await deps.bucket.put('state/deploy-test.json', '{}', { ifNoneMatch: '*' });
      await expect(deps.bucket.put('state/deploy-test.json', '{"second": true}', { ifNoneMatch: '*' })).rejects.toThrow(PreconditionFailedError);
      await expect(deps.bucket.put('state/never-written.json', '{}', { ifMatch: daily!.etag })).rejects.toThrow(PreconditionFailedError);

      // A merge that loses the race to a concurrent writer: moto answers its write with 412, the
      // merge reads again and folds its line in next to the other writer's.
      const stagedLine = '{"timestamp": "2025-03-01T23:59:58+00:00", "channel": "999", "endpoint": "999", "event": "deploy-test-staged"}';
      const competingLine = '{"timestamp": "2025-03-01T23:59:59+00:00", "channel": "998", "endpoint": "998", "event": "deploy-test-competitor"}';
      await deps.bucket.put(stagingKey(day, 'deploy-test'), `${stagedLine}\n`);
      const answersBefore = moto.answers.length;
      const racing = recordingLog();
      const competitor = async () => {
        const current = await deps.bucket.get(key);
        await deps.bucket.put(key, `${Buffer.from(current!.body).toString('utf8')}${competingLine}\n`, { ifMatch: current!.etag });
      };
      const raced = await mergeDay(deployedDeps(clients, outputs, racing, withCompetingWriter(deps.bucket, key, competitor)), day);
      expect(racing.warnings).toEqual(['daily object changed while merging; merging again']);
      expect(moto.answers.slice(answersBefore).filter((answer) => answer.status === 412)).toEqual([expect.objectContaining({ action: `PUT /${outputs.bucket_name}/${key}`, code: 'PreconditionFailed' })]);
      expect(raced).toMatchObject({ added: 1, total: expected.useful + 2 });
      const after = Buffer.from((await deps.bucket.get(key))!.body).toString('utf8');
      expect([after.includes(`${stagedLine}\n`), after.includes(`${competingLine}\n`), after.startsWith(dailyExpected.slice(0, 200))]).toEqual([true, true, true]);

      // npm run destroy keeps the bucket (and its data), and nothing else.
      const kept = await deployment.destroy();
      expect(kept.map(typeOf).sort()).toEqual([...RETAINED_TYPES].sort());
      const afterDestroy = await snapshot(clients);
      expect(afterDestroy).toMatchObject({ buckets: ['logpublish'], queues: [], secrets: [], stateMachines: [], users: [], groups: {}, policies: {} });
      expect(afterDestroy.objects).toContain(key);

      // Re-deploying into the same account works: the bucket is adopted, the secret's name is free.
      await deployment.synth({ bucket: true });
      await deployment.init();
      expect(await deployment.apply()).toEqual({ add: resourceCount(deployment.stackDir) - 1, change: 0, import: 1, remove: 0 });
      await deployment.expectEmptyPlan();
      expect(Buffer.from((await deps.bucket.get(key))!.body).toString('utf8')).toBe(after);
    }),
    1_500_000,
  );

  it.concurrent(
    "the old system's account: adopts the bucket, the groups and their managed policies, keeps them on destroy; then groups with none",
    story(async () => {
      const { deployment, clients } = await account('old-account');

      // Adopting what is not there fails at plan time, naming each resource.
      await deployment.synth({ bucket: true, iamGroups: true, iamPolicies: true });
      await deployment.init();
      const refused = await deployment.failingPlan();
      expect(refused).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^aws_s3_bucket\.\S+: Cannot import non-existent remote object/),
          expect.stringMatching(/^aws_iam_group\.github-actions_s3-writers_\S+: Cannot import non-existent remote object/),
        ]),
      );

      await createOldSystem(clients, { withPolicies: true });
      const applied = await deployment.apply();
      expect({ import: applied.import, remove: applied.remove }).toEqual({ import: 7, remove: 0 });
      await deployment.expectEmptyPlan();
      const queueArn = `arn:aws:sqs:us-west-2:123456789012:usage-pipeline-events`;
      const adopted = await snapshot(clients);
      expect(adopted.groups).toEqual({
        's3-writers': { attached: [OLD_SYSTEM.extraPolicy, 's3-get-put-delete'], inline: [], members: [OLD_SYSTEM.user, USER] },
        'sqs-queue-consumer': { attached: ['queue-message-delete'], inline: [OLD_SYSTEM.inlinePolicy], members: [OLD_SYSTEM.user, USER] },
      });
      // The documents are replaced by the stack's; the old one stays as a non-default version.
      expect(adopted.policies).toEqual({
        's3-get-put-delete': { versions: 2, grants: OUR_S3_GRANTS },
        'queue-message-delete': { versions: 2, grants: ourQueueGrants(queueArn) },
        [OLD_SYSTEM.extraPolicy]: { versions: 1, grants: ['s3:ListBucket on arn:aws:s3:::logpublish'] },
      });
      expect(adopted.objects).toContain(OLD_SYSTEM.dailyObject);

      // Destroy keeps the bucket and everything adopted; the old system's user keeps its groups.
      const kept = await deployment.destroy();
      expect(kept.filter((address) => !bucketAddresses(kept).includes(address)).map(typeOf).sort()).toEqual(
        ['aws_iam_group', 'aws_iam_group', 'aws_iam_group_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_policy', 'aws_iam_policy'],
      );
      const afterDestroy = await snapshot(clients);
      expect(afterDestroy).toMatchObject({ buckets: ['logpublish'], queues: [], secrets: [], stateMachines: [], users: [OLD_SYSTEM.user], policies: adopted.policies });
      expect(afterDestroy.groups).toEqual({
        's3-writers': { ...adopted.groups['s3-writers']!, members: [OLD_SYSTEM.user] },
        'sqs-queue-consumer': { ...adopted.groups['sqs-queue-consumer']!, members: [OLD_SYSTEM.user] },
      });
      expect(afterDestroy.objects).toContain(OLD_SYSTEM.dailyObject);

      // Groups with none of the policies: the stack makes them, and destroy takes them away again.
      await removeManagedPolicies(clients);
      await deployment.synth({ bucket: true, iamGroups: true });
      await deployment.init();
      expect(await deployment.apply()).toMatchObject({ import: 3, remove: 0 });
      await deployment.expectEmptyPlan();
      const created = await snapshot(clients);
      expect(created.groups['s3-writers']!.attached).toEqual([OLD_SYSTEM.extraPolicy, 's3-get-put-delete']);
      expect(created.policies['s3-get-put-delete']).toEqual({ versions: 1, grants: OUR_S3_GRANTS });
      const keptAgain = await deployment.destroy();
      expect(keptAgain.filter((address) => !bucketAddresses(keptAgain).includes(address)).map(typeOf)).toEqual(['aws_iam_group', 'aws_iam_group']);
      const last = await snapshot(clients);
      expect(last.groups).toEqual({
        's3-writers': { attached: [OLD_SYSTEM.extraPolicy], inline: [], members: [OLD_SYSTEM.user] },
        'sqs-queue-consumer': { attached: [], inline: [OLD_SYSTEM.inlinePolicy], members: [OLD_SYSTEM.user] },
      });
      expect(Object.keys(last.policies)).toEqual([OLD_SYSTEM.extraPolicy]);
    }),
    1_500_000,
  );
});
