/**
 * Where a build's time goes. Every build measures it (a few clock reads per day), so the
 * breakdown behind the benchmark's figures is in each `build --json`, not only in a profile.
 */

/** What a month's work is made of, as thread time. */
export const MONTH_PHASES = ['read', 'scan', 'write', 'summary'] as const;

export type MonthPhase = (typeof MONTH_PHASES)[number];

/**
 * Seconds per phase: `read` the daily objects (and, incrementally, the published shards and
 * month summary), `scan` them into shards (decoding, checking, normalising, moving bytes into
 * place), `write` the files, `summary` counting and serialising the month's counts.
 */
export type MonthTimings = Record<MonthPhase, number>;

export function emptyMonthTimings(): MonthTimings {
  return { read: 0, scan: 0, write: 0, summary: 0 };
}

export function addMonthTimings(into: MonthTimings, more: Readonly<MonthTimings>): void {
  for (const phase of MONTH_PHASES) into[phase] += more[phase];
}

/** Seconds to the microsecond, for logs and summaries. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

export function roundedTimings(timings: Readonly<MonthTimings>): MonthTimings {
  const rounded = emptyMonthTimings();
  for (const phase of MONTH_PHASES) rounded[phase] = roundSeconds(timings[phase]);
  return rounded;
}

/** Adds the time each timed call takes to its phase. */
export class PhaseClock {
  readonly timings = emptyMonthTimings();

  /** `now`: milliseconds from any origin. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  time<T>(phase: MonthPhase, work: () => T): T {
    const started = this.now();
    try {
      return work();
    } finally {
      this.timings[phase] += (this.now() - started) / 1000;
    }
  }

  async timeAsync<T>(phase: MonthPhase, work: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await work();
    } finally {
      this.timings[phase] += (this.now() - started) / 1000;
    }
  }
}
