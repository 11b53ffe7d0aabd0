/**
 * Event timestamps as the network writes them (docs/design.md §2.3), checked before anything is filed
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
  const fields = parse(text);
  if (typeof fields === 'string') return { ok: false, reason: fields };
  const { year, month, day, hour, minute, second, fraction, offsetMinutes } = fields;
  const millis = fraction === '' ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  return { ok: true, epochMs: utcMillis(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000 };
}

/** Why a timestamp is refused, or null when it is a real date and time in a known form. */
export function timestampProblem(text: string): string | null {
  if (isRealTimestampAt(asciiScratch(text), 0, text.length)) return null;
  const fields = parse(text);
  return typeof fields === 'string' ? fields : null;
}

/** Longer than any known form: read by {@link parse} alone. */
const SCRATCH_LENGTH = 40;
const scratch = new Uint8Array(SCRATCH_LENGTH);
const NOT_ASCII = new Uint8Array(0);

/** The characters of a short ASCII text as bytes, in a scratch array; empty for any other text. */
function asciiScratch(text: string): Uint8Array {
  if (text.length > SCRATCH_LENGTH) return NOT_ASCII;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return NOT_ASCII;
    scratch[i] = code;
  }
  return scratch;
}

const ZERO = 0x30;

/** The number written by the two digits at `at`, or -1 when they are not two ASCII digits. */
function twoDigits(bytes: Uint8Array, at: number): number {
  const tens = (bytes[at] as number) - ZERO;
  const units = (bytes[at + 1] as number) - ZERO;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : -1;
}

/**
 * Whether the ASCII bytes `bytes[from, to)` are a real date and time in a known form, read
 * where they stand: the build asks about every line, and this costs neither a string nor a
 * regular expression. Agrees with {@link parse} (the property tests compare the two).
 */
export function isRealTimestampAt(bytes: Uint8Array, from: number, to: number): boolean {
  if (to - from < 19 || to > bytes.length) return false;
  const century = twoDigits(bytes, from);
  const yearInCentury = twoDigits(bytes, from + 2);
  const month = twoDigits(bytes, from + 5);
  const day = twoDigits(bytes, from + 8);
  const hour = twoDigits(bytes, from + 11);
  const minute = twoDigits(bytes, from + 14);
  const second = twoDigits(bytes, from + 17);
  if (century < 0 || yearInCentury < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (bytes[from + 4] !== 0x2d || bytes[from + 7] !== 0x2d || bytes[from + 10] !== 0x54 || bytes[from + 13] !== 0x3a || bytes[from + 16] !== 0x3a) return false;
  const year = century * 100 + yearInCentury;
  if (year < 1 || (day > 28 && day > daysInMonth(year, month))) return false;
  let at = from + 19;
  const separator = bytes[at];
  if (at < to && (separator === 0x2e || separator === 0x2c)) {
    const digitsFrom = ++at;
    while (at < to && at - digitsFrom < 10 && isDigit(bytes[at] as number)) at++;
    if (at === digitsFrom || at - digitsFrom > 9) return false;
  }
  if (at === to) return true;
  if (at + 1 === to) return bytes[at] === 0x5a;
  const sign = bytes[at];
  if (at + 6 !== to || (sign !== 0x2b && sign !== 0x2d) || bytes[at + 3] !== 0x3a) return false;
  const zoneHours = twoDigits(bytes, at + 1);
  const zoneMinutes = twoDigits(bytes, at + 4);
  return zoneHours >= 0 && zoneMinutes >= 0 && zoneMinutes <= 59 && (zoneHours < 14 || (zoneHours === 14 && zoneMinutes === 0));
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9;
}

interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly fraction: string;
  readonly offsetMinutes: number;
}

/** The fields of a valid timestamp, or the reason it is not one. */
function parse(text: string): Fields | string {
  const match = FORM.exec(text);
  if (!match) return reason(text, 'is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])');
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return reason(text, 'is not a real date');
  if (hour > 23 || minute > 59 || second > 59) return reason(text, 'is not a real time of day');
  const zone = match[8];
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const zoneMinutes = Number(zone.slice(4, 6));
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + zoneMinutes);
    if (zoneMinutes > 59 || Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return reason(text, 'has no real time-zone offset');
  }
  return { year, month, day, hour, minute, second, fraction: match[7] ?? '', offsetMinutes };
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

function reason(text: string, problem: string): string {
  return `timestamp ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} ${problem}`;
}
