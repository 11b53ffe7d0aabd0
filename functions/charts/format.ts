/**
 * How the charts page words numbers and dates. Days are always shown in UTC: the summary's days
 * are UTC midnights, and a reader west of Greenwich would otherwise see every day one early.
 */

const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const averages = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percents = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const days = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
const weekdays = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
const moments = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatCount(n: number): string {
  return counts.format(n);
}

export function formatAverage(n: number): string {
  return averages.format(n);
}

export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const share = part / whole;
  // "0.0%" would read as none at all.
  return share > 0 && share < 0.0005 ? `<${percents.format(0.001)}` : percents.format(share);
}

export function formatDay(time: number): string {
  return days.format(time);
}

export function formatWeekday(time: number): string {
  return weekdays.format(time);
}

export function formatRange(from: number, to: number): string {
  return from === to ? formatDay(from) : `${formatDay(from)} – ${formatDay(to)}`;
}

/** `2025-03-31 23:59:01+00:00` (Python's `str(datetime)`, as the state keeps it) → epoch ms, or null. */
export function parseLastUpdated(text: string): number | null {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  if (!match) return null;
  // Date.parse is only specified for milliseconds; Python writes microseconds.
  const fraction = match[3] ? `.${match[3].slice(0, 3).padEnd(3, '0')}` : '';
  const time = Date.parse(`${match[1]}T${match[2]}${fraction}${match[4] ?? 'Z'}`);
  return Number.isNaN(time) ? null : time;
}

export function formatMoment(time: number): string {
  return `${moments.format(time)} UTC`;
}

/** "3 hours ago", "yesterday", "2 weeks ago". */
export function formatAge(time: number, now: number): string {
  const seconds = (time - now) / 1000;
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['week', 7 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}
