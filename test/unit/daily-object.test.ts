import { describe, expect, it } from '@jest/globals';
import { dailyObjectLines, mergeDailyObject } from '../../functions/core/daily-object.js';

describe('mergeDailyObject', () => {
  it('is a sorted union of unique lines, each ending in a newline', () => {
    const result = mergeDailyObject('{"b": 1}\n{"d": 1}\n', ['{"c": 1}', '{"a": 1}', '{"b": 1}']);
    expect(result.text).toBe('{"a": 1}\n{"b": 1}\n{"c": 1}\n{"d": 1}\n');
    expect(result).toMatchObject({ added: 2, total: 4 });
  });

  it('is idempotent: folding the same lines again changes nothing', () => {
    const once = mergeDailyObject(null, ['{"x": 2}', '{"x": 1}']);
    const twice = mergeDailyObject(once.text, ['{"x": 2}', '{"x": 1}']);
    expect(twice.text).toBe(once.text);
    expect(twice.added).toBe(0);
  });

  it('strips trailing whitespace like Python rstrip and drops blank lines', () => {
    expect(dailyObjectLines('a  \r\nb\t\n\n\rc\u3000')).toEqual(['a', 'b', 'c']);
  });

  it('sorts by code point like Python', () => {
    expect(mergeDailyObject(null, ['\u{1F600}', '\uE000', 'z']).text).toBe('z\n\uE000\n\u{1F600}\n');
  });

  it('writes an empty object as an empty file', () => {
    expect(mergeDailyObject(null, []).text).toBe('');
  });
});
