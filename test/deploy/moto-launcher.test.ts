/**
 * The launcher's own behaviour, apart from any deploy: an SDK retry of an operation whose first
 * answer was lost on the way back gets that answer again (moto's development server loses one now
 * and then on a busy machine), while a new operation is carried out as moto would.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { describeWith } from '../support/requirements.js';
import { startMoto, type Moto } from './moto.js';

describeWith(['moto'], 'the moto launcher', () => {
  let moto: Moto;

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** An IAM client whose first attempt at each operation loses moto's answer, as a dropped connection would. */
  function clientLosingFirstAnswers(): { client: IAMClient; attempts: string[] } {
    const client = new IAMClient({ endpoint: moto.httpEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const attempts: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const headers = (args.request as { headers: Record<string, string> }).headers;
        attempts.push(headers['amz-sdk-request'] ?? '');
        if (headers['amz-sdk-request']?.startsWith('attempt=1;')) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return result;
      },
      { step: 'deserialize', name: 'loseFirstAnswer' },
    );
    return { client, attempts };
  }

  it('answers a retried create that moto already carried out as it answered the first time', async () => {
    const { client, attempts } = clientLosingFirstAnswers();
    const created = await client.send(new CreateUserCommand({ UserName: 'replayed-user' }));
    expect(created.User?.UserName).toBe('replayed-user');
    // The second attempt reached moto and was answered from the first (without the launcher: EntityAlreadyExists).
    expect(attempts.map((attempt) => attempt.split(';')[0])).toEqual(['attempt=1', 'attempt=2']);
    expect(moto.answers.filter((answer) => answer.code === 'EntityAlreadyExists')).toEqual([]);
  });

  it('still refuses a new operation that repeats a create', async () => {
    const plain = new IAMClient({ endpoint: moto.httpEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await plain.send(new CreateUserCommand({ UserName: 'twice' }));
    await expect(plain.send(new CreateUserCommand({ UserName: 'twice' }))).rejects.toMatchObject({ name: 'EntityAlreadyExistsException' });
  });
});
