/**
 * Backfill: lines of the Asterisk "metrics" log, written by Python's logging in the server's
 * local time, turned into the messages live events arrive as.
 *
 *   2022-04-04 22:45:55,436 UNIQUEID=1833323238.399, CHANNEL=SIP/630-0000011f, name=filterdial
 *
 * The old backfill tool stamped every line `-08:00`, which put summer events an hour off and,
 * near midnight, on the wrong day. Here the wall time is resolved in an IANA time zone with its
 * real offset. Of the two DST edge cases:
 *   - an ambiguous wall time (the fall-back hour happens twice) resolves to its FIRST
 *     occurrence, the one with the larger (daylight) offset — deterministic, and right for
 *     half of that hour's lines, which is the best a log without offsets allows;
 *   - a nonexistent wall time (the spring-forward hour) is REJECTED: a correctly set clock
 *     never logs it, so the line is reported rather than silently moved.
 *
 * Pure: no I/O and no AWS; the command does the reading and publishing.
 */
import { randomUUID } from 'node:crypto';
import { pyDumps, type PyObject } from './python-json.js';
import { CoreError } from './errors.js';

export const DEFAULT_BACKFILL_HOSTNAME = 'futel-prod.phu73l.net';
export const DEFAULT_BACKFILL_TIME_ZONE = 'America/Los_Angeles';
/** `Source` of every backfilled event, so they can be told apart from live ones. */
export const BACKFILL_SOURCE = 'usage-pipeline backfill';
/** `TopicArn` of the envelopes written without SNS (queue or file): there was no topic. */
export const BACKFILL_TOPIC_ARN = 'backfill';

/** Local wall-clock time as the log wrote it. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** Whether the log had a fraction (`,436`); without one, none is invented. */
  readonly hasMillis: boolean;
}

export interface MetricsRecord {
  readonly wall: WallTime;
  readonly channel: string;
  readonly name: string;
  /** Every `KEY=value` field of the line in order, keys as written. */
  readonly fields: ReadonlyArray<readonly [key: string, value: string]>;
}

export type ParseResult = { readonly ok: true; readonly record: MetricsRecord } | { readonly ok: false; readonly reason: string };

export interface BackfillEvent {
  /** `2022-04-04T22:45:55.436-07:00`: local date and time with the real offset. */
  readonly timestamp: string;
  /** The same instant in UTC, `2022-04-05T05:45:55.436Z`. */
  readonly utc: string;
  /** The wall time fell in a repeated (fall-back) hour and was taken as its first occurrence. */
  readonly ambiguous: boolean;
  readonly channel: string;
  readonly name: string;
  /** The SNS `Message`: the live events' JSON, written as Python's `json.dumps` would. */
  readonly message: string;
}

export type LineResult =
  | { readonly kind: 'blank' }
  | { readonly kind: 'event'; readonly event: BackfillEvent }
  | { readonly kind: 'rejected'; readonly reason: string };

export interface BackfillOptions {
  readonly hostname?: string;
  readonly timeZone?: string;
}

const LINE_PREFIX = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[,.](\d{1,6}))?\s+(.*?)\s*$/;
/** Where a field starts: the line start or a comma, then `KEY=`. Keys may hold `()` (`CALLERID(number)`). */
const FIELD_START = /(?:^|,)\s*([A-Za-z_][A-Za-z0-9_()\-.]*)=/g;
const REQUIRED_FIELDS = ['CHANNEL', 'name'] as const;

/**
 * Parses one line. Fields may come in any order and extra ones are kept; a value runs to the
 * next `, KEY=`, so values with commas (a caller name) survive. `CHANNEL=` and `name=` are
 * required (keys match case-insensitively) and must be non-empty.
 */
