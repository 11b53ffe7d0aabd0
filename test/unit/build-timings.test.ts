/** The phase clock adds each timed call's time to its phase, whether the call returns or throws. */
import { describe, expect, it } from '@jest/globals';
import { addMonthTimings, emptyMonthTimings, PhaseClock, roundedTimings } from '../../functions/core/build-timings.js';

/** A clock that moves on by the given milliseconds at each reading. */
function steppingClock(...steps: number[]): () => number {
  let now = 0;
  return () => (now += steps.shift() ?? 0);
}

describe('PhaseClock', () => {
  it('adds the time of each call to its phase', async () => {
    const clock = new PhaseClock(steppingClock(0, 250, 0, 1500, 0, 125));
    expect(clock.time('scan', () => 'shard')).toBe('shard');
    expect(await clock.timeAsync('write', async () => 7)).toBe(7);
    clock.time('scan', () => undefined);
    expect(clock.timings).toEqual({ read: 0, scan: 0.375, write: 1.5, summary: 0 });
  });

  it('counts a call that throws, and lets the error through', async () => {
    const clock = new PhaseClock(steppingClock(0, 40, 0, 60));
    expect(() => clock.time('read', () => { throw new Error('gone'); })).toThrow('gone');
    await expect(clock.timeAsync('read', async () => { throw new Error('also gone'); })).rejects.toThrow('also gone');
    expect(clock.timings.read).toBeCloseTo(0.1, 9);
  });
});

describe('month timings', () => {
  it('add up phase by phase and round to the microsecond', () => {
    const total = emptyMonthTimings();
    addMonthTimings(total, { read: 0.1, scan: 1.0000004, write: 0.25, summary: 0 });
    addMonthTimings(total, { read: 0.2, scan: 0.5, write: 0, summary: 0.0000126 });
    expect(roundedTimings(total)).toEqual({ read: 0.3, scan: 1.5, write: 0.25, summary: 0.000013 });
  });
});
