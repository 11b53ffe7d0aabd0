/**
 * The static generator's per-event normalisation (docs/design.md §2.5): `channel` becomes `endpoint`
 * when that is non-empty, otherwise two SIP regexes rewrite it; `_` in `event` becomes `-`.
 */
import { PyNumber, pyDumps, pyLoads, type PyObject, type PyValue } from './python-json.js';

/**
 * Python `re.sub(r'(SIP).(.*)-.*', r'\1-\2', s)`: `.` matches anything but `\n` (JavaScript's
 * `.` also stops at `\r`, U+2028, U+2029), one code point at a time.
 */
const SIP_WITH_SUFFIX = /(SIP)[^\n]([^\n]*)-[^\n]*/gu;
/** Python `re.sub(r'(SIP).(\d+)$', r'\1-\2', s)`: `\d` is any Unicode digit; `$` also matches before a final `\n`. */
const SIP_DIGITS_AT_END = /(SIP)[^\n](\p{Nd}+)(?=\n?$)/gu;

/** Where Python's and a simple scan's semantics could differ: non-ASCII (code points, Unicode digits) or newlines. */
const NEEDS_REGEXES = /[^\x00-\x09\x0b-\x7f]/;

export function rewriteChannel(channel: string): string {
  const sip = channel.indexOf('SIP');
  if (sip === -1) return channel;
  if (NEEDS_REGEXES.test(channel)) return rewriteChannelWithRegexes(channel);
  // Rule 1 on one line of ASCII: the leftmost "SIP" matches when a "-" follows the character
  // after it; the greedy group runs to the last "-", and the match runs to the end.
  const dash = channel.lastIndexOf('-');
  const first = dash >= sip + 4 ? `${channel.slice(0, sip)}SIP-${channel.slice(sip + 4, dash)}` : channel;
  // Rule 2: "SIP", one character, then only digits to the end; the leftmost such "SIP" wins.
  let digitsFrom = first.length;
  while (digitsFrom > 0 && isAsciiDigit(first.charCodeAt(digitsFrom - 1))) digitsFrom--;
  for (let i = Math.max(0, digitsFrom - 4); i <= first.length - 5; i++) {
    if (first.startsWith('SIP', i)) return `${first.slice(0, i)}SIP-${first.slice(i + 4)}`;
  }
  return first;
}

function isAsciiDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The two substitutions exactly as written, for any input; the reference for {@link rewriteChannel}. */
export function rewriteChannelWithRegexes(channel: string): string {
  return channel.replace(SIP_WITH_SUFFIX, '$1-$2').replace(SIP_DIGITS_AT_END, '$1-$2');
}

export function normaliseEventName(name: string): string {
  return name.includes('_') ? name.replaceAll('_', '-') : name;
}

/** One event of a day shard, serialised, with the fields the layouts need. */
export interface ShardEntry {
  readonly timestamp: string;
  readonly channel: string;
  readonly event: string;
  /** The entry exactly as it appears in the published JSON array. */
  readonly json: string;
}

/** `ascii`: every string of the entry is printable ASCII (the drainer's own lines are). */
export type LineResult = { ok: true; entry: ShardEntry; ascii: boolean } | { ok: false; reason: string };

/**
 * Lines as the drainer writes them: printable ASCII without escapes, in the terse shape, with
 * or without `endpoint`. For these the output is produced by string surgery, and when
 * normalisation changes nothing, the line itself is the output.
 */
const CANONICAL_LINE =
  /^\{"timestamp": "([ !#-[\]-~]*)", "channel": "([ !#-[\]-~]*)", (?:"endpoint": "([ !#-[\]-~]*)", )?"event": "([ !#-[\]-~]*)"\}$/;

export function normaliseLine(line: string): LineResult {
  const entry = normaliseCanonical(line);
  return entry ? { ok: true, entry, ascii: true } : normaliseParsed(line);
}

/** The entry for a canonical line, or null for any other line. */
function normaliseCanonical(line: string): ShardEntry | null {
  const match = CANONICAL_LINE.exec(line);
  if (!match) return null;
  const timestamp = match[1] as string;
  const rawChannel = match[2] as string;
  const endpoint = match[3];
  const rawEvent = match[4] as string;
  const channel = endpoint ? endpoint : rewriteChannel(rawChannel);
  const event = normaliseEventName(rawEvent);
  const json = channel === rawChannel && event === rawEvent ? line : rebuild(timestamp, channel, endpoint, event);
  return { timestamp, channel, event, json };
}

function rebuild(timestamp: string, channel: string, endpoint: string | undefined, event: string): string {
  const endpointPart = endpoint === undefined ? '' : `"endpoint": "${endpoint}", `;
  return `{"timestamp": "${timestamp}", "channel": "${channel}", ${endpointPart}"event": "${event}"}`;
}

function normaliseParsed(line: string): LineResult {
  let value: PyValue;
  try {
    value = pyLoads(line);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (!(value instanceof Map)) return { ok: false, reason: 'not a JSON object' };
  const event: PyObject = new Map(value);
  const timestamp = event.get('timestamp');
  const channel = event.get('channel');
  const name = event.get('event');
  const endpoint = event.get('endpoint');
  if (timestamp === undefined) return { ok: false, reason: 'no "timestamp"' };
  if (typeof timestamp !== 'string') return { ok: false, reason: `"timestamp" is ${describe(timestamp)}, not a string` };
  if (channel === undefined) return { ok: false, reason: 'no "channel"' };
  if (typeof channel !== 'string') return { ok: false, reason: `"channel" is ${describe(channel)}, not a string` };
  if (name === undefined) return { ok: false, reason: 'no "event"' };
  if (typeof name !== 'string') return { ok: false, reason: `"event" is ${describe(name)}, not a string` };
  if (endpoint !== undefined && endpoint !== null && typeof endpoint !== 'string') {
    return { ok: false, reason: `"endpoint" is ${describe(endpoint)}, not a string` };
  }
  const normalisedChannel = typeof endpoint === 'string' && endpoint !== '' ? endpoint : rewriteChannel(channel);
  const normalisedEvent = normaliseEventName(name);
  event.set('channel', normalisedChannel);
  event.set('event', normalisedEvent);
  return {
    ok: true,
    entry: { timestamp, channel: normalisedChannel, event: normalisedEvent, json: pyDumps(event) },
    ascii: false,
  };
}

function describe(value: PyValue): string {
  if (value === null) return 'null';
  if (value instanceof PyNumber) return `the number ${value.text}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'an object';
  return `the ${typeof value} ${String(value)}`;
}