export function parseMetricsLine(line: string): ParseResult {
  const match = LINE_PREFIX.exec(line);
  if (!match) return { ok: false, reason: 'does not start with a "YYYY-MM-DD HH:MM:SS,mmm" timestamp' };
  const [, y, mo, d, h, mi, s, fraction, rest] = match as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
    // Python logs milliseconds (3 digits); a longer fraction is cut to them, not rounded.
    millisecond: fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3)),
    hasMillis: fraction !== undefined,
  };
  const invalid = invalidWallTime(wall);
  if (invalid) return { ok: false, reason: invalid };

  const fields = parseFields(rest);
  if (typeof fields === 'string') return { ok: false, reason: fields };
  const values: Record<string, string> = {};
  for (const required of REQUIRED_FIELDS) {
    const found = fields.filter(([key]) => key.toLowerCase() === required.toLowerCase());
    if (found.length === 0) return { ok: false, reason: `no ${required}= field` };
    if (found.length > 1) return { ok: false, reason: `${required}= appears ${found.length} times` };
    const value = found[0]![1].trim();
    if (value === '') return { ok: false, reason: `${required}= is empty` };
    values[required] = value;
  }
  return { ok: true, record: { wall, channel: values.CHANNEL!, name: values.name!, fields } };
}

function parseFields(text: string): Array<[string, string]> | string {
  const starts: { key: string; index: number; valueStart: number }[] = [];
  FIELD_START.lastIndex = 0;
  for (let m = FIELD_START.exec(text); m !== null; m = FIELD_START.exec(text)) {
    starts.push({ key: m[1]!, index: m.index, valueStart: m.index + m[0].length });
  }
  if (starts.length === 0) return 'no KEY=value fields after the timestamp';
  if (starts[0]!.index !== 0) return `unexpected text before the first field: ${JSON.stringify(text.slice(0, Math.min(starts[0]!.index, 40)))}`;
  return starts.map((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.index : text.length;
    return [start.key, text.slice(start.valueStart, end).trim()];
  });
}

