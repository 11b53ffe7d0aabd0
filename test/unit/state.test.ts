import { describe, expect, it } from '@jest/globals';
import { isUpToDate, lastUpdated, parseState, pythonUtcTimestamp, serialiseState, StateFileError } from '../../functions/core/state.js';

describe('updated_state.json', () => {
  const text = '{\n  "events/prod/20211123": {\n    "size": 1234,\n    "ts": "2021-11-23 23:24:24+00:00"\n  },\n  "events/prod/20211122": {\n    "size": 99,\n    "ts": "2021-11-24 00:00:01+00:00"\n  }\n}';

  it('round-trips byte for byte, keeping key order', () => {
    expect(serialiseState(parseState(text))).toBe(text);
  });

  it('serialises like JSON.stringify(state, null, 2)', () => {
    const state = parseState(text);
    expect(serialiseState(state)).toBe(JSON.stringify(Object.fromEntries(state), null, 2));
    expect(serialiseState(new Map())).toBe('{}');
  });

  it('compares size and ts', () => {
    const state = parseState(text);
    expect(isUpToDate(state, 'events/prod/20211123', { size: 1234, ts: '2021-11-23 23:24:24+00:00' })).toBe(true);
    expect(isUpToDate(state, 'events/prod/20211123', { size: 1235, ts: '2021-11-23 23:24:24+00:00' })).toBe(false);
    expect(isUpToDate(state, 'events/prod/20211123', { size: 1234, ts: '2021-11-23 23:24:25+00:00' })).toBe(false);
    expect(isUpToDate(state, 'events/prod/20211124', { size: 1, ts: 'x' })).toBe(false);
  });

  it('takes last_updated as the largest ts', () => {
    expect(lastUpdated(parseState(text))).toBe('2021-11-24 00:00:01+00:00');
    expect(lastUpdated(new Map())).toBeNull();
  });

  it('refuses a state that is not the expected shape, naming the problem', () => {
    expect(() => parseState('{"k": {"size": "1", "ts": "x"}}')).toThrow(StateFileError);
    expect(() => parseState('{"k": {"size": "1", "ts": "x"}}')).toThrow('entry "k" needs an integer "size"');
    expect(() => parseState('[')).toThrow('not valid JSON');
  });

  it('reads any spelling of the same state as Python would: key order, duplicate keys, number forms', () => {
    const entry = (size: string, ts = 't') => `{"size": ${size}, "ts": "${ts}"}`;
    // Keys that look like array indexes keep their place in the file.
    expect([...parseState(`{"2": ${entry('1')}, "1": ${entry('2')}}`).keys()]).toEqual(['2', '1']);
    // The last value wins, in the first key's place.
    expect([...parseState(`{"a": ${entry('1')}, "b": ${entry('2')}, "a": ${entry('3')}}`)]).toEqual([
      ['a', { size: 3, ts: 't' }],
      ['b', { size: 2, ts: 't' }],
    ]);
    expect(() => parseState(`{"a": ${entry('1.0')}}`)).toThrow(StateFileError);
    expect(() => parseState(`{"a": ${entry('-1')}}`)).toThrow(StateFileError);
    expect(parseState(`{"__proto__": ${entry('5')}}`).get('__proto__')).toEqual({ size: 5, ts: 't' });
    expect(parseState('{}').size).toBe(0);
  });

  it('round-trips every key and ts, hostile ones included, whichever way it is read', () => {
    const keys = ['events/prod/20250301', '__proto__', 'constructor', '', 'caf\u00e9', '\u{1F4DE}', 'quote"back\\slash', '\u0001', '12', '0'];
    const state = new Map(keys.map((key, i) => [key, { size: i * 1000, ts: `2025-03-0${i % 9} 00:00:00+00:00${key}` }]));
    const text = serialiseState(state);
    expect(parseState(text)).toEqual(state);
    expect([...parseState(text).keys()]).toEqual(keys);
    // The same state written by a different hand (compact, other spacing) reads the same.
    const compact = `{${keys.map((key, i) => `${JSON.stringify(key)}:{"size":${i * 1000},"ts":${JSON.stringify(`2025-03-0${i % 9} 00:00:00+00:00${key}`)}}`).join(',')}}`;
    expect([...parseState(compact)]).toEqual([...state]);
  });

  it('formats datetimes as Python str() does', () => {
    expect(pythonUtcTimestamp(new Date(Date.UTC(2021, 10, 23, 23, 24, 24)))).toBe('2021-11-23 23:24:24+00:00');
    expect(pythonUtcTimestamp(new Date(Date.UTC(2021, 10, 23, 23, 24, 24, 5)))).toBe('2021-11-23 23:24:24.005000+00:00');
  });
});
