import { describe, expect, it } from '@jest/globals';
import { seededRandom } from '../../functions/core/random.js';
import { checkTimestamp, timestampProblem } from '../../functions/core/timestamp.js';

describe('checkTimestamp', () => {
  it.each([
    ['2025-03-01T00:00:17+00:00', '2025-03-01T00:00:17.000Z'],
    ['2025-03-01T00:00:32.421374', '2025-03-01T00:00:32.421Z'],
    ['2025-03-01T00:00:32', '2025-03-01T00:00:32.000Z'],
    ['2023-03-04T06:29:27.540Z', '2023-03-04T06:29:27.540Z'],
    ['2022-03-24T05:00:30-08:00', '2022-03-24T13:00:30.000Z'],
    ['2022-04-05T02:31:41,612-08:00', '2022-04-05T10:31:41.612Z'],
    ['2022-04-04T22:45:55.436-07:00', '2022-04-05T05:45:55.436Z'],
    ['2022-07-01T23:59:59.000+05:30', '2022-07-01T18:29:59.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ])('reads the known form %s as %s', (text, iso) => {
    const result = checkTimestamp(text);
    expect(result.ok && new Date(result.epochMs).toISOString()).toBe(iso);
  });

  it.each([
    ['2025-03-03garbage', 'is not a date and time in a known form'],
    ['2025-03-03', 'is not a date and time in a known form'],
    ['2025-03-01T00:00:17+00:00\n', 'is not a date and time in a known form'],
    ['2025-03-01T00:00\n:17+00:00', 'is not a date and time in a known form'],
    [' 2025-03-01T00:00:17+00:00', 'is not a date and time in a known form'],
    ['2025-03-01 00:00:17+00:00', 'is not a date and time in a known form'],
    ['2025-03-01T00:00:17+0000', 'is not a date and time in a known form'],
    ['2025-03-01T00:00:17.+00:00', 'is not a date and time in a known form'],
    ['2025-03-01T00:00:17z', 'is not a date and time in a known form'],
    ['２０２５-03-01T00:00:17Z', 'is not a date and time in a known form'],
    ['2025-02-29T00:00:00Z', 'is not a real date'],
    ['2025-13-01T00:00:00Z', 'is not a real date'],
    ['2025-04-31T00:00:00Z', 'is not a real date'],
    ['0000-01-01T00:00:00Z', 'is not a real date'],
    ['2025-03-01T24:00:00Z', 'is not a real time of day'],
    ['2025-03-01T23:60:00Z', 'is not a real time of day'],
    ['2025-03-01T23:59:60Z', 'is not a real time of day'],
    ['2025-03-01T00:00:00+15:00', 'has no real time-zone offset'],
    ['2025-03-01T00:00:00-08:60', 'has no real time-zone offset'],
  ])('refuses %j: %s', (text, problem) => {
    const result = checkTimestamp(text);
    expect(result).toEqual({ ok: false, reason: `timestamp ${JSON.stringify(text)} ${problem}${problem.includes('known form') ? ' (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])' : ''}` });
  });

  it('keeps a long value short in its reason', () => {
    const result = checkTimestamp(`2025-03-01T00:00:00Z${'x'.repeat(1000)}`);
    expect(!result.ok && result.reason.length).toBeLessThan(140);
  });

  it('timestampProblem (the build\'s fast check) agrees with the full parse on every value', () => {
    const rand = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    const two = (max: number) => String(Math.floor(rand() * (max + 1))).padStart(2, '0');
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const year = pick(['0000', '0001', '1900', '2000', '2023', '2024', '2025', '2100', '9999']);
      let text = `${year}-${two(13)}-${two(32)}T${two(25)}:${two(61)}:${two(61)}${pick(['', '.5', '.540', ',612', '.421374', '.123456789', '.1234567890', '.'])}${pick(['', 'Z', '+00:00', '-08:00', '+05:30', '+14:00', '+14:01', '-15:00', '+1:00', 'z', ' ', '\n'])}`;
      if (rand() < 0.1) text = text.slice(0, Math.floor(rand() * text.length));
      // A character that is not what the form wants, or not ASCII but close to it once truncated to a byte.
      if (rand() < 0.1) {
        const at = Math.floor(rand() * text.length);
        text = `${text.slice(0, at)}${pick(['\u0132', '\u0660', '\uff12', '/', ':', '-', 'T', '0'])}${text.slice(at + 1)}`;
      }
      const full = checkTimestamp(text);
      expect({ text, problem: timestampProblem(text) }).toEqual({ text, problem: full.ok ? null : full.reason });
      if (full.ok) valid++;
    }
    expect(valid).toBeGreaterThan(100);
  });
});
