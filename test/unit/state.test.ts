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

  it('formats datetimes as Python str() does', () => {
    expect(pythonUtcTimestamp(new Date(Date.UTC(2021, 10, 23, 23, 24, 24)))).toBe('2021-11-23 23:24:24+00:00');
    expect(pythonUtcTimestamp(new Date(Date.UTC(2021, 10, 23, 23, 24, 24, 5)))).toBe('2021-11-23 23:24:24.005000+00:00');
  });
});