function invalidWallTime(w: WallTime): string | null {
  const date = new Date(Date.UTC(w.year, w.month - 1, w.day));
  date.setUTCFullYear(w.year);
  if (w.month < 1 || w.month > 12 || date.getUTCMonth() !== w.month - 1 || date.getUTCDate() !== w.day) {
    return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} is not a real date`;
  }
  if (w.hour > 23 || w.minute > 59 || w.second > 59) return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} is not a real time`;
  return null;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

// ---------------------------------------------------------------------------------------------
// Time zones

export class TimeZoneError extends CoreError {
  static override readonly userFacing = true;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter for a zone; throws TimeZoneError for a name Intl does not know. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new TimeZoneError(`unknown time zone ${JSON.stringify(timeZone)} (expected an IANA name such as America/Los_Angeles)`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws TimeZoneError unless `timeZone` is a zone Intl knows. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

/**
 * The zone's UTC offset at an instant, in milliseconds (east positive), found by reading the
 * instant's wall clock back through Intl — which also covers historic offsets with seconds.
 */
export function offsetAt(timeZone: string, epochMs: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  let year = get('year');
  if (era === 'BC' || era === 'B') year = 1 - year;
  const wallAsUtc = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const utc = new Date(wallAsUtc);
  utc.setUTCFullYear(year);
  // Intl drops the milliseconds, so compare whole seconds.
  return utc.getTime() - Math.floor(epochMs / 1000) * 1000;
}

export type Resolution =
  | { readonly kind: 'unique'; readonly epochMs: number; readonly offsetMs: number }
  | { readonly kind: 'ambiguous'; readonly epochMs: number; readonly offsetMs: number; readonly laterEpochMs: number; readonly laterOffsetMs: number }
  | { readonly kind: 'nonexistent'; readonly before: number; readonly after: number };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The instants whose wall clock in `timeZone` reads `wall`. Candidate offsets are those in
 * force a day either side (no zone changes its offset twice within two days); each candidate
 * that maps back to itself is a solution. Two solutions: the fall-back overlap, earliest first.
 * None: the spring-forward gap.
 */
export function resolveWallTime(wall: WallTime, timeZone: string): Resolution {
  const wallAsUtc = wallEpoch(wall);
  const candidates = new Set([offsetAt(timeZone, wallAsUtc - DAY_MS), offsetAt(timeZone, wallAsUtc), offsetAt(timeZone, wallAsUtc + DAY_MS)]);
  const solutions = [...candidates]
    .map((offset) => ({ epochMs: wallAsUtc - offset, offsetMs: offset }))
    .filter(({ epochMs, offsetMs }) => offsetAt(timeZone, epochMs) === offsetMs)
    .sort((a, b) => a.epochMs - b.epochMs);
  const [first, second] = solutions;
  if (!first) {
    const offsets = [...candidates].sort((a, b) => a - b);
    return { kind: 'nonexistent', before: offsets[0]!, after: offsets[offsets.length - 1]! };
  }
  if (!second) return { kind: 'unique', ...first };
  return { kind: 'ambiguous', ...first, laterEpochMs: second.epochMs, laterOffsetMs: second.offsetMs };
}

function wallEpoch(w: WallTime): number {
  const date = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond));
  date.setUTCFullYear(w.year);
  return date.getTime();
}

export function formatOffset(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / 60000);
  return `${offsetMs < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** ISO 8601 local time with offset; the date part stays the LOCAL date, which files the event. */
export function formatLocalTimestamp(wall: WallTime, offsetMs: number): string {
  const date = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
  const time = `${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${wall.hasMillis ? `.${pad(wall.millisecond, 3)}` : ''}`;
  return `${date}T${time}${formatOffset(offsetMs)}`;
}

export type TimestampResult =
  | { readonly ok: true; readonly timestamp: string; readonly utc: string; readonly ambiguous: boolean }
  | { readonly ok: false; readonly reason: string };

export function localTimestamp(wall: WallTime, timeZone: string): TimestampResult {
  const resolution = resolveWallTime(wall, timeZone);
  const clock = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
  if (resolution.kind === 'nonexistent') {
    return {
      ok: false,
      reason: `${clock} does not exist in ${timeZone} (clocks jumped from ${formatOffset(resolution.before)} to ${formatOffset(resolution.after)})`,
    };
  }
  if (resolution.offsetMs % 60000 !== 0) {
    return { ok: false, reason: `${timeZone} was at UTC${formatOffset(resolution.offsetMs)} plus seconds then, which ISO 8601 offsets cannot express` };
  }
  const utc = new Date(resolution.epochMs);
  if (Number.isNaN(utc.getTime()) || utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) {
    return { ok: false, reason: `${clock} is out of range` };
  }
  return {
    ok: true,
    timestamp: formatLocalTimestamp(wall, resolution.offsetMs),
    utc: utc.toISOString(),
    ambiguous: resolution.kind === 'ambiguous',
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

/** The live events' `Message`, in their key order and Python's JSON spacing. */
export function buildMessage(input: { timestamp: string; hostname: string; channel: string; name: string }): string {
  const event: PyObject = new Map([
    ['Event', 'UserEvent'],
    ['Channel', input.channel],
    ['UserEvent', input.name],
    ['Source', BACKFILL_SOURCE],
  ]);
  const message: PyObject = new Map<string, PyObject | string>([
    ['timestamp', input.timestamp],
    ['hostname', input.hostname],
    ['event', event],
  ]);
  return pyDumps(message);
}

/** Parses and converts one line; blank lines are not events and not errors. */
export function backfillLine(line: string, options: BackfillOptions = {}): LineResult {
  if (line.trim() === '') return { kind: 'blank' };
  const parsed = parseMetricsLine(line);
  if (!parsed.ok) return { kind: 'rejected', reason: parsed.reason };
  const { record } = parsed;
  const time = localTimestamp(record.wall, options.timeZone ?? DEFAULT_BACKFILL_TIME_ZONE);
  if (!time.ok) return { kind: 'rejected', reason: time.reason };
  const message = buildMessage({
    timestamp: time.timestamp,
    hostname: options.hostname ?? DEFAULT_BACKFILL_HOSTNAME,
    channel: record.channel,
    name: record.name,
  });
  return { kind: 'event', event: { timestamp: time.timestamp, utc: time.utc, ambiguous: time.ambiguous, channel: record.channel, name: record.name, message } };
}

/**
 * The SNS notification envelope the drain reads from the queue. `Timestamp` is the event's
 * own instant (SNS would put the publish time there), so a backfilled envelope carries no
 * "now" and the same input gives the same envelope apart from its MessageId.
 */
export function snsEnvelope(event: BackfillEvent, messageId: string = randomUUID()): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: BACKFILL_TOPIC_ARN,
    Message: event.message,
    Timestamp: event.utc,
  });
}
