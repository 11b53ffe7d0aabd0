/** `data/event-list.json`: the sorted names of every event ever published. */
import { pyDumps, pyLoads, sortByCodePoint } from './python-json.js';
import { CoreError } from './errors.js';

export class EventListError extends CoreError {
  static override readonly userFacing = true;
  constructor(message: string) {
    super(`event-list.json: ${message}`);
  }
}

export function parseEventList(text: string): string[] {
  let value: unknown;
  try {
    // An array of strings reads the same with JSON.parse as with Python; whatever it refuses
    // goes to the Python reader, for Python's verdict and message.
    value = JSON.parse(text);
  } catch {
    try {
      value = pyLoads(text);
    } catch (error) {
      throw new EventListError(`not valid JSON (${(error as Error).message})`);
    }
  }
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new EventListError('not an array of strings');
  }
  return value as string[];
}

/** The previous list plus the names seen in this run, sorted as Python sorts strings. */
export function mergeEventList(previous: Iterable<string>, seen: Iterable<string>): string[] {
  return sortByCodePoint([...new Set([...previous, ...seen])]);
}

export function serialiseEventList(names: readonly string[]): string {
  return pyDumps([...names]);
}
