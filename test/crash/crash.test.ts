/**
 * A fast, deterministic subset of the crash harness (`npm run test:crash -- --trials N` runs
 * randomized ones): real `usage-pipeline local` processes killed with SIGKILL inside steps and
 * at fixed moments, each recovered by running the same command again, must end exactly as a
 * clean run does.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { describeTrial, prepareReference, runTrial, type CrashTrial, type Reference } from './harness.js';

describe('a local run killed at any instant recovers to exactly what a clean run publishes', () => {
  let reference: Reference;

  beforeAll(async () => {
    reference = await prepareReference({ events: 3_000, seed: 1 });
  });

  const trials: CrashTrial[] = [
    // Issue 10, item 1: the build had written shards into the mirror, the branch had none.
    { kind: 'when-exists', path: 'bucket/site/data/date' },
    // The lock taken, by a process that then dies: the recovery takes it over at once.
    { kind: 'checkpoint', point: 'begin-run:after-lock' },
    // Every path planned is pending, nothing built.
    { kind: 'checkpoint', point: 'detect-changes:after-pending' },
    { kind: 'checkpoint', point: 'build:after-day#2' },
    { kind: 'checkpoint', point: 'finalize:before-site' },
    // Published and reported, the lock still held.
    { kind: 'checkpoint', point: 'finish-run:after-report' },
  ];

  it.each(trials.map((trial) => [describeTrial(trial), trial] as const))('%s', async (_name, trial) => {
    const result = await runTrial(reference, trial);
    expect(result.killed).toBe(true);
    expect(result.differences).toEqual([]);
  });

  it.each([0.4, 0.75])('SIGKILL at %p of a clean run\'s time', async (share) => {
    const result = await runTrial(reference, { kind: 'moment', afterMs: Math.round(reference.milliseconds * share) });
    expect(result.differences).toEqual([]);
  });
});
