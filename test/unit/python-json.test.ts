import { describe, expect, it } from '@jest/globals';
import {
  compareCodePoints,
  fromJs,
  PyJsonError,
  PyNumber,
  pyDumps,
  pyDumpsIndented,
  pyFloatRepr,
  pyLoads,
  pyString,
  sortByCodePoint,
} from '../../functions/core/python-json.js';

// Expected strings below were produced by CPython 3.11's json.dumps / repr.
describe('pyString (json.dumps with ensure_ascii)', () => {
  it('escapes non-ASCII, astral characters as surrogate pairs, controls and DEL', () => {
    expect(pyString('\u00e9\u{1F600}\x00\x1f\x7f\u2028')).toBe('"\\u00e9\\ud83d\\ude00\\u0000\\u001f\\u007f\\u2028"');
  });
  it('uses the short escapes Python uses, and leaves / alone', () => {
    expect(pyString('\b\f\n\r\t"\\/')).toBe('"\\b\\f\\n\\r\\t\\"\\\\/"');
  });
  it('writes a lone surrogate as its escape', () => {
    expect(pyString('\ud800')).toBe('"\\ud800"');
  });
  it('keeps printable ASCII as it is', () => {
    expect(pyString('PJSIP-630 ~!#$%&()*+,-.:;<=>?@[]^_`{|}')).toBe('"PJSIP-630 ~!#$%&()*+,-.:;<=>?@[]^_`{|}"');
  });
});

describe('pyDumps', () => {
  it('uses ", " and ": " separators and keeps key order, integer-like keys included', () => {
    const value = pyLoads('{"b": 1, "2": [], "a": {}, "1": null}');
    expect(pyDumps(value)).toBe('{"b": 1, "2": [], "a": {}, "1": null}');
    expect(pyDumps([])).toBe('[]');
    expect(pyDumps(new Map())).toBe('{}');
  });
  it('keeps the int/float distinction and Python float repr', () => {
    expect(pyDumps(pyLoads('[1.0, 1e16, 1.5e16, 1e-5, 0.0001, 123456789.123, -0.0, 1e22, 1180591620717411303424, 5e-324, -0, 1E400]'))).toBe(
      '[1.0, 1e+16, 1.5e+16, 1e-05, 0.0001, 123456789.123, -0.0, 1e+22, 1180591620717411303424, 5e-324, 0, Infinity]',
    );
  });
  it('accepts the non-standard constants Python accepts', () => {
    expect(pyDumps(pyLoads('[NaN, Infinity, -Infinity]'))).toBe('[NaN, Infinity, -Infinity]');
  });
  it('converts plain JavaScript data', () => {
    expect(pyDumps(fromJs({ a: [1, 2.5, true, null, 'x'] }))).toBe('{"a": [1, 2.5, true, null, "x"]}');
  });
});

describe('pyDumpsIndented (json.dump indent=2)', () => {
  it('matches Python, including empty containers', () => {
    const value = pyLoads('{"k": {"size": 1, "ts": "x"}, "e": {}, "l": []}');
    expect(pyDumpsIndented(value, 2)).toBe('{\n  "k": {\n    "size": 1,\n    "ts": "x"\n  },\n  "e": {},\n  "l": []\n}');
    expect(pyDumpsIndented(new Map(), 2)).toBe('{}');
  });
});

describe('pyFloatRepr', () => {
  it.each([
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [123.0, '123.0'],
    [9999999999999998, '9999999999999998.0'],
    [1e16, '1e+16'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-2.5e-7, '-2.5e-07'],
  ])('%p → %s', (value, expected) => {
    expect(pyFloatRepr(value)).toBe(expected);
  });
});

describe('pyLoads', () => {
  it('keeps the first position and the last value of a duplicate key, as Python does', () => {
    expect(pyDumps(pyLoads('{"a": 1, "b": 2, "a": 3}'))).toBe('{"a": 3, "b": 2}');
  });
  it('decodes escapes, including surrogate pairs', () => {
    expect(pyLoads('"\\u00e9\\ud83d\\ude00\\/"')).toBe('\u00e9\u{1F600}/');
  });
  it.each([
    ['', 'Expecting value'],
    ['{"a" 1}', "Expecting ':' delimiter"],
    ['[1,]', 'Expecting value'],
    ['"raw\ncontrol"', 'Invalid control character'],
    ['{"a": 1} x', 'Extra data'],
    ['"\\x"', 'Invalid \\escape'],
    ['{"a": "unterminated', 'Unterminated string'],
  ])('rejects %p with a reason and a position', (text, reason) => {
    expect(() => pyLoads(text)).toThrow(PyJsonError);
    expect(() => pyLoads(text)).toThrow(reason);
  });
  it('gives numbers as Python text', () => {
    expect(pyLoads('12')).toEqual(new PyNumber('12'));
  });
});

describe('code point order (Python str comparison)', () => {
  it('puts astral characters after U+E000–U+FFFF, unlike UTF-16 order', () => {
    const astral = '\u{1F600}';
    const privateUse = '\uE000';
    expect(astral < privateUse).toBe(true); // JavaScript's own order
    expect(compareCodePoints(astral, privateUse)).toBeGreaterThan(0);
    expect(sortByCodePoint([astral, privateUse, 'a'])).toEqual(['a', privateUse, astral]);
  });
  it('orders prefixes first', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
  });
});
