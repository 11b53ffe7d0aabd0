/**
 * The daily object `events/prod/YYYYMMDD`: newline-delimited terse events, unique, sorted as
 * Python sorts strings, each line ending in `\n`. Merging is a set union, so folding the same
 * staged lines in twice changes nothing — which is what makes re-running a crashed merge safe.
 */
import { sortByCodePoint } from './python-json.js';

/** Python's `str.rstrip()` whitespace. */
const TRAILING_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;
/** Python reads text files with universal newlines. */
const LINE_BREAK = /\r\n|\r|\n/;

export function dailyObjectLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(LINE_BREAK)) {
    const line = raw.replace(TRAILING_WHITESPACE, '');
    if (line !== '') lines.push(line);
  }
  return lines;
}

export interface MergeResult {
  readonly text: string;
  /** Lines that were not in the object before. */
  readonly added: number;
  readonly total: number;
}

export function mergeDailyObject(existing: string | null, incoming: Iterable<string>): MergeResult {
  const lines = new Set(existing === null ? [] : dailyObjectLines(existing));
  const before = lines.size;
  for (const line of incoming) {
    const trimmed = line.replace(TRAILING_WHITESPACE, '');
    if (trimmed !== '') lines.add(trimmed);
  }
  const sorted = sortByCodePoint([...lines]);
  return { text: serialiseDailyObject(sorted), added: lines.size - before, total: lines.size };
}

export function serialiseDailyObject(sortedLines: readonly string[]): string {
  return sortedLines.length === 0 ? '' : `${sortedLines.join('\n')}\n`;
}
