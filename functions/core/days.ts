/** Days as the pipeline names them: `YYYYMMDD` in keys and paths, `YYYY-MM-DD` in inputs. */

/** A calendar day, `YYYYMMDD`. */
export type Day = string & { readonly __day: unique symbol };
/** A calendar month, `YYYYMM`. */
export type Month = string & { readonly __month: unique symbol };

const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function fromParts(match: RegExpExecArray | null): Day | null {
  if (!match) return null;
  const [, y, m, d] = match as unknown as [string, string, string, string];
  return isRealDate(Number(y), Number(m), Number(d)) ? (`${y}${m}${d}` as Day) : null;
}

/** `20250301` → the day, or null when it is not a real date in that form. */
export function parseCompactDay(text: string): Day | null {
  return fromParts(COMPACT.exec(text));
}

/** `2025-03-01` → the day, or null. */
export function parseIsoDay(text: string): Day | null {
  return fromParts(ISO.exec(text));
}

/** Accepts either form; used where people type days. */
export function parseDay(text: string): Day | null {
  return parseCompactDay(text) ?? parseIsoDay(text);
}

/** The day a timestamp is filed under: its own `YYYY-MM-DD` date part, no time-zone conversion. */
export function dayOfTimestamp(timestamp: string): Day | null {
  return fromParts(ISO_PREFIX.exec(timestamp));
}

export function isoDay(day: Day): string {
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}

export function monthOf(day: Day): Month {
  return day.slice(0, 6) as Month;
}

/** Midnight UTC of the day, in milliseconds since the epoch (chart libraries' time axis). */
export function epochMillis(day: Day): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)));
}

export function dayFromDate(date: Date): Day {
  return `${date.getUTCFullYear().toString().padStart(4, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}` as Day;
}
