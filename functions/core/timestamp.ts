/**
 * Event timestamps as the network writes them (DESIGN §1.4), checked before anything is filed
 * under their day. The known forms are
 *
 *   2025-03-01T00:00:17+00:00         2022-03-24T05:00:30-08:00       (seconds, offset)
 *   2025-03-01T00:00:32.421374                                        (Python, no zone)
 *   2023-03-04T06:29:27.540Z                                          (JavaScript, UTC)
 *   2022-04-05T02:31:41,612-08:00                                     (comma fraction, offset)
 *
 * and `backfill` writes `2022-04-04T22:45:55.436-07:00`. Together: a date, `T`, a time to the
 * second, an optional fraction after `.` or `,`, and an optional zone (`Z` or `±HH:MM`). The
 * whole value must be that (nothing before, after, or in between: no trailing text, no newline),
 * and a real date and time.
 */

export type TimestampCheck =
  | { readonly ok: true; /** The instant; a timestamp without a zone is read as UTC. */ readonly epochMs: number }
  | { readonly ok: false; readonly reason: string };

const FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/** Real zones lie between -12:00 and +14:00. */
const MAX_OFFSET_MINUTES = 14 * 60;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function checkTimestamp(text: string): TimestampCheck {
  const match = FORM.exec(text);
  if (!match) return invalid(text, 'is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])');
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return invalid(text, 'is not a real date');
  if (hour > 23 || minute > 59 || second > 59) return invalid(text, 'is not a real time of day');
  const zone = match[8];
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
    if (minutes > 59 || Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return invalid(text, 'has no real time-zone offset');
  }
  const fraction = match[7] ?? '';
  const millis = fraction === '' ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  return { ok: true, epochMs: utcMillis(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000 };
}

function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}

function invalid(text: string, problem: string): TimestampCheck {
  return { ok: false, reason: `timestamp ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} ${problem}` };
}
