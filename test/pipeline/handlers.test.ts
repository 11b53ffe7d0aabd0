import { describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { STEPS } from '../../functions/handlers/steps.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import { noCheckpoints, type PipelineDeps } from '../../functions/pipeline/deps.js';
import { silentLog } from '../../functions/core/log.js';
import type { Publisher } from '../../functions/core/publisher.js';
import { tempDir } from '../support/temp.js';

const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

async function deps(): Promise<PipelineDeps> {
  const refuse = () => Promise.reject(new Error('no publishing in this test'));
  return {
    bucket: new FsObjectStore(await tempDir()),
    publisher: { target: 'none', publish: refuse, readFile: async () => null } as Publisher,
    config: DEFAULT_CONFIG,
    log: silentLog,
    clock: () => new Date('2025-03-02T00:00:00Z'),
    checkpoint: noCheckpoints,
  };
}

describe('step handlers refuse bad input with an error that names it', () => {
  it.each([
    ['merge-month', { runId: 'r1', month: '2025-03' }, /merge-month: invalid input: month: expected a month as YYYYMM/],
    ['merge-month', { runId: 'r1', month: '202513' }, /month: expected a month as YYYYMM/],
    ['build-month', { runId: '../x', month: '202503' }, /build-month: invalid input: runId: expected a run id/],
    ['drain', { runId: 'r1', iteration: -1 }, /drain: invalid input: iteration: /],
    ['detect-changes', { runId: 'r1', mode: { kind: 'sometimes' } }, /detect-changes: invalid input: mode/],
    ['finalize', {}, /finalize: invalid input: runId: /],
  ] as const)('%s %j', async (step, input, message) => {
    const handler = STEPS[step](deps);
    const error = await handler(input, context).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('InvalidInputError');
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    [{ day: '2025-3-1' }, /execution input: day: expected a real date as YYYY-MM-DD/],
    [{ day: '2025-03-03' }, /2025-03-03 is in the future/],
    [{ days: [] }, /execution input: days: /],
    [{ rebuild: 'some' }, /execution input: rebuild: /],
    [{ day: '2025-03-01', rebuild: 'all' }, /give only one of day, rebuild/],
    [{ dya: '2025-03-01' }, /unknown field "dya"/],
    [[1], /execution input must be a JSON object/],
  ])('begin-run refuses the execution input %j', async (input, message) => {
    const handler = STEPS['begin-run'](deps);
    const error = (await handler({ input, executionName: 'run-1' }, context).catch((e: Error) => e)) as Error;
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toMatch(message);
  });

  it('begin-run accepts the four inputs', async () => {
    const handler = STEPS['begin-run'](deps);
    const modes = [];
    for (const input of [{}, { day: '2025-03-01' }, { days: ['2025-03-01', '2025-02-28', '2025-03-01'] }, { rebuild: 'all' }]) {
      modes.push(((await handler({ input, executionName: 'run-1' }, context)) as { mode: unknown }).mode);
    }
    expect(modes).toEqual([{ kind: 'scheduled' }, { kind: 'rerun', days: ['20250301'] }, { kind: 'rerun', days: ['20250228', '20250301'] }, { kind: 'rebuild-all' }]);
  });
});
