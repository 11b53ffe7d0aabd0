/**
 * `data/updated_state.json`: the size and last-modified time of every daily object the site was
 * built from, as the Python generator keeps it. A daily object is rebuilt when its key is
 * missing or either value differs; removing a key forces a rebuild.
 */
import { PyNumber, pyLoads, pyString } from './python-json.js';
import { CoreError } from './errors.js';

export interface StateEntry {
  readonly size: number;
  /** Python's `str(datetime)` of the object's LastModified, e.g. `2021-11-23 23:24:24+00:00`. */
  readonly ts: string;
}

/** Insertion-ordered, as Python's dict: existing keys keep their place, new keys go last. */
export type BuildState = Map<string, StateEntry>;

export class StateFileError extends CoreError {
  static override readonly userFacing = true;
  constructor(message: string) {
    super(`updated_state.json: ${message}`);
  }
}

/**
 * Reads the state. A state this module wrote (or Python's `json.dump(…, indent=2)`, the same
 * bytes) is read with `JSON.parse` and accepted when writing it back gives the same text: then
 * nothing `JSON.parse` reads differently from Python (key order, number forms) can have
 * happened. Any other text is read as Python reads it.
 */
export function parseState(text: string): BuildState {
  return parseCanonicalState(text) ?? parsePythonState(text);
}

function parseCanonicalState(text: string): BuildState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const state: BuildState = new Map();
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { size, ts } = entry as { size?: unknown; ts?: unknown };
    if (!Number.isSafeInteger(size) || (size as number) < 0 || typeof ts !== 'string' || Object.keys(entry).length !== 2) return null;
    state.set(key, { size: size as number, ts });
  }
  return serialiseState(state) === text ? state : null;
}

function parsePythonState(text: string): BuildState {
  let value;
  try {
    value = pyLoads(text);
  } catch (error) {
    throw new StateFileError(`not valid JSON (${(error as Error).message})`);
  }
  if (!(value instanceof Map)) throw new StateFileError('not a JSON object');
  const state: BuildState = new Map();
  for (const [key, entry] of value) {
    const size = entry instanceof Map ? entry.get('size') : undefined;
    const ts = entry instanceof Map ? entry.get('ts') : undefined;
    if (!(size instanceof PyNumber) || !/^\d+$/.test(size.text) || typeof ts !== 'string') {
      throw new StateFileError(`entry ${JSON.stringify(key)} needs an integer "size" and a string "ts"`);
    }
    state.set(key, { size: Number(size.text), ts });
  }
  return state;
}

/** `json.dump(state, f, indent=2)`, written out directly. */
export function serialiseState(state: BuildState): string {
  if (state.size === 0) return '{}';
  const entries: string[] = [];
  for (const [key, { size, ts }] of state) entries.push(`  ${pyString(key)}: {\n    "size": ${size},\n    "ts": ${pyString(ts)}\n  }`);
  return `{\n${entries.join(',\n')}\n}`;
}

export function isUpToDate(state: BuildState, key: string, current: StateEntry): boolean {
  const known = state.get(key);
  return known !== undefined && known.size === current.size && known.ts === current.ts;
}

/** `data/last_updated.txt`: the largest `ts` in the state (Python's `max` over strings). */
export function lastUpdated(state: BuildState): string | null {
  let latest: string | null = null;
  for (const { ts } of state.values()) if (latest === null || ts > latest) latest = ts;
  return latest;
}

/**
 * Python's `str()` of a timezone-aware UTC datetime: `YYYY-MM-DD HH:MM:SS+00:00`, with
 * `.ffffff` only when there are microseconds.
 */
export function pythonUtcTimestamp(date: Date, microsecondsOverride?: number): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const micro = microsecondsOverride ?? date.getUTCMilliseconds() * 1000;
  const fraction = micro === 0 ? '' : `.${pad(micro, 6)}`;
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction}+00:00`
  );
}
