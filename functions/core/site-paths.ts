/**
 * Every published path in one place: where each file of the site's `data/` directory lives
 * (paths below are relative to it unless they say otherwise), the charts page, the daily
 * objects they are built from, and how names that come from the network become path segments
 * that can never escape their directory.
 */
import { createHash } from 'node:crypto';
import type { Day, Month } from './days.js';

/** The published data's directory on the branch; the other paths here are relative to it. */
export const DATA_DIRECTORY = 'data';
/** The charts page's directory on the branch (relative to the branch's root). */
export const CHARTS_DIRECTORY = 'charts';

/** A path relative to `data/` as the branch names it (`data/...`). */
export function branchDataPath(path: string): string {
  return `${DATA_DIRECTORY}/${path}`;
}

/** Where the daily objects are, in the bucket (not on the branch). */
export const DAILY_OBJECT_PREFIX = 'events/prod/';
export const STATE_FILE = 'updated_state.json';
export const LAST_UPDATED_FILE = 'last_updated.txt';
export const EVENT_LIST_FILE = 'event-list.json';

export const SUMMARY_INDEX_PATH = 'summary/index.json';
export const SUMMARY_SERIES_PATHS = {
  total: 'summary/series/total.json',
  events: 'summary/series/events.json',
  channels: 'summary/series/channels.json',
} as const;
export const SUMMARY_MONTH_PREFIX = 'summary/date/';

export function monthSummaryPath(month: Month): string {
  return `${SUMMARY_MONTH_PREFIX}${yearMonth(month)}.json`;
}

export function dailyObjectKey(day: Day): string {
  return `${DAILY_OBJECT_PREFIX}${day}`;
}

function yearMonth(day: Day | Month): string {
  return `${day.slice(0, 4)}/${day.slice(4, 6)}`;
}

export function dayShardPath(day: Day): string {
  return `date/${yearMonth(day)}/${day}.json`;
}

export function monthRollupPath(month: Month): string {
  return `date/${yearMonth(month)}.json`;
}

export function isMonthRollupPath(path: string): boolean {
  return /^date\/\d{4}\/\d{2}\.json$/.test(path);
}

export function channelDayPath(channel: string, day: Day): string {
  return `channel/${safeSegment(channel)}/date/${yearMonth(day)}/${day}.json`;
}

export function eventDayPath(event: string, day: Day): string {
  return `events/${safeSegment(event)}/date/${yearMonth(day)}/${day}.json`;
}

export function eventDateDirectory(event: string): string {
  return `events/${safeSegment(event)}/date/`;
}

export function eventChannelPath(event: string, channel: string): string {
  return `events/${safeSegment(event)}/channels/${safeSegment(channel)}.json`;
}

/** Characters kept as they are; everything else is percent-encoded as UTF-8. */
const PLAIN = /^[A-Za-z0-9_.-]*$/;
/** Segments stay well below the 255-byte limit of common file systems. */
const MAX_SEGMENT = 120;
const ESCAPED_TILDE = '%7E';

/**
 * A path segment for a channel or event name. Ordinary names (`PJSIP-630`, `outgoing-portland`)
 * are kept as the old generator wrote them; anything else is percent-encoded, so `/`, `..`,
 * control characters and emoji cannot form a path. `~` never survives encoding, which keeps the
 * two forms that use it unambiguous: `~` for the empty name, and `prefix~hash` for long names.
 */
export function safeSegment(name: string): string {
  if (name === '') return '~';
  let encoded = PLAIN.test(name) ? name : encodeSegment(name);
  if (encoded.startsWith('.')) encoded = `%2E${encoded.slice(1)}`;
  if (encoded.length <= MAX_SEGMENT) return encoded;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
  const prefix = encoded.slice(0, MAX_SEGMENT - 17).replace(/%[0-9A-F]?$/, '');
  return `${prefix}~${hash}`;
}

function encodeSegment(name: string): string {
  let out = '';
  for (const char of name) {
    if (/^[A-Za-z0-9_.-]$/.test(char)) out += char;
    else if (char === '~') out += ESCAPED_TILDE;
    else {
      // Lone surrogates cannot be UTF-8 encoded; name them by their code unit instead.
      const code = char.codePointAt(0) as number;
      if (code >= 0xd800 && code <= 0xdfff) out += `%ED%${(0xa0 | ((code >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
      else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}
